// unbanUser, after validateArgs: read the ban (consistent; none, or a timeout already over,
// is NotFound) and describe its removal for writeModeration.
import { util } from '@aws-appsync/utils';

export function request(ctx) {
  return {
    operation: 'GetItem',
    key: util.dynamodb.toMapValues({ pk: `ROOM#${ctx.args.roomId}#USER#${ctx.args.userId}`, sk: 'BAN' }),
    consistentRead: true,
  };
}

export function response(ctx) {
  if (ctx.error) {
    util.error(ctx.error.message, ctx.error.type);
  }
  const { roomId, userId } = ctx.args;
  const ban = ctx.result;
  const missing = `${userId} is not banned from room ${roomId}`;
  if (!ban || (ban.expiresAt && ban.expiresAt <= util.time.nowEpochSeconds())) {
    util.error(missing, 'NotFound');
  }
  ctx.stash.moderation = {
    action: 'unbanUser',
    target: userId,
    reason: null,
    details: { bannedBy: ban.bannedBy, bannedAt: ban.createdAt },
    item: {
      table: ctx.env.TABLE_NAME,
      operation: 'DeleteItem',
      key: util.dynamodb.toMapValues({ pk: `ROOM#${roomId}#USER#${userId}`, sk: 'BAN' }),
      condition: { expression: 'attribute_exists(pk)' },
    },
    conflict: { message: missing, type: 'NotFound' },
    event: { type: 'USER_UNBANNED', userId },
    result: {
      roomId,
      userId,
      reason: ban.reason || null,
      bannedBy: ban.bannedBy,
      createdAt: ban.createdAt,
      expiresAt: ban.expiresAt ? util.time.epochMilliSecondsToISO8601(ban.expiresAt * 1000) : null,
      active: false,
    },
  };
  return null;
}
