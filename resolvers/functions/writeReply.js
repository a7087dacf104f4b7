// Writes a THREAD row and marks its parent MESSAGE (repliedAt, replyCount + 1) in one
// DynamoDB transaction: both or neither. A missing parent cancels the transaction. In slow
// mode the caller's slow-mode state joins the transaction (see putMessage).
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
  const { roomId, messageId } = ctx.args;
  const replyId = util.autoUlid();
  const createdAt = ulidTime(replyId);
  const retentionSeconds = Number(ctx.env.RETENTION_SECONDS);
  const reply = {
    type: 'THREAD',
    roomId,
    messageId,
    replyId,
    sender: ctx.stash.caller.id,
    senderName: ctx.stash.caller.name,
    message: ctx.stash.message,
    createdAt,
  };
  if (retentionSeconds > 0) {
    reply.expiresAt = util.time.nowEpochSeconds() + retentionSeconds;
  }
  ctx.stash.reply = reply;
  const transactItems = [
    {
      table: ctx.env.TABLE_NAME,
      operation: 'PutItem',
      key: util.dynamodb.toMapValues({ pk: `ROOM#${roomId}#MSG#${messageId}`, sk: `REPLY#${replyId}` }),
      attributeValues: util.dynamodb.toMapValues(reply),
      condition: { expression: 'attribute_not_exists(pk)' },
    },
    {
      table: ctx.env.TABLE_NAME,
      operation: 'UpdateItem',
      key: util.dynamodb.toMapValues({ pk: `ROOM#${roomId}`, sk: `MSG#${messageId}` }),
      update: {
        expression: 'SET repliedAt = :createdAt ADD replyCount :one',
        expressionValues: util.dynamodb.toMapValues({ ':createdAt': createdAt, ':one': 1 }),
      },
      condition: { expression: 'attribute_exists(pk) AND attribute_not_exists(deletedAt)' },
    },
  ];
  if (ctx.stash.slowMode) {
    transactItems.push(ctx.stash.slowMode.item);
  }
  return { operation: 'TransactWriteItems', transactItems };
}

export function response(ctx) {
  if (ctx.error) {
    const reasons = (ctx.result && ctx.result.cancellationReasons) || [];
    if (reasons.length > 1 && reasons[1].type === 'ConditionalCheckFailed') {
      util.error(`message ${ctx.args.messageId} does not exist in room ${ctx.args.roomId}`, 'NotFound');
    }
    if (reasons.length > 2 && reasons[2].type === 'ConditionalCheckFailed') {
      util.error(`slow mode: one message per ${ctx.stash.slowMode.seconds} s; try again shortly`, 'SlowMode');
    }
    util.error(ctx.error.message, ctx.error.type);
  }
  return ctx.stash.reply;
}
