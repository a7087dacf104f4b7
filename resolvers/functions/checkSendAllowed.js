// sendMessage / replyToMessage, after validateArgs: may this caller post this text in this
// room now? One BatchGetItem (consistent) reads the room's SETTINGS row, the caller's BAN
// row and their slow-mode state together: the only read a message adds. Refusals write
// nothing: Forbidden (banned or timed out), Blocked (a blocked term), SlowMode (too soon).
// The slow-mode state itself is written with the message, conditionally (putMessage,
// writeReply), so two racing messages cannot both pass.
import { util } from '@aws-appsync/utils';

// Blocked terms match the text as people read it, not as it is encoded. Both sides are folded:
// NFKD (full-width and other compatibility forms to their plain letters, accents apart), lower
// case, combining marks and default-ignorable characters (zero-width joiners, variation
// selectors, bidi controls) dropped, common Cyrillic and Greek look-alikes of Latin letters
// mapped to them, NFC. Terms in scripts with letter case or digits match whole words; a term
// with a caseless letter (CJK, Thai, ...) matches anywhere in the text, separators ignored, as
// those scripts write words without spaces. (APPSYNC_JS has no charCodeAt or regex classes:
// the character sets are strings, looked up through an object.)
const DROPPED = '\u0300\u0301\u0302\u0303\u0304\u0305\u0306\u0307\u0308\u0309\u030a\u030b\u030c\u030d\u030e\u030f\u0310\u0311\u0312\u0313\u0314\u0315\u0316\u0317\u0318\u0319\u031a\u031b\u031c\u031d\u031e\u031f\u0320\u0321\u0322\u0323\u0324\u0325\u0326\u0327\u0328\u0329\u032a\u032b\u032c\u032d\u032e\u032f\u0330\u0331\u0332\u0333\u0334\u0335\u0336\u0337\u0338\u0339\u033a\u033b\u033c\u033d\u033e\u033f\u0340\u0341\u0342\u0343\u0344\u0345\u0346\u0347\u0348\u0349\u034a\u034b\u034c\u034d\u034e\u034f\u0350\u0351\u0352\u0353\u0354\u0355\u0356\u0357\u0358\u0359\u035a\u035b\u035c\u035d\u035e\u035f\u0360\u0361\u0362\u0363\u0364\u0365\u0366\u0367\u0368\u0369\u036a\u036b\u036c\u036d\u036e\u036f\u1ab0\u1ab1\u1ab2\u1ab3\u1ab4\u1ab5\u1ab6\u1ab7\u1ab8\u1ab9\u1aba\u1abb\u1abc\u1abd\u1abe\u1abf\u1ac0\u1ac1\u1ac2\u1ac3\u1ac4\u1ac5\u1ac6\u1ac7\u1ac8\u1ac9\u1aca\u1acb\u1acc\u1acd\u1ace\u1acf\u1ad0\u1ad1\u1ad2\u1ad3\u1ad4\u1ad5\u1ad6\u1ad7\u1ad8\u1ad9\u1ada\u1adb\u1adc\u1add\u1ade\u1adf\u1ae0\u1ae1\u1ae2\u1ae3\u1ae4\u1ae5\u1ae6\u1ae7\u1ae8\u1ae9\u1aea\u1aeb\u1aec\u1aed\u1aee\u1aef\u1af0\u1af1\u1af2\u1af3\u1af4\u1af5\u1af6\u1af7\u1af8\u1af9\u1afa\u1afb\u1afc\u1afd\u1afe\u1aff\u1dc0\u1dc1\u1dc2\u1dc3\u1dc4\u1dc5\u1dc6\u1dc7\u1dc8\u1dc9\u1dca\u1dcb\u1dcc\u1dcd\u1dce\u1dcf\u1dd0\u1dd1\u1dd2\u1dd3\u1dd4\u1dd5\u1dd6\u1dd7\u1dd8\u1dd9\u1dda\u1ddb\u1ddc\u1ddd\u1dde\u1ddf\u1de0\u1de1\u1de2\u1de3\u1de4\u1de5\u1de6\u1de7\u1de8\u1de9\u1dea\u1deb\u1dec\u1ded\u1dee\u1def\u1df0\u1df1\u1df2\u1df3\u1df4\u1df5\u1df6\u1df7\u1df8\u1df9\u1dfa\u1dfb\u1dfc\u1dfd\u1dfe\u1dff\u20d0\u20d1\u20d2\u20d3\u20d4\u20d5\u20d6\u20d7\u20d8\u20d9\u20da\u20db\u20dc\u20dd\u20de\u20df\u20e0\u20e1\u20e2\u20e3\u20e4\u20e5\u20e6\u20e7\u20e8\u20e9\u20ea\u20eb\u20ec\u20ed\u20ee\u20ef\u20f0\u20f1\u20f2\u20f3\u20f4\u20f5\u20f6\u20f7\u20f8\u20f9\u20fa\u20fb\u20fc\u20fd\u20fe\u20ff\ufe20\ufe21\ufe22\ufe23\ufe24\ufe25\ufe26\ufe27\ufe28\ufe29\ufe2a\ufe2b\ufe2c\ufe2d\ufe2e\ufe2f\ufe00\ufe01\ufe02\ufe03\ufe04\ufe05\ufe06\ufe07\ufe08\ufe09\ufe0a\ufe0b\ufe0c\ufe0d\ufe0e\ufe0f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180e\u180f\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064\u2065\u2066\u2067\u2068\u2069\u206a\u206b\u206c\u206d\u206e\u206f\u3164\ufeff\uffa0';
const SEPARATORS = '\u0020\u0009\u000a\u000d\u000c\u000b\u00a0\u3000\u0021\u0022\u0023\u0024\u0025\u0026\u0027\u0028\u0029\u002a\u002b\u002c\u002d\u002e\u002f\u003a\u003b\u003c\u003d\u003e\u003f\u0040\u005b\u005c\u005d\u005e\u0060\u007b\u007c\u007d\u007e\u2026\u2018\u2019\u201c\u201d\u00ab\u00bb\u00bf\u00a1\u3001\u3002\uff0c\uff01\uff1f\uff1a\uff1b\uff08\uff09\u3010\u3011\u300c\u300d\u300e\u300f\u30fb\u2014\u2013';
const LOOKALIKES = { '\u0430': 'a', '\u0435': 'e', '\u043e': 'o', '\u0440': 'p', '\u0441': 'c', '\u0443': 'y', '\u0445': 'x', '\u0456': 'i', '\u0458': 'j', '\u0455': 's', '\u0501': 'd', '\u0261': 'g', '\u04bb': 'h', '\u04cf': 'l', '\u043a': 'k', '\u043c': 'm', '\u0442': 't', '\u0432': 'b', '\u043d': 'h', '\u03bf': 'o', '\u03b9': 'i', '\u03bd': 'v', '\u03c1': 'p', '\u03ba': 'k', '\u03c4': 't', '\u03c5': 'u', '\u03c7': 'x', '\u03b1': 'a', '\u03b5': 'e' };

function lookup(chars) {
  const table = {};
  chars.split('').forEach((ch) => {
    table[ch] = true;
  });
  return table;
}

function fold(text, dropped) {
  const plain = util.str
    .normalize(text, 'nfkd')
    .toLowerCase()
    .split('')
    .filter((ch) => !dropped[ch])
    .map((ch) => LOOKALIKES[ch] || ch)
    .join('');
  return util.str.normalize(plain, 'nfc');
}

// ' a b c ': runs of separators as one space, padded, so ' b ' finds the word b only.
function spaced(folded, separators) {
  const words = folded
    .split('')
    .map((ch) => (separators[ch] ? ' ' : ch))
    .join('')
    .split(' ')
    .filter((word) => word.length > 0);
  return ` ${words.join(' ')} `;
}

function blocked(message, terms) {
  const dropped = lookup(DROPPED);
  const separators = lookup(SEPARATORS);
  const text = fold(message, dropped);
  const words = spaced(text, separators);
  const compact = words.split(' ').join('');
  return terms.some((raw) => {
    const term = fold(raw, dropped);
    const termWords = spaced(term, separators);
    const termCompact = termWords.split(' ').join('');
    if (termCompact === '') {
      return false;
    }
    const caseless = termCompact
      .split('')
      .some((ch) => ch.toLowerCase() === ch.toUpperCase() && (ch < '0' || ch > '9'));
    return caseless ? compact.indexOf(termCompact) >= 0 : words.indexOf(termWords) >= 0;
  });
}

export function request(ctx) {
  const { roomId } = ctx.args;
  const sender = ctx.stash.caller.id;
  return {
    operation: 'BatchGetItem',
    tables: {
      [ctx.env.TABLE_NAME]: {
        keys: [
          util.dynamodb.toMapValues({ pk: `ROOM#${roomId}`, sk: 'SETTINGS' }),
          util.dynamodb.toMapValues({ pk: `ROOM#${roomId}#USER#${sender}`, sk: 'BAN' }),
          util.dynamodb.toMapValues({ pk: `ROOM#${roomId}#USER#${sender}`, sk: 'SLOWMODE' }),
        ],
        consistentRead: true,
      },
    },
  };
}

export function response(ctx) {
  if (ctx.error) {
    util.error(ctx.error.message, ctx.error.type);
  }
  const table = ctx.env.TABLE_NAME;
  const unprocessed = ctx.result.unprocessedKeys[table] || [];
  if (unprocessed.length > 0) {
    util.error('the room is busy; try again', 'Throttled');
  }
  const rows = ctx.result.data[table];
  const settings = rows[0];
  const ban = rows[1];
  const slow = rows[2];
  const nowMs = util.time.nowEpochMilliSeconds();
  // A timeout ends at its time, whether or not TTL has deleted the row yet.
  if (ban && (!ban.expiresAt || ban.expiresAt * 1000 > nowMs)) {
    const until = ban.expiresAt ? ` until ${util.time.epochMilliSecondsToISO8601(ban.expiresAt * 1000)}` : '';
    util.error(`you are banned from room ${ctx.args.roomId}${until}`, 'Forbidden');
  }
  const terms = (settings && settings.blockedTerms) || [];
  if (terms.length > 0) {
    if (blocked(ctx.stash.message, terms)) {
      util.error('the message contains a term blocked in this room', 'Blocked');
    }
  }
  const slowModeSeconds = (settings && settings.slowModeSeconds) || 0;
  ctx.stash.slowMode = null;
  if (slowModeSeconds > 0 && !ctx.stash.caller.isModerator) {
    const nextAllowedMs = slow ? slow.lastSentAt + slowModeSeconds * 1000 : 0;
    if (nextAllowedMs > nowMs) {
      const waitSeconds = Math.ceil((nextAllowedMs - nowMs) / 1000);
      util.error(
        `slow mode: one message per ${slowModeSeconds} s; you may send again in ${waitSeconds} s`,
        'SlowMode',
        null,
        { retryAfterSeconds: waitSeconds, retryAt: util.time.epochMilliSecondsToISO8601(nextAllowedMs) },
      );
    }
    // The transaction item that records this message's time, for putMessage/writeReply to
    // add to their write: it fails (SlowMode) if another message got in since this read.
    ctx.stash.slowMode = {
      seconds: slowModeSeconds,
      item: {
        table: ctx.env.TABLE_NAME,
        operation: 'PutItem',
        key: util.dynamodb.toMapValues({ pk: `ROOM#${ctx.args.roomId}#USER#${ctx.stash.caller.id}`, sk: 'SLOWMODE' }),
        attributeValues: util.dynamodb.toMapValues({
          type: 'SLOWMODE',
          lastSentAt: nowMs,
          expiresAt: Math.ceil(nowMs / 1000) + slowModeSeconds,
        }),
        condition: {
          expression: 'attribute_not_exists(pk) OR lastSentAt <= :cutoff',
          expressionValues: util.dynamodb.toMapValues({ ':cutoff': nowMs - slowModeSeconds * 1000 }),
        },
      },
    };
  }
  return null;
}
