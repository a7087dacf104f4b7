// Validates a field's arguments on the NONE data source, before any data source is read
// or written. Every Query, chat Mutation and room Subscription pipeline starts here, so each
// rule lives once. Stashes what the next function uses: limit (queries), the trimmed message
// (writes), the moderation inputs (reason, changes), and ctx.stash.caller = {id, name, isModerator}: who is calling, derived here
// and nowhere else, from whichever provider signed the request (Cognito, OIDC or IAM).
import { util } from '@aws-appsync/utils';

const ID_PATTERN = '[A-Za-z0-9_-]{1,64}';
const ID_RULE = '1-64 characters of A-Z, a-z, 0-9, _ or -';
const MAX_MESSAGE_LENGTH = 2000;
const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 100;
// Cognito staff in this group moderate; OIDC attendees do when the stack's moderator claim says so.
const MODERATORS_GROUP = 'moderators';
const MAX_NAME_LENGTH = 128;
const MAX_USER_ID_LENGTH = 128;
const MAX_REASON_LENGTH = 500;
const MAX_BAN_SECONDS = 31536000; // a year; longer is a permanent ban (no duration)
const MAX_SLOW_MODE_SECONDS = 3600;
const MAX_BLOCKED_TERMS = 200;
const MAX_BLOCKED_TERM_LENGTH = 64;

// The validated arguments of each field whose pipeline starts with this function.
// signedIn: the field needs a caller (an API key is none); moderator: a moderating caller.
const FIELD_ARGS = {
  getMessages: { limit: true, roomId: true },
  getThread: { limit: true, roomId: true, messageId: true },
  getMessagesBySender: { limit: true, moderator: true },
  sendMessage: { roomId: true, message: true, signedIn: true },
  replyToMessage: { roomId: true, messageId: true, message: true, signedIn: true },
  getRoomSettings: { roomId: true },
  getModerationLog: { limit: true, roomId: true, moderator: true },
  deleteMessage: { roomId: true, messageId: true, moderator: true },
  banUser: { roomId: true, userId: true, ban: true, moderator: true },
  unbanUser: { roomId: true, userId: true, moderator: true },
  updateRoomSettings: { roomId: true, settings: true, moderator: true },
  onSendMessage: { roomId: true, signedIn: true },
  onReply: { roomId: true, signedIn: true },
  onMessageBatch: { roomId: true, signedIn: true },
  onRoomEvent: { roomId: true, signedIn: true },
};

function invalid(message, field) {
  util.error(message, 'ValidationError', null, { field });
}

function checkId(ctx, name) {
  if (!util.matches(ID_PATTERN, ctx.args[name])) {
    invalid(`${name} must be ${ID_RULE}`, name);
  }
}

function given(value) {
  return value !== undefined && value !== null;
}

// userId is the sender value a message carries (the caller id: a token's sub).
function checkUserId(ctx) {
  const userId = ctx.args.userId;
  if (userId.length < 1 || userId.length > MAX_USER_ID_LENGTH || userId.trim() !== userId) {
    invalid(`userId must be 1-${MAX_USER_ID_LENGTH} characters without surrounding spaces`, 'userId');
  }
  // A banned moderator is banned like anyone: the ban holds until another moderator lifts it.
  if (ctx.info.fieldName === 'unbanUser' && userId === ctx.stash.caller.id) {
    util.error('a moderator cannot lift their own ban; another moderator must', 'Forbidden', null, { userId });
  }
}

function checkBan(ctx) {
  const seconds = ctx.args.durationSeconds;
  if (given(seconds) && (seconds < 1 || seconds > MAX_BAN_SECONDS)) {
    invalid(`durationSeconds must be 1-${MAX_BAN_SECONDS}; omit it for a permanent ban`, 'durationSeconds');
  }
  const reason = given(ctx.args.reason) ? ctx.args.reason.trim() : '';
  if (reason.length > MAX_REASON_LENGTH) {
    invalid(`reason must be at most ${MAX_REASON_LENGTH} characters`, 'reason');
  }
  if (ctx.args.userId === ctx.stash.caller.id) {
    invalid('a moderator cannot ban themselves', 'userId');
  }
  ctx.stash.reason = reason.length > 0 ? reason : null;
}

// Only what is given changes; pinnedMessageId null (given) unpins.
function checkSettings(ctx) {
  const args = ctx.args;
  const changes = {};
  if (given(args.slowModeSeconds)) {
    if (args.slowModeSeconds < 0 || args.slowModeSeconds > MAX_SLOW_MODE_SECONDS) {
      invalid(`slowModeSeconds must be 0 (off) to ${MAX_SLOW_MODE_SECONDS}`, 'slowModeSeconds');
    }
    changes.slowModeSeconds = args.slowModeSeconds;
  }
  if (given(args.blockedTerms)) {
    if (args.blockedTerms.length > MAX_BLOCKED_TERMS) {
      invalid(`blockedTerms may hold at most ${MAX_BLOCKED_TERMS} terms`, 'blockedTerms');
    }
    const terms = [];
    args.blockedTerms.forEach((raw) => {
      const term = raw.trim().toLowerCase();
      if (term.length < 1 || term.length > MAX_BLOCKED_TERM_LENGTH) {
        invalid(`each blocked term must be 1-${MAX_BLOCKED_TERM_LENGTH} characters after trimming`, 'blockedTerms');
      }
      if (!terms.includes(term)) {
        terms.push(term);
      }
    });
    changes.blockedTerms = terms;
  }
  if (args.pinnedMessageId !== undefined) {
    if (args.pinnedMessageId !== null) {
      checkId(ctx, 'pinnedMessageId');
    }
    changes.pinnedMessageId = args.pinnedMessageId;
  }
  if (Object.keys(changes).length === 0) {
    invalid('give at least one of slowModeSeconds, blockedTerms, pinnedMessageId', 'roomId');
  }
  ctx.stash.changes = changes;
}

// Characters a name must not carry: controls, and the invisible ones that reorder or hide text
// (bidi embeddings, overrides and isolates, zero-width characters, the BOM): "\u202Eevil" would
// show as "live" — impersonation by reordering. (APPSYNC_JS has no charCodeAt: a set of them.)
const HIDDEN = '\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u0009\u000a\u000b\u000c\u000d\u000e\u000f\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f\u007f\u0080\u0081\u0082\u0083\u0084\u0085\u0086\u0087\u0088\u0089\u008a\u008b\u008c\u008d\u008e\u008f\u0090\u0091\u0092\u0093\u0094\u0095\u0096\u0097\u0098\u0099\u009a\u009b\u009c\u009d\u009e\u009f\u00ad\u034f\u061c\u180e\u200b\u200c\u200d\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064\u2065\u2066\u2067\u2068\u2069\u206a\u206b\u206c\u206d\u206e\u206f\ufeff\ufff9\ufffa\ufffb';

// A display name from a token: invisible and control characters removed, trimmed and bounded;
// the stable id when nothing is left.
function displayName(value, fallback) {
  if (typeof value !== 'string') {
    return fallback;
  }
  // Bounded before the per-character pass: a token's claim can be long.
  const name = value
    .slice(0, 4 * MAX_NAME_LENGTH)
    .split('')
    .filter((ch) => HIDDEN.indexOf(ch) < 0)
    .join('')
    .trim();
  if (name === '') {
    return fallback;
  }
  return name.length > MAX_NAME_LENGTH ? name.slice(0, MAX_NAME_LENGTH) : name;
}

// OIDC_MODERATOR_CLAIM names the claim ('' = no OIDC moderators); OIDC_MODERATOR_VALUE is the
// value it must equal or, for a list claim, hold ('' = the claim must be true).
function oidcModerator(ctx, claims) {
  const claim = ctx.env.OIDC_MODERATOR_CLAIM;
  if (claim === '') {
    return false;
  }
  const value = claims[claim];
  const wanted = ctx.env.OIDC_MODERATOR_VALUE;
  if (wanted === '') {
    return value === true || value === 'true';
  }
  if (Array.isArray(value)) {
    return value.includes(wanted);
  }
  return value === wanted;
}

// id: stable across sessions (the token's sub; for IAM, the principal's ARN).
function callerOf(ctx) {
  const identity = ctx.identity;
  const authType = util.authType();
  if (authType === 'User Pool Authorization') {
    const groups = identity.groups || [];
    return {
      id: identity.sub,
      name: displayName(identity.username, identity.sub),
      isModerator: groups.includes(MODERATORS_GROUP),
    };
  }
  if (authType === 'Open ID Connect Authorization') {
    const claims = identity.claims || {};
    return {
      id: identity.sub,
      name: displayName(claims[ctx.env.OIDC_NAME_CLAIM], identity.sub),
      isModerator: oidcModerator(ctx, claims),
    };
  }
  if (authType === 'IAM Authorization') {
    // Backend callers: IAM policy already decided which fields this principal may call.
    const arn = identity.userArn;
    return { id: arn, name: displayName(arn.split('/').pop(), arn), isModerator: true };
  }
  return null;
}

export function request(ctx) {
  const field = ctx.info.fieldName;
  const has = FIELD_ARGS[field];
  if (!has) {
    util.error(`validateArgs has no rules for ${ctx.info.parentTypeName}.${field}`, 'ValidationConfiguration');
  }
  const caller = callerOf(ctx);
  if ((has.signedIn || has.moderator) && (!caller || !caller.id)) {
    util.unauthorized();
  }
  if (has.moderator && !caller.isModerator) {
    util.unauthorized();
  }
  ctx.stash.caller = caller;
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
  if (has.userId) {
    checkUserId(ctx);
  }
  if (has.ban) {
    checkBan(ctx);
  }
  if (has.settings) {
    checkSettings(ctx);
  }
  if (has.message) {
    const text = ctx.args.message.trim();
    if (text.length < 1 || text.length > MAX_MESSAGE_LENGTH) {
      invalid(`message must be 1-${MAX_MESSAGE_LENGTH} characters after trimming`, 'message');
    }
    ctx.stash.message = text;
  }
  return { payload: null };
}

export function response(ctx) {
  return ctx.result;
}
