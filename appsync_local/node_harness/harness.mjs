// Runs APPSYNC_JS resolver modules under Node's own ES-module loader, for comparison with
// the QuickJS engine (tests/appsync_local/test_node_fidelity.py).
//
//   node harness.mjs < cases.json > results.json
//
// cases.json: {"cases": [{"module": "/abs/path/code.mjs", "handler": "request"|"response",
//   "ctx": {...}, "authType": str|null, "nowMs": number, "ids": {"uuid": [], "ulid": [], "ksuid": []}}]}
// The module files must sit below a node_modules/@aws-appsync/utils that is (a copy of or a link
// to) ./aws-appsync-utils, so Node resolves the built-in imports to the same runtime library.
// Each result is what __appsync.invoke (runtime_js/invoke.js) returns, as the engine's call does;
// the injected clock reading and ids are the ones the QuickJS engine got.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const input = JSON.parse(readFileSync(0, 'utf8'));
const loaded = new Map();
const results = [];
for (const c of input.cases) {
  let handle = loaded.get(c.module);
  if (handle === undefined) {
    const mod = await import(pathToFileURL(c.module).href);
    handle = 'node:' + c.module;
    globalThis.__appsync.handlers[handle] = {
      request: typeof mod.request === 'function' ? mod.request : undefined,
      response: typeof mod.response === 'function' ? mod.response : undefined,
    };
    loaded.set(c.module, handle);
  }
  const envelope = JSON.stringify({ ctx: c.ctx, authType: c.authType, nowMs: c.nowMs, ids: c.ids });
  results.push(JSON.parse(globalThis.__appsync.invoke(handle, c.handler, envelope)));
}
// input.probe: a module (next to the cases) whose default export is a JSON value to report,
// e.g. what Node resolved the built-in modules to.
const probe = input.probe ? (await import(pathToFileURL(input.probe).href)).default : null;
process.stdout.write(JSON.stringify({ results, probe, node: process.version }));
