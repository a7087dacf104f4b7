// Every moderation mutation, last: tells the room's onRoomEvent subscribers by calling the
// API's own IAM-only publishRoomEvent mutation (HTTP data source signed with the data
// source's role, which may call only that field). The action is already stored: a failed
// publish is appended as an error (RoomEventNotPublished), the field keeps its value.
import { util } from '@aws-appsync/utils';

const PUBLISH = `mutation PublishRoomEvent($roomId: ID!, $event: RoomEventInput!) {
  publishRoomEvent(roomId: $roomId, event: $event) {
    roomId eventId type messageId userId createdAt
    settings { roomId slowModeSeconds blockedTerms updatedAt pinnedMessage { messageId sender senderName message createdAt } }
  }
}`;

export function request(ctx) {
  return {
    method: 'POST',
    resourcePath: '/graphql',
    params: {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: PUBLISH, variables: { roomId: ctx.args.roomId, event: ctx.stash.roomEvent } }),
    },
  };
}

export function response(ctx) {
  let problem = null;
  if (ctx.error) {
    problem = ctx.error.message;
  } else {
    const body = ctx.result.body && ctx.result.body.charAt(0) === '{' ? JSON.parse(ctx.result.body) : {};
    if (body.errors && body.errors.length > 0) {
      problem = body.errors.map((e) => `${e.errorType}: ${e.message}`).join('; ');
    } else if (ctx.result.statusCode !== 200) {
      problem = `HTTP ${ctx.result.statusCode}`;
    }
  }
  if (problem) {
    util.appendError(`the room was not told (${problem}); clients see it on their next load`, 'RoomEventNotPublished');
  }
  return ctx.prev.result;
}
