// Batched fan-out, step 2: keep only messages after the room's cursor and move the cursor
// to the highest of them with an optimistic-lock update, whatever order they came in (it
// never moves backwards). Nothing new -> DuplicateBatch, so the mutation fails and no
// subscriber sees a message twice. Subscribers get the new messages in sequence order.
import { util } from '@aws-appsync/utils';

const SEQUENCE_PATTERN = '[0-9]{40}';

export function request(ctx) {
  const cursor = ctx.stash.cursor;
  if (ctx.args.messages.some((m) => !util.matches(SEQUENCE_PATTERN, m.sequence))) {
    util.error('sequence must be a stream sequence number zero-padded to 40 digits', 'ValidationError');
  }
  // Equal-length digit strings order like the numbers they spell. APPSYNC_JS's sort() takes no
  // comparator, so the sequences themselves are sorted and mapped back to their messages.
  const bySequence = {};
  ctx.args.messages.filter((m) => m.sequence > cursor).forEach((m) => {
    bySequence[m.sequence] = m;
  });
  const fresh = Object.keys(bySequence).sort().map((sequence) => bySequence[sequence]);
  if (fresh.length === 0) {
    util.error(`room ${ctx.args.roomId} already has these messages`, 'DuplicateBatch');
  }
  const last = fresh[fresh.length - 1].sequence;
  ctx.stash.fresh = fresh;
  ctx.stash.last = last;
  const condition =
    cursor === ''
      ? { expression: 'attribute_not_exists(lastSequence)' }
      : {
          expression: 'lastSequence = :cursor',
          expressionValues: util.dynamodb.toMapValues({ ':cursor': cursor }),
        };
  return {
    operation: 'UpdateItem',
    key: util.dynamodb.toMapValues({ pk: `ROOM#${ctx.args.roomId}`, sk: 'FANOUT' }),
    update: {
      expression: 'SET lastSequence = :last, updatedAt = :now',
      expressionValues: util.dynamodb.toMapValues({ ':last': last, ':now': util.time.nowISO8601() }),
    },
    condition,
  };
}

export function response(ctx) {
  if (ctx.error) {
    if (ctx.error.type === 'DynamoDB:ConditionalCheckFailedException') {
      util.error(`another publisher moved room ${ctx.args.roomId} on; retry`, 'ConcurrentPublish');
    }
    util.error(ctx.error.message, ctx.error.type);
  }
  const roomId = ctx.args.roomId;
  return {
    roomId,
    batchId: ctx.stash.last,
    messages: ctx.stash.fresh.map((m) => ({
      roomId,
      messageId: m.messageId,
      sender: m.sender,
      senderName: m.senderName,
      message: m.message,
      createdAt: m.createdAt,
      replyCount: 0,
    })),
  };
}
