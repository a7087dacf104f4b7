// APPSYNC_JS runtime library: util, runtime, extensions (see @aws-appsync/utils d.ts).
// QuickJS cannot call into Python while a time limit is set, so the host passes the clock
// reading and a supply of ids into every call (see appsync_local/engine.py).
(function () {
  'use strict';
  const state = { errors: [], extensions: {}, info: {}, authType: null, nowMs: 0, logs: [],
    ids: { uuid: [], ulid: [], ksuid: [] }, idDemand: { uuid: 0, ulid: 0, ksuid: 0 }, idSeq: [] };
  const PLACEHOLDER_IDS = { uuid: '00000000-0000-4000-8000-000000000000', ulid: '00000000000000000000000000',
    ksuid: '000000000000000000000000000' };
  // Ids come from the host's supply; when it runs short the call is repeated with more ids.
  function takeId(kind) {
    state.idDemand[kind] += 1;
    state.idSeq.push(kind);
    const pool = state.ids[kind] || [];
    return state.idDemand[kind] <= pool.length ? pool[state.idDemand[kind] - 1] : PLACEHOLDER_IDS[kind];
  }
  function nowMs() { return state.nowMs; }

  // UTF-8 and the codecs of util (java.net.URLEncoder semantics for urlEncode).
  function utf8Bytes(s) {
    const out = [];
    encodeURIComponent(s).replace(/%([0-9A-F]{2})|[\s\S]/g, function (m, hex) {
      out.push(hex ? parseInt(hex, 16) : m.charCodeAt(0)); return '';
    });
    return out;
  }
  function utf8Decode(bytes) {
    return decodeURIComponent(bytes.map(function (b) { return '%' + (b < 16 ? '0' : '') + b.toString(16); }).join(''));
  }
  const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  function base64Encode(s) {
    const b = utf8Bytes(String(s)); let out = '';
    for (let i = 0; i < b.length; i += 3) {
      const n = (b[i] << 16) | ((b[i + 1] || 0) << 8) | (b[i + 2] || 0);
      out += B64[(n >> 18) & 63] + B64[(n >> 12) & 63] + (i + 1 < b.length ? B64[(n >> 6) & 63] : '=') +
        (i + 2 < b.length ? B64[n & 63] : '=');
    }
    return out;
  }
  function base64Decode(s) {
    const clean = String(s).replace(/[^A-Za-z0-9+/]/g, ''); const bytes = [];
    for (let i = 0; i < clean.length; i += 4) {
      const c = [0, 1, 2, 3].map(function (k) { return i + k < clean.length ? B64.indexOf(clean[i + k]) : -1; });
      const n = (c[0] << 18) | (c[1] << 12) | ((c[2] < 0 ? 0 : c[2]) << 6) | (c[3] < 0 ? 0 : c[3]);
      bytes.push((n >> 16) & 255);
      if (c[2] >= 0) bytes.push((n >> 8) & 255);
      if (c[3] >= 0) bytes.push(n & 255);
    }
    return utf8Decode(bytes);
  }
// util.matches is java.util.regex.Pattern (AWS: "The functionality is based on Pattern"): the
// POSIX classes are US-ASCII (\p{Alpha} is [a-zA-Z]), leading inline flags ((?i), (?s), (?m))
// apply to the whole pattern, \A and \z anchor. Translated to the JavaScript equivalent.
const POSIX_CLASSES = {
  Lower: 'a-z', Upper: 'A-Z', ASCII: '\\x00-\\x7F', Alpha: 'a-zA-Z', Digit: '0-9', Alnum: 'a-zA-Z0-9',
  Punct: '!-\\/:-@\\[-`{-~', Graph: '!-~', Print: ' -~', Blank: ' \\t', Cntrl: '\\x00-\\x1F\\x7F',
  XDigit: '0-9a-fA-F', Space: ' \\t\\n\\x0B\\f\\r',
};

function javaRegExp(pattern) {
  let flags = '';
  let source = pattern;
  const leading = /^\(\?([imsux]+)\)/.exec(source);
  if (leading) {
    source = source.slice(leading[0].length);
    for (const flag of leading[1]) {
      if ('ims'.indexOf(flag) >= 0 && flags.indexOf(flag) < 0) flags += flag;
    }
  }
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\' && i + 1 < source.length) {
      const next = source[i + 1];
      const posix = /^[pP]\{(?:Is)?(\w+)\}/.exec(source.slice(i + 1));
      if (posix && POSIX_CLASSES[posix[1]] !== undefined) {
        const ranges = POSIX_CLASSES[posix[1]];
        if (next === 'P' && inClass) {
          throw new Error('util.matches: a negated POSIX class (\\P{' + posix[1] + '}) inside [...] is not supported locally');
        }
        out += next === 'P' ? '[^' + ranges + ']' : inClass ? ranges : '[' + ranges + ']';
        i += posix[0].length;
        continue;
      }
      if (!inClass && next === 'A') { out += '^'; i++; continue; }
      if (!inClass && (next === 'z' || next === 'Z')) { out += '$'; i++; continue; }
      if (posix && flags.indexOf('u') < 0) flags += 'u'; // a Unicode category (\p{L}): JavaScript needs u
      out += c + next;
      i++;
      continue;
    }
    if (c === '[' && !inClass) inClass = true;
    else if (c === ']' && inClass) inClass = false;
    out += c;
  }
  return { source: out, flags: flags };
}

// Compiled once per pattern (resolvers call util.matches with a handful of constant patterns on
// every request); bounded, so a resolver matching data-driven patterns cannot grow it forever.
const MATCH_CACHE = new Map();
const MATCH_CACHE_SIZE = 256;

function wholeMatch(pattern) {
  let compiled = MATCH_CACHE.get(pattern);
  if (compiled === undefined) {
    const java = javaRegExp(pattern);
    compiled = new RegExp('^(?:' + java.source + ')$', java.flags);
    if (MATCH_CACHE.size >= MATCH_CACHE_SIZE) MATCH_CACHE.clear();
    MATCH_CACHE.set(pattern, compiled);
  }
  return compiled;
}

function urlEncode(s) {
    return encodeURIComponent(String(s)).replace(/[!'()~]/g, function (c) {
      return '%' + c.charCodeAt(0).toString(16).toUpperCase();
    }).replace(/%20/g, '+');
  }
  function urlDecode(s) { return decodeURIComponent(String(s).replace(/\+/g, ' ')); }

  function AppSyncError(payload) { this.payload = payload; }
  function EarlyReturn(value, skipTo) { this.value = value; this.skipTo = skipTo; }

  function clone(value) { return value === undefined ? undefined : JSON.parse(JSON.stringify(value)); }

  // ---------------------------------------------------------------- dynamodb
  function toDynamoDB(value) {
    if (value === null || value === undefined) return { NULL: null };
    if (typeof value === 'string') return { S: value };
    if (typeof value === 'number') return { N: value };
    if (typeof value === 'boolean') return { BOOL: value };
    if (Array.isArray(value)) return { L: value.map(toDynamoDB) };
    if (typeof value === 'object') return { M: toMapValues(value) };
    throw new TypeError('cannot convert ' + typeof value + ' to a DynamoDB value');
  }
  function toMapValues(obj) {
    if (obj === null || obj === undefined) return null;
    const out = {};
    Object.keys(obj).forEach(function (k) {
      if (obj[k] !== undefined) out[k] = toDynamoDB(obj[k]);
    });
    return out;
  }
  function nullable(fn) { return function (v) { return v === null || v === undefined ? null : fn(v); }; }
  const dynamodb = {
    toDynamoDB: toDynamoDB,
    toMapValues: toMapValues,
    toMap: function (v) { return v === null || v === undefined ? null : { M: toMapValues(v) }; },
    toList: function (v) { return v === null || v === undefined ? null : { L: v.map(toDynamoDB) }; },
    toString: nullable(function (v) { return { S: v }; }),
    toNumber: nullable(function (v) { return { N: v }; }),
    toBoolean: nullable(function (v) { return { BOOL: v }; }),
    toBinary: nullable(function (v) { return { B: v }; }),
    toStringSet: nullable(function (v) { return { SS: v.slice() }; }),
    toNumberSet: nullable(function (v) { return { NS: v.slice() }; }),
    toBinarySet: nullable(function (v) { return { BS: v.slice() }; }),
    toNull: function () { return { NULL: null }; },
    toS3Object: function (key, bucket, region, version) {
      const s3 = { key: key, bucket: bucket, region: region };
      if (version !== undefined && version !== null) s3.version = version;
      return { S: JSON.stringify({ s3: s3 }) };
    },
    fromS3ObjectJson: function (s) { return JSON.parse(s).s3; },
  };

  // ---------------------------------------------------------------- time
  // java.time semantics: DateTimeFormatter patterns, ZoneId names and offsets, Instant.toString.
  // Named zones come from the host's tz database: a zone not yet loaded stops the call with
  // ZoneMissing, the host loads its transitions into `zones` and runs the call again.
  const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
  const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September',
    'October', 'November', 'December'];
  const zones = {};  // name -> [[startEpochMs, offsetSeconds], ...] (ascending), or null: unknown zone
  function ZoneMissing(zone) { this.zone = zone; }
  function pad(n, w) { let s = String(Math.abs(n)); while (s.length < w) s = '0' + s; return (n < 0 ? '-' : '') + s; }
  const FIXED_OFFSET = /^(?:UTC|GMT|UT)?([+-])(\d{1,2})(?::?(\d{2}))?(?::?(\d{2}))?$/;
  function zoneOffsetSeconds(zone, utcMs) {
    if (zone === undefined || zone === null || zone === 'Z' || zone === 'UTC' || zone === 'GMT' || zone === 'UT') {
      return 0;
    }
    const name = String(zone);
    const m = FIXED_OFFSET.exec(name);
    if (m) {
      const seconds = Number(m[2]) * 3600 + Number(m[3] || 0) * 60 + Number(m[4] || 0);
      if (Number(m[2]) > 18 || seconds > 18 * 3600) throw new Error('Zone offset not in valid range: ' + name);
      return (m[1] === '-' ? -1 : 1) * seconds;
    }
    if (!Object.prototype.hasOwnProperty.call(zones, name)) throw new ZoneMissing(name);
    const table = zones[name];
    if (table === null) throw new Error('Unknown time-zone ID: ' + name);
    let lo = 0; let hi = table.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (table[mid][0] <= utcMs) lo = mid; else hi = mid - 1;
    }
    return table[lo][1];
  }
  // ISO offset text: seconds shown only when asked for and non-zero (java's +HH:MM:ss).
  function offsetText(seconds, colon, withSeconds, zeroAsZ, optionalMinutes) {
    if (seconds === 0 && zeroAsZ) return 'Z';
    const a = Math.abs(seconds);
    const h = Math.floor(a / 3600); const m = Math.floor((a % 3600) / 60); const s = a % 60;
    let out = (seconds < 0 ? '-' : '+') + pad(h, 2);
    if (!(optionalMinutes && m === 0)) out += (colon ? ':' : '') + pad(m, 2);
    if (withSeconds && s !== 0) out += (colon ? ':' : '') + pad(s, 2);
    return out;
  }
  // DateTimeFormatter pattern -> tokens: {f: letter, n: count}, {lit: text}, {opt: [tokens]} for [...].
  function tokenize(format) {
    const stack = [[]];
    let i = 0;
    while (i < format.length) {
      const c = format[i]; const tokens = stack[stack.length - 1];
      if (c === "'") {
        let j = i + 1; let lit = '';
        while (j < format.length) {
          if (format[j] === "'") {
            if (format[j + 1] === "'") { lit += "'"; j += 2; continue; }
            break;
          }
          lit += format[j]; j += 1;
        }
        tokens.push({ lit: i + 1 === j ? "'" : lit }); i = j + 1;
      } else if (c === '[') {
        const group = []; tokens.push({ opt: group }); stack.push(group); i += 1;
      } else if (c === ']') {
        if (stack.length > 1) stack.pop(); i += 1;
      } else if (/[A-Za-z]/.test(c)) {
        let j = i; while (j < format.length && format[j] === c) j += 1;
        if ('GuyDMLdQqYwWEecFaBhKkHmsSAnNVvzOXxZp'.indexOf(c) < 0) {
          throw new Error('Unknown pattern letter: ' + c);
        }
        tokens.push({ f: c, n: j - i }); i = j;
      } else { tokens.push({ lit: c }); i += 1; }
    }
    return stack[0];
  }
  function formatTokens(tokens, d, off, zone) {
    return tokens.map(function (t) {
      if (t.lit !== undefined) return t.lit;
      if (t.opt) return formatTokens(t.opt, d, off, zone);
      const n = t.n;
      switch (t.f) {
        case 'y': case 'u': case 'Y': return n === 2 ? pad(d.getUTCFullYear() % 100, 2) : pad(d.getUTCFullYear(), n);
        case 'M': case 'L': return n >= 4 ? MONTHS[d.getUTCMonth()] : n === 3 ? MONTHS[d.getUTCMonth()].slice(0, 3)
          : pad(d.getUTCMonth() + 1, n);
        case 'd': return pad(d.getUTCDate(), n);
        case 'D': { const start = Date.UTC(d.getUTCFullYear(), 0, 1);
          return pad(Math.floor((d.getTime() - start) / 86400000) + 1, n); }
        case 'H': return pad(d.getUTCHours(), n);
        case 'k': return pad(d.getUTCHours() === 0 ? 24 : d.getUTCHours(), n);
        case 'K': return pad(d.getUTCHours() % 12, n);
        case 'h': return pad(d.getUTCHours() % 12 === 0 ? 12 : d.getUTCHours() % 12, n);
        case 'm': return pad(d.getUTCMinutes(), n);
        case 's': return pad(d.getUTCSeconds(), n);
        case 'S': return (pad(d.getUTCMilliseconds(), 3) + '000000').slice(0, n);
        case 'A': return String(d.getUTCHours() * 3600000 + d.getUTCMinutes() * 60000 + d.getUTCSeconds() * 1000 +
          d.getUTCMilliseconds());
        case 'a': return d.getUTCHours() < 12 ? 'AM' : 'PM';
        case 'E': case 'e': case 'c': return n >= 4 ? DAYS[d.getUTCDay()] : DAYS[d.getUTCDay()].slice(0, 3);
        case 'Z': return n === 4 ? (off === 0 ? 'GMT' : 'GMT' + offsetText(off, true, true, false))
          : n === 5 ? offsetText(off, true, true, true) : offsetText(off, false, false, false);
        case 'X': return n === 1 ? offsetText(off, false, false, true, true)
          : offsetText(off, n === 3 || n === 5, n >= 4, true);
        case 'x': return n === 1 ? offsetText(off, false, false, false, true)
          : offsetText(off, n === 3 || n === 5, n >= 4, false);
        case 'O': return off === 0 ? 'GMT' : 'GMT' + offsetText(off, true, true, false, n === 1);
        case 'V': case 'z': case 'v': return zone === undefined || zone === null ? 'Z' : String(zone);
        case 'G': return d.getUTCFullYear() > 0 ? 'AD' : 'BC';
        default: throw new Error('Unsupported pattern letter ' + t.f + ' in the local runtime');
      }
    }).join('');
  }
  function formatEpoch(ms, format, zone) {
    const tokens = tokenize(String(format));
    const off = zoneOffsetSeconds(zone, ms);
    return formatTokens(tokens, new Date(ms + off * 1000), off, zone);
  }
  function parseFormatted(text, format, zone) {
    text = String(text);
    let pos = 0; let off = null;
    let f = { y: 1970, M: 1, d: 1, H: 0, m: 0, s: 0, S: 0, pm: null };
    function fail() { throw new Error("Text '" + text + "' could not be parsed at index " + pos); }
    function num(maxLen) {
      const m = new RegExp('^[+-]?\\d{1,' + maxLen + '}').exec(text.slice(pos));
      if (!m) fail();
      pos += m[0].length; return Number(m[0]);
    }
    function parseTokens(tokens) {
      tokens.forEach(function (t) {
        if (t.lit !== undefined) {
          if (text.substr(pos, t.lit.length) !== t.lit) fail();
          pos += t.lit.length;
        } else if (t.opt) {
          // an optional section either parses whole or leaves no trace
          const saved = { pos: pos, off: off, f: Object.assign({}, f) };
          try { parseTokens(t.opt); } catch (e) { pos = saved.pos; off = saved.off; f = saved.f; }
        } else {
          parseField(t);
        }
      });
    }
    function parseField(t) {
      switch (t.f) {
        case 'y': case 'u': case 'Y': f.y = num(t.n === 2 ? 2 : 9); if (t.n === 2) f.y += 2000; break;
        case 'M': case 'L':
          if (t.n >= 3) {
            const idx = MONTHS.findIndex(function (name) {
              const s = t.n === 3 ? name.slice(0, 3) : name; return text.substr(pos, s.length) === s; });
            if (idx < 0) fail();
            pos += t.n === 3 ? 3 : MONTHS[idx].length; f.M = idx + 1;
          } else f.M = num(2);
          break;
        case 'd': f.d = num(2); break;
        case 'H': case 'h': case 'k': case 'K': f.H = num(2); break;
        case 'm': f.m = num(2); break;
        case 's': f.s = num(2); break;
        case 'S': { const start = pos; const v = num(t.n); const len = pos - start;
          f.S = Math.round(v * Math.pow(10, 3 - len)); break; }
        case 'a': f.pm = text.substr(pos, 2).toUpperCase() === 'PM'; pos += 2; break;
        case 'E': case 'e': case 'c': { const idx = DAYS.findIndex(function (name) {
          const s = t.n >= 4 ? name : name.slice(0, 3); return text.substr(pos, s.length) === s; });
          if (idx < 0) fail();
          pos += t.n >= 4 ? DAYS[idx].length : 3; break; }
        case 'Z': case 'X': case 'x': case 'O': {
          if (text[pos] === 'Z' && t.f !== 'x') { off = 0; pos += 1; break; }
          if (text.substr(pos, 3) === 'GMT') { pos += 3; if (text[pos] !== '+' && text[pos] !== '-') { off = 0; break; } }
          const m = /^([+-])(\d{2}):?(\d{2})?(?::?(\d{2}))?/.exec(text.slice(pos));
          if (!m) fail();
          off = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3] || 0) * 60 + Number(m[4] || 0));
          pos += m[0].length; break; }
        default: throw new Error('Unsupported pattern letter ' + t.f + ' in the local runtime');
      }
    }
    parseTokens(tokenize(String(format)));
    if (pos !== text.length) fail();
    if (f.pm !== null) { f.H = f.H % 12 + (f.pm ? 12 : 0); }
    const local = Date.UTC(f.y, f.M - 1, f.d, f.H, f.m, f.s, f.S);
    if (off === null) {
      // the zone's offset at that local time (java resolves a gap forward, an overlap to the earlier offset)
      const guess = zoneOffsetSeconds(zone, local);
      off = zoneOffsetSeconds(zone, local - guess * 1000);
    }
    return local - off * 1000;
  }
  // java.time.Instant.toString: the fraction only when it is not zero.
  function iso(ms) {
    const s = new Date(ms).toISOString();
    return s.slice(-5) === '.000Z' ? s.slice(0, -5) + 'Z' : s;
  }
  function requireNumber(name, v) {
    if (typeof v !== 'number' || !isFinite(v)) throw new TypeError(name + ' expects epoch milliseconds as a number');
    return v;
  }
  const time = {
    nowISO8601: function () { return iso(Math.floor(nowMs())); },
    nowEpochSeconds: function () { return Math.floor(nowMs() / 1000); },
    nowEpochMilliSeconds: function () { return Math.floor(nowMs()); },
    nowFormatted: function (format, zone) { return formatEpoch(Math.floor(nowMs()), format, zone); },
    parseFormattedToEpochMilliSeconds: function (text, format, zone) { return parseFormatted(text, format, zone); },
    parseISO8601ToEpochMilliSeconds: function (text) {
      const ms = Date.parse(text);
      if (isNaN(ms)) throw new Error("Text '" + text + "' could not be parsed at index 0");
      return ms;
    },
    epochMilliSecondsToSeconds: function (ms) { return Math.floor(requireNumber('epochMilliSecondsToSeconds', ms) / 1000); },
    epochMilliSecondsToISO8601: function (ms) { return iso(requireNumber('epochMilliSecondsToISO8601', ms)); },
    epochMilliSecondsToFormatted: function (ms, format, zone) {
      return formatEpoch(requireNumber('epochMilliSecondsToFormatted', ms), format, zone);
    },
  };
  // ---------------------------------------------------------------- transform
  // Filter objects -> DynamoDB expressions, in the form AppSync renders them (value names carry the
  // nesting: :and_0_a_eq; one member is not wrapped; an unrenderable filter gives null).
  const ATTRIBUTE_TYPES = { _null: 'NULL', string: 'S', stringSet: 'SS', number: 'N', numberSet: 'NS',
    binary: 'B', binarySet: 'BS', boolean: 'BOOL', list: 'L', map: 'M' };
  const COMPARATORS = { eq: '=', ne: '<>', le: '<=', lt: '<', ge: '>=', gt: '>' };
  function isPlainObject(v) { return v !== null && typeof v === 'object' && !Array.isArray(v); }
  function Unrenderable() {}
  function toDynamoDBExpression(filter) {
    const names = {}; const values = {};
    function operand(target, base, op, value, out) {
      const vn = base + '_' + op;
      if (COMPARATORS[op]) {
        values[vn] = toDynamoDB(value); out.push('(' + target + ' ' + COMPARATORS[op] + ' ' + vn + ')');
      } else if (op === 'contains' || op === 'notContains' || op === 'beginsWith') {
        values[vn] = toDynamoDB(value);
        const fn = op === 'beginsWith' ? 'begins_with' : 'contains';
        out.push('(' + (op === 'notContains' ? 'NOT ' : '') + fn + '(' + target + ',' + vn + '))');
      } else if (op === 'between') {
        if (!Array.isArray(value) || value.length < 2) throw new Unrenderable();
        values[vn + '_start'] = toDynamoDB(value[0]); values[vn + '_end'] = toDynamoDB(value[1]);
        out.push('(' + target + ' BETWEEN ' + vn + '_start AND ' + vn + '_end)');
      } else if (op === 'in') {
        if (!Array.isArray(value)) throw new Unrenderable();
        if (value.length === 0) { out.push('(null)'); return; }
        const list = value.map(function (x, i) { values[vn + '_' + i] = toDynamoDB(x); return vn + '_' + i; });
        out.push('(' + target + ' IN (' + list.join(', ') + '))');
      } else if (op === 'attributeExists') {
        if (typeof value !== 'boolean') throw new Unrenderable();
        out.push('(' + (value ? 'attribute_exists(' : 'attribute_not_exists(') + target + '))');
      } else if (op === 'attributeType') {
        if (!Object.prototype.hasOwnProperty.call(ATTRIBUTE_TYPES, value)) throw new Unrenderable();
        values[vn] = { S: ATTRIBUTE_TYPES[value] };
        out.push('(attribute_type(' + target + ',' + vn + '))');
      } else if (op === 'size') {
        if (!isPlainObject(value)) throw new Unrenderable();
        const sized = target.indexOf('size(') === 0 ? target : 'size(' + target + ')';
        Object.keys(value).forEach(function (k) { operand(sized, vn, k, value[k], out); });
      } else {
        throw new Unrenderable();
      }
    }
    function render(obj, prefix) {
      if (!isPlainObject(obj)) throw new Unrenderable();
      return Object.keys(obj).map(function (key) {
        const v = obj[key];
        if (key === 'and' || key === 'or') {
          if (!Array.isArray(v)) throw new Unrenderable();
          const members = v.map(function (m, i) { return render(m, prefix + key + '_' + i + '_'); });
          return members.length === 1 ? members[0]
            : members.length === 0 ? '' : '(' + members.join(' ' + key.toUpperCase() + ' ') + ')';
        }
        if (key === 'not') return '(NOT ' + render(v, prefix + 'not_') + ')';
        if (!isPlainObject(v)) throw new Unrenderable();
        names['#' + key] = key;
        const conditions = [];
        Object.keys(v).forEach(function (op) { operand('#' + key, ':' + prefix + key, op, v[op], conditions); });
        return conditions.length > 1 ? '(' + conditions.join(' AND ') + ')' : conditions.length ? conditions[0] : '';
      }).join(' AND ');
    }
    try {
      const expression = render(filter, '');
      return { expression: expression, expressionNames: names, expressionValues: values };
    } catch (e) {
      if (e instanceof Unrenderable) return null;
      throw e;
    }
  }
  // Subscription filters: every operator of a field, member of an `or` and rule is an alternative,
  // so groups multiply out in key order; `and` members and fields are AND-ed within a group.
  function toSubscriptionFilter(obj, ignoredFields, rules) {
    if (!isPlainObject(obj)) return null;
    const ignored = Array.isArray(ignoredFields) ? ignoredFields : [];
    function product(left, right) {
      const out = [];
      left.forEach(function (a) { right.forEach(function (b) { out.push(a.concat(b)); }); });
      return out;
    }
    function fieldAlternatives(field, ops) {
      if (!isPlainObject(ops)) return [[{ fieldName: field, operator: null, value: ops }]];
      return Object.keys(ops).map(function (op) { return [{ fieldName: field, operator: op, value: ops[op] }]; });
    }
    function alternatives(o) {
      let groups = [[]];
      Object.keys(o).forEach(function (key) {
        const v = o[key];
        if (key === 'and') {
          (Array.isArray(v) ? v : []).forEach(function (member) {
            groups = product(groups, isPlainObject(member) ? alternatives(member) : [[]]);
          });
        } else if (key === 'or') {
          // An alternative left empty by ignored fields is no alternative (the guide's argument 2
          // example): an or of [ignored, b] keeps b only. An or left with nothing constrains nothing.
          const options = [];
          (Array.isArray(v) ? v : []).forEach(function (member) {
            if (isPlainObject(member)) {
              alternatives(member).forEach(function (g) { if (g.length > 0) options.push(g); });
            }
          });
          groups = product(groups, options.length ? options : [[]]);
        } else if (ignored.indexOf(key) < 0) {
          groups = product(groups, fieldAlternatives(key, v));
        }
      });
      return groups;
    }
    let groups = alternatives(obj);
    if (isPlainObject(rules) && Object.keys(rules).length) {
      const options = [];
      Object.keys(rules).forEach(function (field) {
        fieldAlternatives(field, rules[field]).forEach(function (g) { options.push(g); });
      });
      groups = product(groups, options);
    }
    return { filterGroup: groups.filter(function (g) { return g.length > 0; })
      .map(function (filters) { return { filters: filters }; }) };
  }
  // util.transform.toElasticsearchQueryDSL: a filter object as OpenSearch Query DSL, the shape of
  // the developer guide's example: one operator is its query, several on a field (or several
  // keys) are all required (bool.must); and/or/not become bool must/should/must_not.
  function dslLeaf(field, op, value) {
    const one = {};
    switch (op) {
      case 'eq': one[field] = value; return { term: one };
      case 'ne': one[field] = value; return { bool: { must_not: { term: one } } };
      case 'gt': case 'gte': case 'lt': case 'lte': {
        const bound = {}; bound[op] = value; one[field] = bound; return { range: one };
      }
      case 'range': one[field] = { gte: value[0], lte: value[1] }; return { range: one };
      case 'wildcard': case 'regexp': case 'match': { const q = {}; one[field] = value; q[op] = one; return q; }
      case 'matchPhrase': one[field] = value; return { match_phrase: one };
      case 'matchPhrasePrefix': one[field] = value; return { match_phrase_prefix: one };
      case 'multiMatch': return { multi_match: value };
      case 'exists':
        return value ? { exists: { field: field } } : { bool: { must_not: { exists: { field: field } } } };
      default: throw new Error('util.transform.toElasticsearchQueryDSL: unknown operator ' + op + ' on ' + field);
    }
  }
  function allOf(queries) { return queries.length === 1 ? queries[0] : { bool: { must: queries } }; }
  function queryDsl(obj) {
    const parts = Object.keys(obj).map(function (key) {
      const v = obj[key];
      if (key === 'and') return { bool: { must: (Array.isArray(v) ? v : []).map(queryDsl) } };
      if (key === 'or') return { bool: { should: (Array.isArray(v) ? v : []).map(queryDsl) } };
      if (key === 'not') return { bool: { must_not: queryDsl(v || {}) } };
      if (!isPlainObject(v)) return dslLeaf(key, 'eq', v);
      return allOf(Object.keys(v).map(function (op) { return dslLeaf(key, op, v[op]); }));
    });
    return parts.length === 0 ? { match_all: {} } : allOf(parts);
  }
  function expressionJson(filter) {
    const out = toDynamoDBExpression(filter);
    return out === null ? null : JSON.stringify(out);
  }
  const transform = {
    toDynamoDBFilterExpression: expressionJson,
    toDynamoDBConditionExpression: expressionJson,
    toSubscriptionFilter: toSubscriptionFilter,
    toElasticsearchQueryDSL: function (obj) { return isPlainObject(obj) ? JSON.stringify(queryDsl(obj)) : null; },
  };
  // ---------------------------------------------------------------- xml
  // util.xml: XML -> object the way AppSync documents it (org.json's XML conversion: repeated
  // elements become lists, numbers and booleans are typed, attributes become keys, mixed text
  // goes under "content").
  function xmlTyped(text) {
    if (text === 'true') return true;
    if (text === 'false') return false;
    if (text === 'null') return null;
    if (/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(text)) return Number(text);
    return text;
  }
  function xmlUnescape(text) {
    return text.replace(/&(lt|gt|amp|quot|apos|#x[0-9A-Fa-f]+|#\d+);/g, function (m, e) {
      if (e === 'lt') return '<'; if (e === 'gt') return '>'; if (e === 'amp') return '&';
      if (e === 'quot') return '"'; if (e === 'apos') return "'";
      return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    });
  }
  function xmlAdd(target, key, value) {
    if (!Object.prototype.hasOwnProperty.call(target, key)) target[key] = value;
    else if (Array.isArray(target[key])) target[key].push(value);
    else target[key] = [target[key], value];
  }
  function xmlToMap(input) {
    if (input === null || input === undefined) return null;
    const src = String(input);
    let pos = 0;
    function bad(what) { throw new Error('util.xml: ' + what + ' at character ' + pos); }
    function skipMisc() {
      for (;;) {
        const ws = /^\s*/.exec(src.slice(pos))[0]; pos += ws.length;
        if (src.startsWith('<?', pos)) { const end = src.indexOf('?>', pos); if (end < 0) bad('unclosed <?'); pos = end + 2; }
        else if (src.startsWith('<!--', pos)) { const end = src.indexOf('-->', pos); if (end < 0) bad('unclosed comment'); pos = end + 3; }
        else if (src.startsWith('<!DOCTYPE', pos)) { const end = src.indexOf('>', pos); pos = end + 1; }
        else return;
      }
    }
    function element(parent) {
      const open = /^<([A-Za-z_][\w.:-]*)/.exec(src.slice(pos));
      if (!open) bad('expected an element');
      const name = open[1]; pos += open[0].length;
      const node = {};
      let hasAttributes = false;
      for (;;) {
        const attr = /^\s+([A-Za-z_][\w.:-]*)\s*=\s*("([^"]*)"|'([^']*)')/.exec(src.slice(pos));
        if (!attr) break;
        node[attr[1]] = xmlTyped(xmlUnescape(attr[3] !== undefined ? attr[3] : attr[4]));
        hasAttributes = true; pos += attr[0].length;
      }
      const close = /^\s*(\/?)>/.exec(src.slice(pos));
      if (!close) bad('malformed tag <' + name + '>');
      pos += close[0].length;
      if (close[1]) { xmlAdd(parent, name, hasAttributes ? node : ''); return; }
      let text = ''; let hasChildren = false;
      for (;;) {
        if (pos >= src.length) bad('unclosed <' + name + '>');
        if (src.startsWith('</', pos)) {
          const end = /^<\/([A-Za-z_][\w.:-]*)\s*>/.exec(src.slice(pos));
          if (!end || end[1] !== name) bad('mismatched closing tag for <' + name + '>');
          pos += end[0].length; break;
        }
        if (src.startsWith('<![CDATA[', pos)) {
          const end = src.indexOf(']]>', pos); if (end < 0) bad('unclosed CDATA');
          text += src.slice(pos + 9, end); pos = end + 3; continue;
        }
        if (src.startsWith('<!--', pos)) { const end = src.indexOf('-->', pos); pos = end + 3; continue; }
        if (src[pos] === '<') { element(node); hasChildren = true; continue; }
        const next = src.indexOf('<', pos);
        text += xmlUnescape(src.slice(pos, next < 0 ? src.length : next));
        pos = next < 0 ? src.length : next;
      }
      text = text.trim();
      if (!hasChildren && !hasAttributes) { xmlAdd(parent, name, text === '' ? '' : xmlTyped(text)); return; }
      if (text !== '') node.content = xmlTyped(text);
      xmlAdd(parent, name, node);
    }
    const root = {};
    skipMisc();
    while (pos < src.length) {
      element(root);
      skipMisc();
    }
    return root;
  }
  const xml = {
    toMap: xmlToMap,
    toJsonString: function (input, stringEncode) {
      const json = JSON.stringify(xmlToMap(input));
      return stringEncode ? JSON.stringify(json) : json;
    },
  };

  // ---------------------------------------------------------------- util
  function errorPayload(message, errorType, data, errorInfo) {
    return {
      message: message === undefined || message === null ? null : String(message),
      errorType: errorType === undefined ? null : errorType,
      data: data === undefined ? null : clone(data),
      errorInfo: errorInfo === undefined ? null : clone(errorInfo),
    };
  }
  const util = {
    autoId: function () { return takeId('uuid'); },
    autoUlid: function () { return takeId('ulid'); },
    autoKsuid: function () { return takeId('ksuid'); },
    error: function (message, errorType, data, errorInfo) {
      throw new AppSyncError(errorPayload(message, errorType, data, errorInfo));
    },
    appendError: function (message, errorType, data, errorInfo) {
      state.errors.push(errorPayload(message, errorType, data, errorInfo));
    },
    unauthorized: function () {
      const info = state.info || {};
      throw new AppSyncError(errorPayload('Not Authorized to access ' + info.fieldName + ' on type ' +
        info.parentTypeName, 'Unauthorized'));
    },
    matches: function (pattern, value) {
      if (value === null || value === undefined) return false;
      return wholeMatch(String(pattern)).test(String(value));
    },
    authType: function () { return state.authType; },
    escapeJavaScript: function (value) {
      return String(value).replace(/[\\'"\/\b\f\n\r\t]/g, function (c) {
        return { '\\': '\\\\', "'": "\\'", '"': '\\"', '/': '\\/', '\b': '\\b', '\f': '\\f', '\n': '\\n',
          '\r': '\\r', '\t': '\\t' }[c];
      });
    },
    urlEncode: urlEncode,
    urlDecode: urlDecode,
    base64Encode: base64Encode,
    base64Decode: base64Decode,
    time: time,
    dynamodb: dynamodb,
    transform: transform,
    str: {
      normalize: function (value, form) { return String(value).normalize(String(form).toUpperCase()); },
    },
    math: {
      roundNum: function (x) { return Math.round(x); },
      minVal: function (a, b) { return Math.min(a, b); },
      maxVal: function (a, b) { return Math.max(a, b); },
      randomDouble: function () { return Math.random(); },
      randomWithinRange: function (start, end) { return start + Math.floor(Math.random() * (end - start + 1)); },
    },
    http: {
      copyHeaders: function (headers) { return clone(headers || {}); },
      addResponseHeader: function (name, value) {
        state.extensions.responseHeaders = state.extensions.responseHeaders || {};
        state.extensions.responseHeaders[name] = value;
      },
      addResponseHeaders: function (headers) {
        Object.keys(headers || {}).forEach(function (k) { util.http.addResponseHeader(k, headers[k]); });
      },
    },
    rds: {},
    xml: xml,
  };

  const runtime = {
    earlyReturn: function (value, options) {
      throw new EarlyReturn(value === undefined ? null : clone(value), options && options.skipTo ? options.skipTo : null);
    },
  };

  const extensions = {
    setSubscriptionFilter: function (filter) { state.extensions.subscriptionFilter = clone(filter); },
    setSubscriptionInvalidationFilter: function (filter) {
      state.extensions.subscriptionInvalidationFilter = clone(filter);
    },
    invalidateSubscriptions: function (obj) {
      const list = state.extensions.invalidateSubscriptions || [];
      if (list.length >= 5) {
        throw new AppSyncError(errorPayload('extensions.invalidateSubscriptions may be called at most 5 times per request',
          'InvalidationLimitExceeded'));
      }
      list.push(clone(obj));
      state.extensions.invalidateSubscriptions = list;
    },
    evictFromApiCache: function (typeName, fieldName, keys) {
      const list = state.extensions.evictFromApiCache || [];
      list.push({ typeName: typeName, fieldName: fieldName, keys: clone(keys) });
      state.extensions.evictFromApiCache = list;
    },
  };

  // console: AppSync sends console.log/error to CloudWatch Logs (and EvaluateCode returns them);
  // locally they go to the host's log. Bounded, so a loop of logging cannot grow memory.
  const MAX_LOG_LINES = 100; const MAX_LOG_CHARS = 4096;
  function logLine(level, args) {
    if (state.logs.length >= MAX_LOG_LINES) return;
    const text = Array.prototype.map.call(args, function (a) {
      if (typeof a === 'string') return a;
      if (a === undefined) return 'undefined';
      try { return JSON.stringify(a); } catch (e) { return String(a); }
    }).join(' ');
    state.logs.push({ level: level, message: text.length > MAX_LOG_CHARS ? text.slice(0, MAX_LOG_CHARS) + '…' : text });
  }
  const appsyncConsole = {
    log: function () { logLine('INFO', arguments); },
    error: function () { logLine('ERROR', arguments); },
  };

  globalThis.__appsync = {
    state: state,
    zones: zones,
    ZoneMissing: ZoneMissing,
    AppSyncError: AppSyncError,
    EarlyReturn: EarlyReturn,
    toDynamoDBExpression: toDynamoDBExpression,
    modules: { '@aws-appsync/utils': { util: util, runtime: runtime, extensions: extensions } },
    handlers: {},
  };
  globalThis.util = util;
  globalThis.runtime = runtime;
  globalThis.extensions = extensions;
  globalThis.console = appsyncConsole;
})();
