// The operations of schema/operations.graphql, the project's one copy of what its clients send,
// each as text with the fragments it spreads (the web client and the Python side read the same file).
import { readFileSync } from 'node:fs';
import { parse, print, visit } from 'graphql';

const document = parse(readFileSync(new URL('../../schema/operations.graphql', import.meta.url), 'utf8'));
const operations = new Map();
const fragments = new Map();
for (const definition of document.definitions) {
  if (definition.kind === 'OperationDefinition' && definition.name) operations.set(definition.name.value, definition);
  if (definition.kind === 'FragmentDefinition') fragments.set(definition.name.value, definition);
}

function spreads(node, found) {
  visit(node, {
    FragmentSpread(spread) {
      if (!found.includes(spread.name.value)) {
        found.push(spread.name.value);
        spreads(fragments.get(spread.name.value), found);
      }
    },
  });
  return found;
}

export function operation(name) {
  const definition = operations.get(name);
  if (!definition) throw new Error(`schema/operations.graphql has no operation named ${name}`);
  return [definition, ...spreads(definition, []).map((fragment) => fragments.get(fragment))].map(print).join('\n\n');
}
