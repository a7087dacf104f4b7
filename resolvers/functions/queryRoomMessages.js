// getMessages, after validateArgs: a room's messages, newest first. One Query on the
// room partition per page; the page size is the validated ctx.stash.limit. Deleted messages
// (tombstones) are filtered out after the limit, as DynamoDB filters: a page may be short.
import { util } from '@aws-appsync/utils';

export function request(ctx) {
  const { roomId, nextToken } = ctx.args;
  return {
    operation: 'Query',
    query: {
      expression: 'pk = :pk AND begins_with(sk, :prefix)',
      expressionValues: util.dynamodb.toMapValues({ ':pk': `ROOM#${roomId}`, ':prefix': 'MSG#' }),
    },
    filter: { expression: 'attribute_not_exists(deletedAt)' },
    scanIndexForward: false,
    limit: ctx.stash.limit,
    nextToken,
  };
}

export function response(ctx) {
  if (ctx.error) {
    util.error(ctx.error.message, ctx.error.type);
  }
  return { items: ctx.result.items, nextToken: ctx.result.nextToken };
}
