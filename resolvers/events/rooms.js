// The Event API's `rooms` channel namespace (chatstack:fanOutMode events): a room's channel is
// /rooms/<roomId>; the stack's fan-out consumer publishes the room's packed batches and room
// events to it (IAM, the namespace's only publish auth mode); attendees subscribe with their
// Cognito or OIDC token.
//
// onSubscribe refuses channels that are not a room (one segment after the namespace, a room id
// as the GraphQL API accepts it) and users banned from the room (a timeout not yet over): one
// consistent GetItem of their BAN row, as checkSubscriber does for GraphQL subscriptions.
// onPublish passes the consumer's events through as they are.
import { util } from '@aws-appsync/utils';

const ROOM_ID = '[A-Za-z0-9_-]{1,64}';

function roomOf(ctx) {
  const segments = ctx.info.channel.segments;
  if (segments.length !== 2 || !util.matches(ROOM_ID, segments[1])) {
    util.error(`${ctx.info.channel.path} is not a room: subscribe to /rooms/<roomId>`, 'NotFound');
  }
  return segments[1];
}

export const onSubscribe = {
  request(ctx) {
    const roomId = roomOf(ctx);
    const subject = ctx.identity && ctx.identity.sub;
    if (!subject) {
      util.unauthorized();
    }
    ctx.stash.roomId = roomId;
    return {
      operation: 'GetItem',
      key: util.dynamodb.toMapValues({ pk: `ROOM#${roomId}#USER#${subject}`, sk: 'BAN' }),
      consistentRead: true,
    };
  },
  response(ctx) {
    if (ctx.error) {
      util.error(ctx.error.message, ctx.error.type);
    }
    const ban = ctx.result;
    if (ban && (!ban.expiresAt || ban.expiresAt > util.time.nowEpochSeconds())) {
      const until = ban.expiresAt ? ` until ${util.time.epochMilliSecondsToISO8601(ban.expiresAt * 1000)}` : '';
      util.error(`you are banned from room ${ctx.stash.roomId}${until}`, 'Forbidden');
    }
  },
};

export function onPublish(ctx) {
  return ctx.events;
}
