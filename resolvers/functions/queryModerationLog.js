// getModerationLog, after validateArgs (moderators only): a room's audit rows, newest first.
import { util } from '@aws-appsync/utils';

export function request(ctx) {
  return {
    operation: 'Query',
    query: {
      expression: 'pk = :pk AND begins_with(sk, :prefix)',
      expressionValues: util.dynamodb.toMapValues({ ':pk': `AUDIT#${ctx.args.roomId}`, ':prefix': 'EVENT#' }),
    },
    scanIndexForward: false,
    limit: ctx.stash.limit,
    nextToken: ctx.args.nextToken,
  };
}

export function response(ctx) {
  if (ctx.error) {
    util.error(ctx.error.message, ctx.error.type);
  }
  return { items: ctx.result.items, nextToken: ctx.result.nextToken };
}
