// Validates a field's arguments on the NONE data source, before any data source is read
// or written. Every Query and chat Mutation pipeline starts here, so each rule lives
// once. Stashes what the next function uses: limit (queries), and for writes the
// trimmed message and the sender (the caller's username, never an argument).
import { util } from '@aws-appsync/utils';

const ID_PATTERN = '[A-Za-z0-9_-]{1,64}';
const ID_RULE = '1-64 characters of A-Z, a-z, 0-9, _ or -';
const MAX_MESSAGE_LENGTH = 2000;
const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 100;

// The validated arguments of each field whose pipeline starts with this function.
const FIELD_ARGS = {
  getMessages: { limit: true, roomId: true },
  getThread: { limit: true, roomId: true, messageId: true },
  getMessagesBySender: { limit: true },
  sendMessage: { roomId: true, message: true },
  replyToMessage: { roomId: true, messageId: true, message: true },
};

function invalid(message, field) {
  util.error(message, 'ValidationError', null, { field });
}

function checkId(ctx, name) {
  if (!util.matches(ID_PATTERN, ctx.args[name])) {
    invalid(`${name} must be ${ID_RULE}`, name);
  }
}

export function request(ctx) {
  const field = ctx.info.fieldName;
  const has = FIELD_ARGS[field];
  if (!has) {
    util.error(`validateArgs has no rules for ${ctx.info.parentTypeName}.${field}`, 'ValidationConfiguration');
  }
  if (has.limit) {
    const limit = ctx.args.limit === undefined || ctx.args.limit === null ? DEFAULT_LIMIT : ctx.args.limit;
    if (limit < 1 || limit > MAX_LIMIT) {
      invalid(`limit must be between 1 and ${MAX_LIMIT}`, 'limit');
    }
    ctx.stash.limit = limit;
  }
  if (has.roomId) {
    checkId(ctx, 'roomId');
  }
  if (has.messageId) {
    checkId(ctx, 'messageId');
  }
  if (has.message) {
    const text = ctx.args.message.trim();
    if (text.length < 1 || text.length > MAX_MESSAGE_LENGTH) {
      invalid(`message must be 1-${MAX_MESSAGE_LENGTH} characters after trimming`, 'message');
    }
    if (!ctx.identity || !ctx.identity.username) {
      util.unauthorized();
    }
    ctx.stash.message = text;
    ctx.stash.sender = ctx.identity.username;
  }
  return { payload: null };
}

export function response(ctx) {
  return ctx.result;
}
