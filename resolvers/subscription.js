// Room subscriptions (onSendMessage, onReply, onMessageBatch, onRoomEvent): after
// validateArgs and checkSubscriber, register an invalidation filter on {roomId, userId},
// so banUser's extensions.invalidateSubscriptions closes this subscriber's subscription
// to that room, and only that one.
import { util, extensions } from '@aws-appsync/utils';

export function request() {
  return {};
}

export function response(ctx) {
  extensions.setSubscriptionInvalidationFilter(
    util.transform.toSubscriptionFilter({
      roomId: { eq: ctx.args.roomId },
      userId: { eq: ctx.stash.caller.id },
    }),
  );
  return null;
}
