// A message's replies, oldest first: one Query on the thread partition per page.
import { util } from '@aws-appsync/utils';

const ID_PATTERN = '[A-Za-z0-9_-]{1,64}';

export function request(ctx) {
  const { roomId, messageId, nextToken } = ctx.args;
  const limit = ctx.args.limit === undefined || ctx.args.limit === null ? 50 : ctx.args.limit;
  if (limit < 1 || limit > 100) {
    util.error('limit must be between 1 and 100', 'ValidationError', null, { field: 'limit' });
  }
  if (!util.matches(ID_PATTERN, roomId) || !util.matches(ID_PATTERN, messageId)) {
    util.error('roomId and messageId must be 1-64 characters of A-Z, a-z, 0-9, _ or -', 'ValidationError');
  }
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
