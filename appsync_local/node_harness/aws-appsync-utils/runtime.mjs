// Loads the runtime library (appsync_local/runtime_js, the files appsync_local/engine.py
// evaluates in QuickJS) into this Node realm once, as the classic scripts they are.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const RUNTIME_FILES = ['util.js', 'dynamodb.js', 'invoke.js'];
const folder = new URL('../../runtime_js/', import.meta.url);

if (!globalThis.__appsync) {
  for (const name of RUNTIME_FILES) {
    const file = new URL(name, folder);
    vm.runInThisContext(readFileSync(file, 'utf8'), { filename: fileURLToPath(file) });
  }
}

export const appsync = globalThis.__appsync;
