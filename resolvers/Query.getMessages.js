// A room's messages, newest first: one Query on the room partition per page.
import { util } from '@aws-appsync/utils';

const ID_PATTERN = '[A-Za-z0-9_-]{1,64}';

export function request(ctx) {
  const { roomId, nextToken } = ctx.args;
  const limit = ctx.args.limit === undefined || ctx.args.limit === null ? 50 : ctx.args.limit;
  if (limit < 1 || limit > 100) {
    util.error('limit must be between 1 and 100', 'ValidationError', null, { field: 'limit' });
  }
  if (!util.matches(ID_PATTERN, roomId)) {
    util.error('roomId must be 1-64 characters of A-Z, a-z, 0-9, _ or -', 'ValidationError', null, {
      field: 'roomId',
    });
  }
  return {
    operation: 'Query',
    query: {
      expression: 'pk = :pk AND begins_with(sk, :prefix)',
      expressionValues: util.dynamodb.toMapValues({ ':pk': `ROOM#${roomId}`, ':prefix': 'MSG#' }),
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
