// APPSYNC_JS runtime library: util, runtime, extensions (see @aws-appsync/utils d.ts).
// QuickJS cannot call into Python while a time limit is set, so the host passes the clock
// reading and a supply of ids into every call (see appsync_local/engine.py).
(function () {
  'use strict';
  const state = { errors: [], extensions: {}, info: {}, authType: null, nowMs: 0,
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
  const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
  const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September',
    'October', 'November', 'December'];
  function pad(n, w) { let s = String(Math.abs(n)); while (s.length < w) s = '0' + s; return (n < 0 ? '-' : '') + s; }
  function zoneOffsetMinutes(zone) {
    if (zone === undefined || zone === null || zone === '' || zone === 'UTC' || zone === 'Z' || zone === 'GMT' ||
        zone === 'Etc/UTC') return 0;
    const m = /^(?:UTC|GMT)?([+-])(\d{1,2})(?::?(\d{2}))?$/.exec(zone);
    if (!m) throw new Error('Unsupported time zone (local runtime supports UTC and fixed offsets): ' + zone);
    return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] || 0));
  }
  function offsetText(minutes, colon, zeroAsZ) {
    if (minutes === 0 && zeroAsZ) return 'Z';
    const sign = minutes < 0 ? '-' : '+';
    const a = Math.abs(minutes);
    return sign + pad(Math.floor(a / 60), 2) + (colon ? ':' : '') + pad(a % 60, 2);
  }
  // Java DateTimeFormatter subset: y M d H h m s S a E Z X x and 'quoted' literals.
  function tokenize(format) {
    const tokens = [];
    let i = 0;
    while (i < format.length) {
      const c = format[i];
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
      } else if (/[A-Za-z]/.test(c)) {
        let j = i; while (j < format.length && format[j] === c) j += 1;
        tokens.push({ f: c, n: j - i }); i = j;
      } else { tokens.push({ lit: c }); i += 1; }
    }
    return tokens;
  }
  function formatEpoch(ms, format, zone) {
    const off = zoneOffsetMinutes(zone);
    const d = new Date(ms + off * 60000);
    return tokenize(format).map(function (t) {
      if (t.lit !== undefined) return t.lit;
      const n = t.n;
      switch (t.f) {
        case 'y': case 'u': return n === 2 ? pad(d.getUTCFullYear() % 100, 2) : pad(d.getUTCFullYear(), n);
        case 'M': return n >= 4 ? MONTHS[d.getUTCMonth()] : n === 3 ? MONTHS[d.getUTCMonth()].slice(0, 3)
          : pad(d.getUTCMonth() + 1, n);
        case 'd': return pad(d.getUTCDate(), n);
        case 'D': { const start = Date.UTC(d.getUTCFullYear(), 0, 1);
          return pad(Math.floor((d.getTime() - start) / 86400000) + 1, n); }
        case 'H': return pad(d.getUTCHours(), n);
        case 'h': return pad(d.getUTCHours() % 12 === 0 ? 12 : d.getUTCHours() % 12, n);
        case 'm': return pad(d.getUTCMinutes(), n);
        case 's': return pad(d.getUTCSeconds(), n);
        case 'S': return pad(d.getUTCMilliseconds(), 3).slice(0, n) + '0'.repeat(Math.max(0, n - 3));
        case 'a': return d.getUTCHours() < 12 ? 'AM' : 'PM';
        case 'E': return n >= 4 ? DAYS[d.getUTCDay()] : DAYS[d.getUTCDay()].slice(0, 3);
        case 'Z': return n === 4 ? 'GMT' + offsetText(off, true, false) : n === 5 ? offsetText(off, true, true)
          : offsetText(off, false, false);
        case 'X': return offsetText(off, n >= 3, true);
        case 'x': return offsetText(off, n >= 3, false);
        case 'z': case 'V': return zone || 'UTC';
        default: throw new Error('Unsupported date format letter ' + t.f);
      }
    }).join('');
  }
  function parseFormatted(text, format, zone) {
    let pos = 0; let off = null;
    const f = { y: 1970, M: 1, d: 1, H: 0, m: 0, s: 0, S: 0, pm: null };
    function num(maxLen) {
      const m = new RegExp('^[+-]?\\d{1,' + maxLen + '}').exec(text.slice(pos));
      if (!m) throw new Error('Text ' + JSON.stringify(text) + ' could not be parsed at index ' + pos);
      pos += m[0].length; return Number(m[0]);
    }
    tokenize(format).forEach(function (t) {
      if (t.lit !== undefined) {
        if (text.substr(pos, t.lit.length) !== t.lit) throw new Error('Text ' + JSON.stringify(text) +
          ' could not be parsed at index ' + pos);
        pos += t.lit.length; return;
      }
      switch (t.f) {
        case 'y': case 'u': f.y = num(t.n === 2 ? 2 : 9); if (t.n === 2) f.y += 2000; break;
        case 'M':
          if (t.n >= 3) {
            const idx = MONTHS.findIndex(function (name) {
              const s = t.n === 3 ? name.slice(0, 3) : name; return text.substr(pos, s.length) === s; });
            if (idx < 0) throw new Error('bad month in ' + text);
            pos += t.n === 3 ? 3 : MONTHS[idx].length; f.M = idx + 1;
          } else f.M = num(2);
          break;
        case 'd': f.d = num(2); break;
        case 'H': case 'h': f.H = num(2); break;
        case 'm': f.m = num(2); break;
        case 's': f.s = num(2); break;
        case 'S': { const start = pos; const v = num(t.n); const len = pos - start;
          f.S = Math.round(v * Math.pow(10, 3 - len)); break; }
        case 'a': f.pm = text.substr(pos, 2).toUpperCase() === 'PM'; pos += 2; break;
        case 'E': { const idx = DAYS.findIndex(function (name) {
          const s = t.n >= 4 ? name : name.slice(0, 3); return text.substr(pos, s.length) === s; });
          if (idx < 0) throw new Error('bad day in ' + text);
          pos += t.n >= 4 ? DAYS[idx].length : 3; break; }
        case 'Z': case 'X': case 'x': {
          if (text[pos] === 'Z') { off = 0; pos += 1; break; }
          const m = /^([+-])(\d{2}):?(\d{2})?/.exec(text.slice(pos));
          if (!m) throw new Error('bad offset in ' + text);
          off = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] || 0)); pos += m[0].length; break; }
        default: throw new Error('Unsupported date format letter ' + t.f);
      }
    });
    if (pos !== text.length) throw new Error('Text ' + JSON.stringify(text) + ' has unparsed text at index ' + pos);
    if (f.pm !== null) { f.H = f.H % 12 + (f.pm ? 12 : 0); }
    if (off === null) off = zoneOffsetMinutes(zone);
    return Date.UTC(f.y, f.M - 1, f.d, f.H, f.m, f.s, f.S) - off * 60000;
  }
  function iso(ms) { return new Date(ms).toISOString(); }
  const time = {
    nowISO8601: function () { return iso(nowMs()); },
    nowEpochSeconds: function () { return Math.floor(nowMs() / 1000); },
    nowEpochMilliSeconds: function () { return Math.floor(nowMs()); },
    nowFormatted: function (format, zone) { return formatEpoch(Math.floor(nowMs()), format, zone); },
    parseFormattedToEpochMilliSeconds: function (text, format, zone) { return parseFormatted(text, format, zone); },
    parseISO8601ToEpochMilliSeconds: function (text) {
      const ms = Date.parse(text);
      if (isNaN(ms)) throw new Error('Text ' + JSON.stringify(text) + ' could not be parsed as ISO8601');
      return ms;
    },
    epochMilliSecondsToSeconds: function (ms) { return Math.floor(ms / 1000); },
    epochMilliSecondsToISO8601: iso,
    epochMilliSecondsToFormatted: function (ms, format, zone) { return formatEpoch(ms, format, zone); },
  };

  // ---------------------------------------------------------------- transform
  const ATTRIBUTE_TYPES = { _null: 'NULL', string: 'S', stringSet: 'SS', number: 'N', numberSet: 'NS',
    binary: 'B', binarySet: 'BS', boolean: 'BOOL', list: 'L', map: 'M' };
  const COMPARATORS = { eq: '=', ne: '<>', le: '<=', lt: '<', ge: '>=', gt: '>' };
  function toDynamoDBExpression(filter) {
    const names = {}; const values = {};
    function valueName(field, op, value) {
      let name = ':' + field.replace(/[^A-Za-z0-9_]/g, '_') + '_' + op;
      let n = 1; const base = name;
      while (Object.prototype.hasOwnProperty.call(values, name)) { n += 1; name = base + '_' + n; }
      values[name] = toDynamoDB(value);
      return name;
    }
    function fieldExpr(field, ops) {
      const nm = '#' + field.replace(/[^A-Za-z0-9_]/g, '_');
      names[nm] = field;
      const parts = [];
      Object.keys(ops).forEach(function (op) {
        const v = ops[op];
        if (v === null || v === undefined) return;
        if (COMPARATORS[op]) parts.push(nm + ' ' + COMPARATORS[op] + ' ' + valueName(field, op, v));
        else if (op === 'contains') parts.push('contains(' + nm + ', ' + valueName(field, op, v) + ')');
        else if (op === 'notContains') parts.push('NOT contains(' + nm + ', ' + valueName(field, op, v) + ')');
        else if (op === 'beginsWith') parts.push('begins_with(' + nm + ', ' + valueName(field, op, v) + ')');
        else if (op === 'between') {
          parts.push(nm + ' BETWEEN ' + valueName(field, 'between_0', v[0]) + ' AND ' +
            valueName(field, 'between_1', v[1]));
        } else if (op === 'in') {
          parts.push(nm + ' IN (' + v.map(function (x, i) { return valueName(field, 'in_' + i, x); }).join(', ') + ')');
        } else if (op === 'attributeExists') parts.push((v ? 'attribute_exists(' : 'attribute_not_exists(') + nm + ')');
        else if (op === 'attributeType') {
          parts.push('attribute_type(' + nm + ', ' + valueName(field, op, ATTRIBUTE_TYPES[v] || v) + ')');
        } else if (op === 'size') {
          Object.keys(v).forEach(function (sop) {
            if (!COMPARATORS[sop]) throw new Error('Unsupported size operator ' + sop);
            parts.push('size(' + nm + ') ' + COMPARATORS[sop] + ' ' + valueName(field, 'size_' + sop, v[sop]));
          });
        } else throw new Error('Unsupported filter operator ' + op + ' on ' + field);
      });
      return parts;
    }
    function join(parts, op) {
      if (parts.length === 1) return parts[0];
      return parts.map(function (p) { return '(' + p + ')'; }).join(' ' + op + ' ');
    }
    function build(obj) {
      const parts = [];
      Object.keys(obj).forEach(function (key) {
        const v = obj[key];
        if (v === null || v === undefined) return;
        if (key === 'and' || key === 'or') {
          const list = Array.isArray(v) ? v : [v];
          const sub = list.map(build).filter(function (s) { return s; });
          if (sub.length) parts.push(join(sub, key.toUpperCase()));
        } else if (key === 'not') {
          const sub = build(v);
          if (sub) parts.push('NOT (' + sub + ')');
        } else {
          const fp = fieldExpr(key, v);
          if (fp.length) parts.push(join(fp, 'AND'));
        }
      });
      return join(parts, 'AND');
    }
    const expression = filter ? build(filter) : '';
    if (!expression) return null;
    const out = { expression: expression };
    if (Object.keys(names).length) out.expressionNames = names;
    if (Object.keys(values).length) out.expressionValues = values;
    return out;
  }
  function toSubscriptionFilter(obj, ignoredFields, rules) {
    const ignored = ignoredFields || [];
    function entries(o) {
      const out = [];
      Object.keys(o || {}).forEach(function (field) {
        if (field === 'and' || field === 'or' || ignored.indexOf(field) >= 0) return;
        const ops = o[field];
        Object.keys(ops).forEach(function (op) {
          out.push({ fieldName: field, operator: op, value: ops[op] });
        });
      });
      return out;
    }
    // and-ed alternatives: each alternative is a list of AND-ed rules; alternatives are OR-ed.
    function alternatives(o) {
      let alts = [entries(o)];
      (o.and || []).forEach(function (sub) {
        const subAlts = alternatives(sub); const next = [];
        alts.forEach(function (a) { subAlts.forEach(function (b) { next.push(a.concat(b)); }); });
        alts = next;
      });
      if (o.or) {
        const next = [];
        o.or.forEach(function (sub) {
          alternatives(sub).forEach(function (b) { alts.forEach(function (a) { next.push(a.concat(b)); }); });
        });
        alts = next;
      }
      return alts;
    }
    let alts = alternatives(obj || {});
    const ruleEntries = entries(rules);
    if (ruleEntries.length) {
      const next = [];
      alts.forEach(function (a) { ruleEntries.forEach(function (r) { next.push(a.concat([r])); }); });
      alts = next;
    }
    return { filterGroup: alts.map(function (filters) { return { filters: filters }; }) };
  }
  const transform = {
    toDynamoDBFilterExpression: function (filter) { return JSON.stringify(toDynamoDBExpression(filter)); },
    toDynamoDBConditionExpression: function (condition) { return JSON.stringify(toDynamoDBExpression(condition)); },
    toSubscriptionFilter: toSubscriptionFilter,
    toElasticsearchQueryDSL: function () { throw new Error('util.transform.toElasticsearchQueryDSL is not supported locally'); },
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
  function isNull(v) { return v === null || v === undefined; }
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
      return new RegExp('^(?:' + pattern + ')$').test(String(value));
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
    isNull: isNull,
    isNullOrEmpty: function (v) { return isNull(v) || v === '' || (Array.isArray(v) && v.length === 0); },
    isNullOrBlank: function (v) { return isNull(v) || String(v).trim() === ''; },
    defaultIfNull: function (v, d) { return isNull(v) ? d : v; },
    defaultIfNullOrEmpty: function (v, d) { return isNull(v) || v === '' ? d : v; },
    defaultIfNullOrBlank: function (v, d) { return isNull(v) || String(v).trim() === '' ? d : v; },
    isString: function (v) { return typeof v === 'string'; },
    isNumber: function (v) { return typeof v === 'number'; },
    isBoolean: function (v) { return typeof v === 'boolean'; },
    isList: function (v) { return Array.isArray(v); },
    isMap: function (v) { return v !== null && typeof v === 'object' && !Array.isArray(v); },
    typeOf: function (v) {
      if (isNull(v)) return 'Null';
      if (typeof v === 'string') return 'String';
      if (typeof v === 'number') return 'Number';
      if (typeof v === 'boolean') return 'Boolean';
      if (Array.isArray(v)) return 'List';
      return 'Map';
    },
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
    xml: {},
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

  globalThis.__appsync = {
    state: state,
    AppSyncError: AppSyncError,
    EarlyReturn: EarlyReturn,
    toDynamoDBExpression: toDynamoDBExpression,
    modules: { '@aws-appsync/utils': { util: util, runtime: runtime, extensions: extensions } },
    handlers: {},
  };
  globalThis.util = util;
  globalThis.runtime = runtime;
  globalThis.extensions = extensions;
})();
