// Entry points called by appsync_local/engine.py. Data crosses the boundary as JSON strings.
(function () {
  'use strict';
  const A = globalThis.__appsync;
  // AppSync documents JSON.parse as returning a blank string for text that is not valid JSON.
  const nativeParse = JSON.parse;
  A.parseJson = nativeParse;
  JSON.parse = function parse(text, reviver) {
    try { return nativeParse(text, reviver); } catch (e) { return ''; }
  };

  A.require = function (specifier) {
    const mod = A.modules[specifier];
    if (!mod) throw new Error("could not load module '" + specifier + "'");
    return mod;
  };

  A.invoke = function (handle, handlerName, envelopeJson) {
    const envelope = nativeParse(envelopeJson);
    const ctx = envelope.ctx;
    if (ctx.arguments === undefined || ctx.arguments === null) ctx.arguments = {};
    ctx.args = ctx.arguments;
    if (ctx.info) {
      // AppSync: JSON.stringify(ctx.info) leaves these two out; read directly, they are there.
      ['selectionSetList', 'selectionSetGraphQL'].forEach(function (key) {
        if (key in ctx.info) {
          Object.defineProperty(ctx.info, key, { value: ctx.info[key], enumerable: false, writable: true,
            configurable: true });
        }
      });
    }
    A.state.errors = [];
    A.state.extensions = {};
    A.state.info = ctx.info || {};
    A.state.authType = envelope.authType || null;
    A.state.nowMs = envelope.nowMs;
    A.state.ids = envelope.ids || { uuid: [], ulid: [], ksuid: [] };
    A.state.idDemand = { uuid: 0, ulid: 0, ksuid: 0 };
    A.state.idSeq = [];
    A.state.logs = [];
    const out = { status: 'ok' };
    try {
      const handlers = A.handlers[handle];
      if (!handlers) throw new Error('no module loaded as ' + handle);
      // "onSubscribe.request": an Events handler object's function
      const fn = handlerName.split('.').reduce(function (found, key) {
        return found === undefined || found === null ? undefined : found[key];
      }, handlers);
      if (typeof fn !== 'function') throw new Error('the code does not export a ' + handlerName + ' function');
      out.value = fn(ctx);
    } catch (e) {
      if (e instanceof A.AppSyncError) {
        out.status = 'error';
        out.error = e.payload;
      } else if (e instanceof A.ZoneMissing) {
        out.status = 'needZone';
        out.zone = e.zone;
      } else if (e instanceof A.EarlyReturn) {
        out.status = 'earlyReturn';
        out.value = e.value;
        out.skipTo = e.skipTo;
      } else {
        out.status = 'exception';
        out.error = {
          name: e && e.name ? String(e.name) : 'Error',
          message: e && e.message !== undefined ? String(e.message) : String(e),
          stack: e && e.stack ? String(e.stack) : '',
        };
      }
    }
    out.stash = ctx.stash;
    out.errors = A.state.errors;
    out.extensions = A.state.extensions;
    out.idSeq = A.state.idSeq;
    out.logs = A.state.logs;
    try {
      return JSON.stringify(out);
    } catch (e) {
      return JSON.stringify({ status: 'exception', stash: {}, errors: [], extensions: {}, logs: A.state.logs,
        error: { name: 'TypeError', message: 'result is not JSON-serialisable: ' + e.message, stack: '' } });
    }
  };
})();
