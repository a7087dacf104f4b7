// sendMessage / replyToMessage, after validateArgs: may this caller post this text in this
// room now? One BatchGetItem (consistent) reads the room's SETTINGS row, the caller's BAN
// row and their slow-mode state together: the only read a message adds. Refusals write
// nothing: Forbidden (banned or timed out), Blocked (a blocked term), SlowMode (too soon).
// The slow-mode state itself is written with the message, conditionally (putMessage,
// writeReply), so two racing messages cannot both pass.
import { util } from '@aws-appsync/utils';

// Blocked terms: validateArgs folded the stored terms (when they were set) and this message
// (ctx.stash.matchText: words between single spaces) the same way, so matching here is only
// look-ups. A term with a space is words; a term with a caseless letter (CJK, Thai, ...) matches
// anywhere in the text, separators ignored, as those scripts write words without spaces; any
// other term matches whole words.
function caseless(term) {
  return term.split('').some((ch) => ch.toLowerCase() === ch.toUpperCase() && (ch < '0' || ch > '9'));
}

function blocked(words, terms) {
  const compact = words.split(' ').join('');
  return terms.some((term) => {
    if (term.indexOf(' ') < 0 && caseless(term)) {
      return compact.indexOf(term) >= 0;
    }
    return words.indexOf(` ${term} `) >= 0;
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
    if (blocked(ctx.stash.matchText, terms)) {
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
