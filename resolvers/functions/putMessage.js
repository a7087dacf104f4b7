// Writes one MESSAGE row with a conditional put (never overwrites). sender, senderName and
// createdAt come from the caller (validateArgs' ctx.stash.caller) and the clock, never from arguments.
import { util } from '@aws-appsync/utils';

export function request(ctx) {
  const messageId = util.autoUlid();
  const createdAt = util.time.nowISO8601();
  const retentionSeconds = Number(ctx.env.RETENTION_SECONDS);
  const item = {
    type: 'MESSAGE',
    roomId: ctx.args.roomId,
    messageId,
    sender: ctx.stash.caller.id,
    senderName: ctx.stash.caller.name,
    message: ctx.stash.message,
    createdAt,
    replyCount: 0,
    gsi1pk: `SENDER#${ctx.stash.caller.id}`,
    gsi1sk: `MSG#${messageId}`,
  };
  if (retentionSeconds > 0) {
    item.expiresAt = util.time.nowEpochSeconds() + retentionSeconds;
  }
  return {
    operation: 'PutItem',
    key: util.dynamodb.toMapValues({ pk: `ROOM#${ctx.args.roomId}`, sk: `MSG#${messageId}` }),
    attributeValues: util.dynamodb.toMapValues(item),
    condition: { expression: 'attribute_not_exists(pk)' },
  };
}

export function response(ctx) {
  if (ctx.error) {
    util.error(ctx.error.message, ctx.error.type);
  }
  return ctx.result;
}
