// Batched fan-out, step 2: keep only messages and replies after the room's cursor and move
// the cursor to the highest of them with an optimistic-lock update, whatever order they came
// in (it never moves backwards). Nothing new -> DuplicateBatch, so the mutation fails and no
// subscriber sees an item twice. Subscribers get each list in sequence order.
// Query.pendingBatch (events stacks) packs the same items without moving the cursor: the
// consumer publishes them to the Event API, then calls publishBatch to move it.
import { runtime, util } from '@aws-appsync/utils';

const SEQUENCE_PATTERN = '[0-9]{40}';

// Equal-length digit strings order like the numbers they spell. APPSYNC_JS's sort() takes no
// comparator, so the sequences themselves are sorted and mapped back to their items.
function after(items, cursor) {
  const bySequence = {};
  items.filter((item) => item.sequence > cursor).forEach((item) => {
    bySequence[item.sequence] = item;
  });
  return Object.keys(bySequence).sort().map((sequence) => bySequence[sequence]);
}

export function request(ctx) {
  const cursor = ctx.stash.cursor;
  const replies = ctx.args.replies || [];
  if (ctx.args.messages.concat(replies).some((item) => !util.matches(SEQUENCE_PATTERN, item.sequence))) {
    util.error('sequence must be a stream sequence number zero-padded to 40 digits', 'ValidationError');
  }
  const fresh = after(ctx.args.messages, cursor);
  const freshReplies = after(replies, cursor);
  if (fresh.length === 0 && freshReplies.length === 0) {
    util.error(`room ${ctx.args.roomId} already has these messages`, 'DuplicateBatch');
  }
  const last = fresh.concat(freshReplies).map((item) => item.sequence).sort().pop();
  ctx.stash.batch = pack(ctx.args.roomId, last, fresh, freshReplies);
  if (ctx.info.fieldName === 'pendingBatch') {
    runtime.earlyReturn(ctx.stash.batch);
  }
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
  return ctx.stash.batch;
}

// Packed (schema: MessageBatch): each sender once, items pointing at it by index.
function pack(roomId, batchId, messages, replies) {
  const senders = [];
  const senderIndex = {};
  const indexOf = (item) => {
    const key = JSON.stringify([item.sender, item.senderName || null]);
    if (senderIndex[key] === undefined) {
      senderIndex[key] = senders.length;
      senders.push({ id: item.sender, name: item.senderName || null });
    }
    return senderIndex[key];
  };
  return {
    roomId,
    batchId,
    senders,
    messages: messages.map((m) => ({ i: m.messageId, s: indexOf(m), x: m.message })),
    replies: replies.map((r) => ({ p: r.messageId, i: r.replyId, s: indexOf(r), x: r.message })),
  };
}
