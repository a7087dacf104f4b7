// The operations of schema/operations.graphql as Apollo documents, one per operation with the
// fragments it spreads. That file is the one place every operation this project sends is
// written: the web client, the Node client tests, the load test and the Python tests read it.
import { gql, type DocumentNode, type TypedDocumentNode } from '@apollo/client';
import operationsText from '../../../schema/operations.graphql?raw';

type Definition = DocumentNode['definitions'][number];

const fragments = new Map<string, Definition>();
const operations = new Map<string, Definition>();
for (const definition of gql(operationsText).definitions) {
  if (definition.kind === 'FragmentDefinition') {
    fragments.set(definition.name.value, definition);
  } else if (definition.kind === 'OperationDefinition' && definition.name) {
    operations.set(definition.name.value, definition);
  }
}

function spreadNames(node: unknown, found: Set<string>): void {
  if (Array.isArray(node)) {
    node.forEach((child) => spreadNames(child, found));
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const record = node as { kind?: string; name?: { value: string } };
  if (record.kind === 'FragmentSpread' && record.name && !found.has(record.name.value)) {
    found.add(record.name.value);
    spreadNames(fragments.get(record.name.value), found);
  }
  Object.values(node).forEach((child) => {
    if (child !== null && typeof child === 'object') spreadNames(child, found);
  });
}

/** The named operation of schema/operations.graphql, with every fragment it uses. */
export function operation<TData, TVariables>(name: string): TypedDocumentNode<TData, TVariables> {
  const definition = operations.get(name);
  if (!definition) throw new Error(`schema/operations.graphql has no operation named ${name}`);
  const used = new Set<string>();
  spreadNames(definition, used);
  const definitions = [definition, ...[...used].map((fragment) => fragments.get(fragment) as Definition)];
  return { kind: 'Document', definitions } as unknown as TypedDocumentNode<TData, TVariables>;
}
