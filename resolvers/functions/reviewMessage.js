// sendMessage / replyToMessage, after checkSendAllowed: the stack's message review hook
// (chatstack:messageReviewFunctionArn), a Lambda that allows, denies or rewrites each
// message. Event: {field, roomId, userId, message}; result: {result: "ALLOW" | "DENY",
// message?: the rewritten text, reason?}. When the Lambda errs, times out or answers
// something else, the stack's fallback (chatstack:messageReviewFallback) decides.
// Stacks without a hook deploy this function on a NONE data source and skip it.
import { util, runtime } from '@aws-appsync/utils';

const MAX_MESSAGE_LENGTH = 2000;

export function request(ctx) {
  if (ctx.env.MESSAGE_REVIEW === 'off') {
    runtime.earlyReturn(ctx.prev.result);
  }
  return {
    operation: 'Invoke',
    payload: {
      field: ctx.info.fieldName,
      roomId: ctx.args.roomId,
      userId: ctx.stash.caller.id,
      message: ctx.stash.message,
    },
  };
}

function deny(reason) {
  util.error(reason ? `the message was refused: ${reason}` : 'the message was refused', 'Denied');
}

export function response(ctx) {
  const verdict = ctx.error ? null : ctx.result;
  const result = verdict && verdict.result;
  if (result === 'ALLOW') {
    if (verdict.message !== undefined && verdict.message !== null) {
      const text = String(verdict.message);
      if (text.length < 1 || text.length > MAX_MESSAGE_LENGTH) {
        deny('the review rewrote it to an invalid length');
      }
      ctx.stash.message = text;
    }
    return ctx.prev.result;
  }
  if (result === 'DENY') {
    deny(verdict.reason);
  }
  // The hook failed (error, timeout or an unknown answer): the configured fallback decides.
  if (ctx.env.MESSAGE_REVIEW === 'deny') {
    deny('the review is unavailable');
  }
  return ctx.prev.result;
}
