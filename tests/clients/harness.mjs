// What the client sessions share: the served stack's outputs, JSON-line reports to the
// pytest side, and a "go" from it once the server has registered the subscription (the
// clients do not all say when AppSync acknowledged a start).
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { WebSocket } from 'ws';

// Node 20 has no global WebSocket; browsers do. Both clients use the global.
globalThis.WebSocket = WebSocket;

export const outputs = JSON.parse(readFileSync(process.env.CHATSTACK_OUTPUTS, 'utf8'));

export function report(event, detail = {}) {
  process.stdout.write(`${JSON.stringify({ event, ...detail })}\n`);
}

const lines = createInterface({ input: process.stdin });
const pending = [];
lines.on('line', (line) => pending.shift()?.(line.trim()));

export function nextLine() {
  return new Promise((resolve) => pending.push(resolve));
}

export function within(ms, promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function run(session) {
  try {
    await session();
    report('done');
    process.exit(0);
  } catch (error) {
    report('failed', { name: error?.name, message: error?.message ?? String(error), stack: error?.stack });
    process.exit(1);
  }
}
