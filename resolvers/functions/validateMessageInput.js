// Validates chat input on the NONE data source, before anything is written.
// Stashes the trimmed message for the write function that follows.
import { util } from '@aws-appsync/utils';

const ID_PATTERN = '[A-Za-z0-9_-]{1,64}';
const MAX_MESSAGE_LENGTH = 2000;

export function request(ctx) {
  const { roomId, messageId, message } = ctx.args;
  if (!util.matches(ID_PATTERN, roomId)) {
    util.error('roomId must be 1-64 characters of A-Z, a-z, 0-9, _ or -', 'ValidationError', null, {
      field: 'roomId',
    });
  }
  if (messageId !== undefined && !util.matches(ID_PATTERN, messageId)) {
    util.error('messageId must be 1-64 characters of A-Z, a-z, 0-9, _ or -', 'ValidationError', null, {
      field: 'messageId',
    });
  }
  const text = message.trim();
  if (text.length < 1 || text.length > MAX_MESSAGE_LENGTH) {
    util.error(`message must be 1-${MAX_MESSAGE_LENGTH} characters after trimming`, 'ValidationError', null, {
      field: 'message',
    });
  }
  if (!ctx.identity || !ctx.identity.username) {
    util.unauthorized();
  }
  ctx.stash.message = text;
  ctx.stash.sender = ctx.identity.username;
  return { payload: null };
}

export function response(ctx) {
  return ctx.result;
}
