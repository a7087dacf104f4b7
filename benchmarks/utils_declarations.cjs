// Lists the functions the @aws-appsync/utils type definitions declare, as a JSON object
// {"util": [...], "util.time": [...], ..., "runtime": [...], "extensions": [...],
//  "@aws-appsync/utils/dynamodb": [...], "@aws-appsync/utils/dynamodb.operations": [...],
//  "@aws-appsync/utils/rds": [...], "@aws-appsync/utils/ai": [...]}.
// Uses the TypeScript compiler (installed with the ESLint plugin) to read
// node_modules/@aws-appsync/utils/lib/**/*.d.ts. Called by benchmarks/utils_coverage.py.
'use strict';
const path = require('node:path');
const ts = require('typescript');

const root = path.dirname(require.resolve('@aws-appsync/utils/package.json'));
const entries = {
  index: path.join(root, 'lib', 'index.d.ts'),
  '@aws-appsync/utils/dynamodb': path.join(root, 'dynamodb.d.ts'),
  '@aws-appsync/utils/rds': path.join(root, 'rds.d.ts'),
  '@aws-appsync/utils/ai': path.join(root, 'ai.d.ts'),
};
const program = ts.createProgram(Object.values(entries), { noEmit: true, strict: true, skipLibCheck: true });
const checker = program.getTypeChecker();
const out = {};

function isFunction(type) {
  return checker.getNonNullableType(type).getCallSignatures().length > 0;
}
function isNamespace(type) {
  const t = checker.getNonNullableType(type);
  return (t.flags & ts.TypeFlags.Object) !== 0 && t.getCallSignatures().length === 0 && t.getProperties().length > 0;
}
function walk(prefix, type, location) {
  out[prefix] = out[prefix] || [];
  for (const prop of checker.getNonNullableType(type).getProperties()) {
    const propType = checker.getTypeOfSymbolAtLocation(prop, location);
    if (isFunction(propType)) out[prefix].push(prop.getName());
    else if (isNamespace(propType)) walk(prefix + '.' + prop.getName(), propType, location);
  }
  out[prefix].sort();
}
function moduleExports(file) {
  const source = program.getSourceFile(file);
  return checker.getExportsOfModule(checker.getSymbolAtLocation(source));
}

for (const symbol of moduleExports(entries.index)) {
  const name = symbol.getName();
  if (!['util', 'runtime', 'extensions'].includes(name)) continue;
  const resolved = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
  const decl = resolved.valueDeclaration;
  walk(name, checker.getTypeOfSymbolAtLocation(resolved, decl), decl);
}
for (const [spec, file] of Object.entries(entries)) {
  if (spec === 'index') continue;
  out[spec] = [];
  for (const symbol of moduleExports(file)) {
    const resolved = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    if (!(resolved.flags & ts.SymbolFlags.Value)) continue;
    const decl = resolved.valueDeclaration || resolved.declarations[0];
    const type = checker.getTypeOfSymbolAtLocation(resolved, decl);
    if (isFunction(type)) out[spec].push(symbol.getName());
    else if (isNamespace(type)) walk(spec + '.' + symbol.getName(), type, decl);
  }
  out[spec].sort();
}
process.stdout.write(JSON.stringify(out, null, 1));
