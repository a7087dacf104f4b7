// Every moderation mutation, after its prepare* function: the action's write (and any writes
// that must go with it, moderation.also) and its audit row in one DynamoDB transaction (all or
// nothing), and the room event for
// publishRoomEvent. A failed condition on the action is the conflict prepare* described.
import { util } from '@aws-appsync/utils';

export function request(ctx) {
  const moderation = ctx.stash.moderation;
  const { roomId } = ctx.args;
  const eventId = util.autoUlid();
  const createdAt = util.time.nowISO8601();
  ctx.stash.roomEvent = { ...moderation.event, eventId, createdAt };
  const audit = {
    type: 'AUDIT',
    roomId,
    eventId,
    action: moderation.action,
    actor: ctx.stash.caller.id,
    target: moderation.target,
    reason: moderation.reason,
    details: JSON.stringify(moderation.details),
    // The room event itself, for the events fan-out consumer (it reads this row from the stream
    // and tells the room's Event API channel): stored with the action, so it goes out exactly
    // when the action happened.
    roomEvent: JSON.stringify(ctx.stash.roomEvent),
    createdAt,
  };
  return {
    operation: 'TransactWriteItems',
    transactItems: [
      moderation.item,
      ...(moderation.also || []),
      {
        table: ctx.env.TABLE_NAME,
        operation: 'PutItem',
        key: util.dynamodb.toMapValues({ pk: `AUDIT#${roomId}`, sk: `EVENT#${eventId}` }),
        attributeValues: util.dynamodb.toMapValues(audit),
        condition: { expression: 'attribute_not_exists(pk)' },
      },
    ],
  };
}

export function response(ctx) {
  if (ctx.error) {
    const reasons = (ctx.result && ctx.result.cancellationReasons) || [];
    const conflict = ctx.stash.moderation.conflict;
    if (conflict && reasons.length > 0 && reasons[0].type === 'ConditionalCheckFailed') {
      util.error(conflict.message, conflict.type);
    }
    util.error(ctx.error.message, ctx.error.type);
  }
  return ctx.stash.moderation.result;
}
