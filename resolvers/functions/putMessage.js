// Writes one MESSAGE row with a conditional put (never overwrites). sender, senderName and
// createdAt come from the caller (validateArgs' ctx.stash.caller) and the clock, never from
// arguments. In slow mode the caller's slow-mode state is written in the same transaction
// (checkSendAllowed built it): a message that raced another one in fails with SlowMode and
// writes nothing.
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
  ctx.stash.item = item;
  const key = util.dynamodb.toMapValues({ pk: `ROOM#${ctx.args.roomId}`, sk: `MSG#${messageId}` });
  const condition = { expression: 'attribute_not_exists(pk)' };
  if (!ctx.stash.slowMode) {
    return { operation: 'PutItem', key, attributeValues: util.dynamodb.toMapValues(item), condition };
  }
  return {
    operation: 'TransactWriteItems',
    transactItems: [
      { table: ctx.env.TABLE_NAME, operation: 'PutItem', key, attributeValues: util.dynamodb.toMapValues(item), condition },
      ctx.stash.slowMode.item,
    ],
  };
}

export function response(ctx) {
  if (ctx.error) {
    const reasons = (ctx.result && ctx.result.cancellationReasons) || [];
    if (reasons.length > 1 && reasons[1].type === 'ConditionalCheckFailed') {
      util.error(`slow mode: one message per ${ctx.stash.slowMode.seconds} s; try again shortly`, 'SlowMode');
    }
    util.error(ctx.error.message, ctx.error.type);
  }
  return ctx.stash.slowMode ? ctx.stash.item : ctx.result;
}
