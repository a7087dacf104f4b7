// Batched fan-out, step 1: read how far the room has been published (stream sequence of
// the last message delivered), so a retried publish can drop what already went out.
import { util } from '@aws-appsync/utils';

export function request(ctx) {
  return {
    operation: 'GetItem',
    key: util.dynamodb.toMapValues({ pk: `ROOM#${ctx.args.roomId}`, sk: 'FANOUT' }),
    consistentRead: true,
  };
}

export function response(ctx) {
  if (ctx.error) {
    util.error(ctx.error.message, ctx.error.type);
  }
  ctx.stash.cursor = ctx.result && ctx.result.lastSequence ? ctx.result.lastSequence : '';
  return ctx.stash.cursor;
}
