// getThread, after validateArgs: a message's replies, oldest first. One Query on the
// thread partition per page; the page size is the validated ctx.stash.limit.
import { util } from '@aws-appsync/utils';

export function request(ctx) {
  const { roomId, messageId, nextToken } = ctx.args;
  return {
    operation: 'Query',
    query: {
      expression: 'pk = :pk AND begins_with(sk, :prefix)',
      expressionValues: util.dynamodb.toMapValues({
        ':pk': `ROOM#${roomId}#MSG#${messageId}`,
        ':prefix': 'REPLY#',
      }),
    },
    scanIndexForward: true,
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
