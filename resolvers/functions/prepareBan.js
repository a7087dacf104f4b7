// banUser, after validateArgs: describe the BAN row for writeModeration (a ban replaces any
// earlier one) and ask the resolver to close the user's subscriptions to the room. A
// timeout's row carries expiresAt (epoch seconds, the table's TTL attribute), so DynamoDB
// removes it eventually; checkSendAllowed compares it with the clock meanwhile.
import { util } from '@aws-appsync/utils';

// Every room subscription carries an invalidation filter on {roomId, userId} (subscription.js).
const ROOM_SUBSCRIPTIONS = ['onSendMessage', 'onReply', 'onMessageBatch', 'onRoomEvent'];

export function request() {
  return { payload: null };
}

export function response(ctx) {
  const { roomId, userId, durationSeconds } = ctx.args;
  const nowSeconds = util.time.nowEpochSeconds();
  const ban = {
    type: 'BAN',
    roomId,
    userId,
    reason: ctx.stash.reason,
    bannedBy: ctx.stash.caller.id,
    createdAt: util.time.nowISO8601(),
  };
  if (durationSeconds) {
    ban.expiresAt = nowSeconds + durationSeconds;
  }
  ctx.stash.moderation = {
    action: 'banUser',
    target: userId,
    reason: ctx.stash.reason,
    details: { durationSeconds: durationSeconds || null },
    item: {
      table: ctx.env.TABLE_NAME,
      operation: 'PutItem',
      key: util.dynamodb.toMapValues({ pk: `ROOM#${roomId}#USER#${userId}`, sk: 'BAN' }),
      attributeValues: util.dynamodb.toMapValues(ban),
    },
    event: { type: 'USER_BANNED', userId },
    result: {
      ...ban,
      expiresAt: durationSeconds ? util.time.epochMilliSecondsToISO8601(ban.expiresAt * 1000) : null,
      active: true,
    },
  };
  ctx.stash.invalidate = ROOM_SUBSCRIPTIONS.map((subscriptionField) => ({
    subscriptionField,
    payload: { roomId, userId },
  }));
  return null;
}
