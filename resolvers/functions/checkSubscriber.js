// Room subscriptions, after validateArgs: a user banned from the room (a timeout not yet
// over) may not subscribe to it again. One GetItem of their BAN row.
import { util } from '@aws-appsync/utils';

export function request(ctx) {
  return {
    operation: 'GetItem',
    key: util.dynamodb.toMapValues({ pk: `ROOM#${ctx.args.roomId}#USER#${ctx.stash.caller.id}`, sk: 'BAN' }),
    consistentRead: true,
  };
}

export function response(ctx) {
  if (ctx.error) {
    util.error(ctx.error.message, ctx.error.type);
  }
  const ban = ctx.result;
  if (ban && (!ban.expiresAt || ban.expiresAt > util.time.nowEpochSeconds())) {
    // A timeout says when it ends (as sendMessage's refusal does), so a client can come back then.
    const until = ban.expiresAt ? ` until ${util.time.epochMilliSecondsToISO8601(ban.expiresAt * 1000)}` : '';
    util.error(`you are banned from room ${ctx.args.roomId}${until}`, 'Forbidden');
  }
  return null;
}
