// getRoomSettings, after validateArgs: the room's SETTINGS row (eventually consistent), or
// the defaults when moderators never changed anything.
import { util } from '@aws-appsync/utils';

export function request(ctx) {
  return {
    operation: 'GetItem',
    key: util.dynamodb.toMapValues({ pk: `ROOM#${ctx.args.roomId}`, sk: 'SETTINGS' }),
  };
}

export function response(ctx) {
  if (ctx.error) {
    util.error(ctx.error.message, ctx.error.type);
  }
  const row = ctx.result;
  return {
    roomId: ctx.args.roomId,
    slowModeSeconds: row ? row.slowModeSeconds : 0,
    blockedTerms: row ? row.blockedTerms : [],
    pinnedMessage: row && row.pinnedMessage ? row.pinnedMessage : null,
    updatedAt: row ? row.updatedAt : null,
  };
}
