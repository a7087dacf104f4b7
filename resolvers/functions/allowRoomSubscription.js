// Subscription.onSendMessage and onReply, after validateArgs: whether this room delivers every
// message and reply to its subscribers one by one. Batched stacks deliver rooms through
// onMessageBatch (one update per flush, replies included); a per-message subscription to a big
// room would bring back one update per message (or reply) per subscriber, so there only the
// rooms listed in chatstack:perMessageRooms accept it.
// PER_MESSAGE_ROOMS is "*" (every room: per-message stacks) or a JSON array of room ids.
// The subscription's filters (extensions.*) belong in response(), after this check.
import { util } from '@aws-appsync/utils';

function perMessageRoom(ctx, roomId) {
  const rooms = ctx.env.PER_MESSAGE_ROOMS;
  return rooms === '*' || JSON.parse(rooms).includes(roomId);
}

export function request(ctx) {
  const roomId = ctx.args.roomId;
  if (!perMessageRoom(ctx, roomId)) {
    util.error(
      `room ${roomId} delivers messages and replies in batches: subscribe to onMessageBatch(roomId: ` +
        `"${roomId}") instead of ${ctx.info.fieldName} (per-message subscriptions are open only for the ` +
        'rooms in chatstack:perMessageRooms)',
      'BatchedRoom',
      null,
      { roomId, subscribeTo: 'onMessageBatch' },
    );
  }
  return { payload: null };
}

export function response(ctx) {
  return null;
}
