// Validates a field's arguments on the NONE data source, before any data source is read
// or written. Every Query, chat Mutation and room Subscription pipeline starts here, so each
// rule lives once. Stashes what the next function uses: limit (queries), the trimmed message
// (writes) and its form for blocked-term matching, the moderation inputs (reason, changes), and ctx.stash.caller = {id, name, isModerator}: who is calling, derived here
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

// Characters nobody sees: Unicode's default-ignorable code points in the BMP (soft hyphen,
// zero-width characters and joiners, bidi embeddings, overrides, isolates and marks, Hangul
// fillers, variation selectors, the BOM); astralIgnorable covers the rest.
const IGNORABLE = '\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180e\u180f\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064\u2065\u2066\u2067\u2068\u2069\u206a\u206b\u206c\u206d\u206e\u206f\u3164\ufe00\ufe01\ufe02\ufe03\ufe04\ufe05\ufe06\ufe07\ufe08\ufe09\ufe0a\ufe0b\ufe0c\ufe0d\ufe0e\ufe0f\ufeff\uffa0\ufff0\ufff1\ufff2\ufff3\ufff4\ufff5\ufff6\ufff7\ufff8';
// Controls (C0, DEL, C1), line and paragraph separators, interlinear annotation marks.
const CONTROLS = '\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u0009\u000a\u000b\u000c\u000d\u000e\u000f\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001a\u001b\u001c\u001d\u001e\u001f\u007f\u0080\u0081\u0082\u0083\u0084\u0085\u0086\u0087\u0088\u0089\u008a\u008b\u008c\u008d\u008e\u008f\u0090\u0091\u0092\u0093\u0094\u0095\u0096\u0097\u0098\u0099\u009a\u009b\u009c\u009d\u009e\u009f\u2028\u2029\ufff9\ufffa\ufffb';

// Default-ignorable code points beyond the BMP, by their UTF-16 halves: tags and variation
// selectors supplement (U+E0000-E0FFF, high surrogates DB40-DB43), shorthand format controls
// (U+1BCA0-1BCA3), musical symbol formatting (U+1D173-1D17A).
function astralIgnorable(high, low) {
  if (high >= '\udb40' && high <= '\udb43') {
    return true;
  }
  if (high === '\ud82f') {
    return low >= '\udca0' && low <= '\udca3';
  }
  return high === '\ud834' && low >= '\udd73' && low <= '\udd7a';
}

// The UTF-16 units of `text` without those in `hidden` and without astral default-ignorables.
function visibleUnits(text, hidden) {
  const units = text.split('');
  return units.filter((ch, i) => {
    if (hidden[ch]) {
      return false;
    }
    if (ch >= '\ud800' && ch <= '\udbff') {
      return !astralIgnorable(ch, units[i + 1] || '');
    }
    if (ch >= '\udc00' && ch <= '\udfff') {
      return i === 0 || !astralIgnorable(units[i - 1], ch);
    }
    return true;
  });
}

// Blocked terms match the text as people read it, not as it is encoded. Terms (when a moderator
// sets them) and each message are folded here the same way, once: NFKD (full-width and other
// compatibility forms to their plain letters, accents apart), lower case and the case folds
// lower case misses, combining marks and default-ignorable characters (zero-width joiners,
// variation selectors, bidi controls) dropped, common Cyrillic and Greek look-alikes of Latin
// letters mapped to them, NFC; separators become single spaces. checkSendAllowed only compares.
// (APPSYNC_JS has no charCodeAt or regex classes: the character sets are strings, looked up
// through an object.)
// Combining marks: dropped from blocked-term text (an accent-only difference still matches).
const COMBINING = '\u0300\u0301\u0302\u0303\u0304\u0305\u0306\u0307\u0308\u0309\u030a\u030b\u030c\u030d\u030e\u030f\u0310\u0311\u0312\u0313\u0314\u0315\u0316\u0317\u0318\u0319\u031a\u031b\u031c\u031d\u031e\u031f\u0320\u0321\u0322\u0323\u0324\u0325\u0326\u0327\u0328\u0329\u032a\u032b\u032c\u032d\u032e\u032f\u0330\u0331\u0332\u0333\u0334\u0335\u0336\u0337\u0338\u0339\u033a\u033b\u033c\u033d\u033e\u033f\u0340\u0341\u0342\u0343\u0344\u0345\u0346\u0347\u0348\u0349\u034a\u034b\u034c\u034d\u034e\u034f\u0350\u0351\u0352\u0353\u0354\u0355\u0356\u0357\u0358\u0359\u035a\u035b\u035c\u035d\u035e\u035f\u0360\u0361\u0362\u0363\u0364\u0365\u0366\u0367\u0368\u0369\u036a\u036b\u036c\u036d\u036e\u036f\u1ab0\u1ab1\u1ab2\u1ab3\u1ab4\u1ab5\u1ab6\u1ab7\u1ab8\u1ab9\u1aba\u1abb\u1abc\u1abd\u1abe\u1abf\u1ac0\u1ac1\u1ac2\u1ac3\u1ac4\u1ac5\u1ac6\u1ac7\u1ac8\u1ac9\u1aca\u1acb\u1acc\u1acd\u1ace\u1acf\u1ad0\u1ad1\u1ad2\u1ad3\u1ad4\u1ad5\u1ad6\u1ad7\u1ad8\u1ad9\u1ada\u1adb\u1adc\u1add\u1ade\u1adf\u1ae0\u1ae1\u1ae2\u1ae3\u1ae4\u1ae5\u1ae6\u1ae7\u1ae8\u1ae9\u1aea\u1aeb\u1aec\u1aed\u1aee\u1aef\u1af0\u1af1\u1af2\u1af3\u1af4\u1af5\u1af6\u1af7\u1af8\u1af9\u1afa\u1afb\u1afc\u1afd\u1afe\u1aff\u1dc0\u1dc1\u1dc2\u1dc3\u1dc4\u1dc5\u1dc6\u1dc7\u1dc8\u1dc9\u1dca\u1dcb\u1dcc\u1dcd\u1dce\u1dcf\u1dd0\u1dd1\u1dd2\u1dd3\u1dd4\u1dd5\u1dd6\u1dd7\u1dd8\u1dd9\u1dda\u1ddb\u1ddc\u1ddd\u1dde\u1ddf\u1de0\u1de1\u1de2\u1de3\u1de4\u1de5\u1de6\u1de7\u1de8\u1de9\u1dea\u1deb\u1dec\u1ded\u1dee\u1def\u1df0\u1df1\u1df2\u1df3\u1df4\u1df5\u1df6\u1df7\u1df8\u1df9\u1dfa\u1dfb\u1dfc\u1dfd\u1dfe\u1dff\u20d0\u20d1\u20d2\u20d3\u20d4\u20d5\u20d6\u20d7\u20d8\u20d9\u20da\u20db\u20dc\u20dd\u20de\u20df\u20e0\u20e1\u20e2\u20e3\u20e4\u20e5\u20e6\u20e7\u20e8\u20e9\u20ea\u20eb\u20ec\u20ed\u20ee\u20ef\u20f0\u20f1\u20f2\u20f3\u20f4\u20f5\u20f6\u20f7\u20f8\u20f9\u20fa\u20fb\u20fc\u20fd\u20fe\u20ff\ufe20\ufe21\ufe22\ufe23\ufe24\ufe25\ufe26\ufe27\ufe28\ufe29\ufe2a\ufe2b\ufe2c\ufe2d\ufe2e\ufe2f';
const SEPARATORS = '\u0020\u0009\u000a\u000d\u000c\u000b\u00a0\u3000\u0021\u0022\u0023\u0024\u0025\u0026\u0027\u0028\u0029\u002a\u002b\u002c\u002d\u002e\u002f\u003a\u003b\u003c\u003d\u003e\u003f\u0040\u005b\u005c\u005d\u005e\u0060\u007b\u007c\u007d\u007e\u2026\u2018\u2019\u201c\u201d\u00ab\u00bb\u00bf\u00a1\u3001\u3002\uff0c\uff01\uff1f\uff1a\uff1b\uff08\uff09\u3010\u3011\u300c\u300d\u300e\u300f\u30fb\u2014\u2013';
const LOOKALIKES = { '\u0430': 'a', '\u0435': 'e', '\u043e': 'o', '\u0440': 'p', '\u0441': 'c', '\u0443': 'y', '\u0445': 'x', '\u0456': 'i', '\u0458': 'j', '\u0455': 's', '\u0501': 'd', '\u0261': 'g', '\u04bb': 'h', '\u04cf': 'l', '\u043a': 'k', '\u043c': 'm', '\u0442': 't', '\u0432': 'b', '\u043d': 'h', '\u03bf': 'o', '\u03b9': 'i', '\u03bd': 'v', '\u03c1': 'p', '\u03ba': 'k', '\u03c4': 't', '\u03c5': 'u', '\u03c7': 'x', '\u03b1': 'a', '\u03b5': 'e' };
const CASE_FOLDS = { '\u00df': 'ss', '\u03c2': '\u03c3', '\u1e9e': 'ss' };

function lookup(chars) {
  const table = {};
  chars.split('').forEach((ch) => {
    table[ch] = true;
  });
  return table;
}

const SEPARATOR_SET = lookup(SEPARATORS);
// Dropped from blocked-term text: marks, invisible characters, and controls that separate nothing.
const DROPPED_SET = lookup(COMBINING + IGNORABLE + CONTROLS.split('').filter((ch) => !SEPARATOR_SET[ch]).join(''));
// Dropped from display names.
const HIDDEN_SET = lookup(CONTROLS + IGNORABLE);

// ' a b c ': the folded words between single spaces, so ' b ' finds the word b only.
function matchForm(text) {
  const separators = SEPARATOR_SET;
  const plain = visibleUnits(util.str.normalize(text, 'nfkd').toLowerCase(), DROPPED_SET)
    .map((ch) => CASE_FOLDS[ch] || LOOKALIKES[ch] || (separators[ch] ? ' ' : ch))
    .join('');
  const words = util.str
    .normalize(plain, 'nfc')
    .split(' ')
    .filter((word) => word.length > 0);
  return ` ${words.join(' ')} `;
}

// A term as stored and matched: its folded words; without spaces when it has a caseless letter
// (separators are ignored inside such text).
function termForm(raw) {
  const words = matchForm(raw).trim();
  const caseless = words.split('').some((ch) => ch.toLowerCase() === ch.toUpperCase() && ch !== ' ' && (ch < '0' || ch > '9'));
  return caseless ? words.split(' ').join('') : words;
}

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
      const trimmed = raw.trim();
      if (trimmed.length < 1 || trimmed.length > MAX_BLOCKED_TERM_LENGTH) {
        invalid(`each blocked term must be 1-${MAX_BLOCKED_TERM_LENGTH} characters after trimming`, 'blockedTerms');
      }
      const term = termForm(trimmed);
      if (term === '') {
        invalid(`blocked term "${trimmed}" has no letter or digit to match`, 'blockedTerms');
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

// A display name from a token: invisible and control characters removed, trimmed and bounded;
// the stable id when nothing is left.
function displayName(value, fallback) {
  if (typeof value !== 'string') {
    return fallback;
  }
  // Bounded before the per-character pass: a token's claim can be long.
  const name = visibleUnits(value.slice(0, 4 * MAX_NAME_LENGTH), HIDDEN_SET).join('').trim();
  if (name === '') {
    return fallback;
  }
  if (name.length <= MAX_NAME_LENGTH) {
    return name;
  }
  const cut = name.slice(0, MAX_NAME_LENGTH);
  const last = cut.slice(-1);
  return last >= '\ud800' && last <= '\udbff' ? cut.slice(0, -1) : cut; // not half a character
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
    ctx.stash.matchText = matchForm(text);
  }
  return { payload: null };
}

export function response(ctx) {
  return ctx.result;
}
