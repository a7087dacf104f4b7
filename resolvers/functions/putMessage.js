// Writes one MESSAGE row with a conditional put (never overwrites). sender, senderName and
// createdAt come from the caller (validateArgs' ctx.stash.caller) and the clock, never from
// arguments. In slow mode the caller's slow-mode state is written in the same transaction
// (checkSendAllowed built it): a message that raced another one in fails with SlowMode and
// writes nothing.
import { util } from '@aws-appsync/utils';

// createdAt is the id's own time (a ULID's first ten characters: milliseconds since 1970 in
// Crockford base 32), one clock reading for both: a batched delivery carries the id alone
// (schema: MessageBatch) and clients read the time from it.
const ULID_DIGITS = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function ulidTime(id) {
  const ms = id.substring(0, 10).split('').reduce((total, digit) => total * 32 + ULID_DIGITS.indexOf(digit), 0);
  return util.time.epochMilliSecondsToISO8601(ms);
}

export function request(ctx) {
  const messageId = util.autoUlid();
  const createdAt = ulidTime(messageId);
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
