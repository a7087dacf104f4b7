// Moderators only (schema directive): one sender's messages, newest first, via the
// bySender index.
import { util } from '@aws-appsync/utils';

export function request(ctx) {
  const { sender, nextToken } = ctx.args;
  const limit = ctx.args.limit === undefined || ctx.args.limit === null ? 50 : ctx.args.limit;
  if (limit < 1 || limit > 100) {
    util.error('limit must be between 1 and 100', 'ValidationError', null, { field: 'limit' });
  }
  return {
    operation: 'Query',
    index: 'bySender',
    query: {
      expression: 'gsi1pk = :sender',
      expressionValues: util.dynamodb.toMapValues({ ':sender': `SENDER#${sender}` }),
    },
    scanIndexForward: false,
    limit,
    nextToken,
  };
}

export function response(ctx) {
  if (ctx.error) {
    util.error(ctx.error.message, ctx.error.type);
  }
  return { items: ctx.result.items, nextToken: ctx.result.nextToken };
}
