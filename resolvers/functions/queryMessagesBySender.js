// getMessagesBySender, after validateArgs. Moderators only (schema directive): one
// sender's messages, newest first, via the bySender index; page size ctx.stash.limit.
import { util } from '@aws-appsync/utils';

export function request(ctx) {
  const { sender, nextToken } = ctx.args;
  return {
    operation: 'Query',
    index: 'bySender',
    query: {
      expression: 'gsi1pk = :sender',
      expressionValues: util.dynamodb.toMapValues({ ':sender': `SENDER#${sender}` }),
    },
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
