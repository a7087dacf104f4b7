"""How much of the APPSYNC_JS utilities the local runtime library implements, and how much of
what it implements behaves as AWS's (the conformance suite's pass rate), side by side.

Lists every function the `@aws-appsync/utils` type definitions declare (util.*, util.time.*,
util.dynamodb.*, util.transform.*, util.str.*, util.math.*, util.http.*, util.xml.*, util.rds.*,
runtime.*, extensions.*, and the exports of the `@aws-appsync/utils/dynamodb`, `/rds` and `/ai`
modules), read with the TypeScript compiler (`benchmarks/utils_declarations.cjs`), and probes
the QuickJS engine for each (`typeof util.time.nowISO8601 === 'function'`). Prints
implemented/declared per namespace and the missing names, then the conformance suite
(appsync_local/conformance: cases recorded from AWS) per area.

    .venv/bin/python benchmarks/utils_coverage.py

`tests/appsync_local/test_utils_coverage.py` holds the runtime to these figures.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from appsync_local.conformance import run_suite
from appsync_local.engine import BUILTIN_MODULES, JSEngine
from chatstack.project import find_project

ROOT = Path(__file__).resolve().parents[1]
DECLARATIONS_SCRIPT = Path(__file__).with_name("utils_declarations.cjs")
# A function whose source says this only throws (e.g. util.transform.toElasticsearchQueryDSL):
# present for a clear error, not counted as implemented.
STUB_MARK = "is not supported locally"


def declared() -> dict[str, list[str]]:
    """Namespace -> function names declared in node_modules/@aws-appsync/utils."""
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is needed to read the @aws-appsync/utils type definitions")
    out = subprocess.run(
        [node, str(DECLARATIONS_SCRIPT)], capture_output=True, text=True, cwd=ROOT, check=True, timeout=120
    )
    return json.loads(out.stdout)


def _probe_expression(namespaces: list[str]) -> str:
    # A namespace is a dotted path from a global (util, runtime, extensions) or from a module
    # specifier ('@aws-appsync/utils/dynamodb.operations'); module specifiers contain no dots.
    return (
        "(function (namespaces) { const out = {};"
        " namespaces.forEach(function (ns) {"
        "  const parts = ns.split('.');"
        "  let obj = parts[0].charAt(0) === '@' ? __appsync.modules[parts[0]] : globalThis[parts[0]];"
        "  parts.slice(1).forEach(function (p) { obj = obj === undefined || obj === null ? undefined : obj[p]; });"
        "  out[ns] = obj && typeof obj === 'object' ?"
        "   Object.keys(obj).filter(function (k) { return typeof obj[k] === 'function'"
        "    && String(obj[k]).indexOf(" + json.dumps(STUB_MARK) + ") < 0; }) : [];"
        " }); return out; })(" + json.dumps(namespaces) + ")"
    )


def implemented(declarations: dict[str, list[str]], engine: JSEngine | None = None) -> dict[str, list[str]]:
    """Namespace -> the functions the QuickJS runtime library defines there (declared or not; stubs that
    only throw 'not supported locally' excluded)."""
    engine = engine or JSEngine()
    return {ns: sorted(names) for ns, names in engine.evaluate(_probe_expression(sorted(declarations))).items()}


_USE = re.compile(r"(?<![\w$.])(util|runtime|extensions)((?:\s*\.\s*[A-Za-z_$][\w$]*)+)")
_NAMED_IMPORT = re.compile(r"import\s*\{(?P<names>[^}]*)\}\s*from\s*['\"](?P<spec>@aws-appsync/utils[^'\"]*)['\"]")


def used_by_resolvers(declarations: dict[str, list[str]]) -> set[str]:
    """Fully qualified functions ('util.time.nowISO8601', '@aws-appsync/utils/dynamodb.put') the
    code in resolvers/ calls (a chain is cut at the first declared function)."""
    manifest = find_project(Path(__file__)).manifest()
    files = [f.file for f in manifest.functions] + [r.file for r in manifest.resolvers]
    used: set[str] = set()
    for file in dict.fromkeys(files):
        code = manifest.source(file)
        for match in _USE.finditer(code):
            parts = [match.group(1)] + [p.strip() for p in match.group(2).split(".") if p.strip()]
            for i in range(1, len(parts)):
                namespace, name = ".".join(parts[:i]), parts[i]
                if name in declarations.get(namespace, ()):
                    used.add(f"{namespace}.{name}")
                    break
        for match in _NAMED_IMPORT.finditer(code):
            spec = match.group("spec")
            if spec not in BUILTIN_MODULES or spec == "@aws-appsync/utils":
                continue
            for item in match.group("names").split(","):
                name = item.strip().split(" as ")[0].strip()
                if name:
                    used.add(f"{spec}.{name}")
    return used


def report(declarations: dict[str, list[str]], present: dict[str, list[str]]) -> tuple[int, int, list[str]]:
    lines = []
    total_declared = total_done = 0
    for ns in declarations:
        names = declarations[ns]
        done = [n for n in names if n in present.get(ns, ())]
        missing = [n for n in names if n not in present.get(ns, ())]
        extra = [n for n in present.get(ns, ()) if n not in names]
        total_declared += len(names)
        total_done += len(done)
        line = f"  {ns:42s} {len(done):3d}/{len(names):<3d}"
        if missing:
            line += "  missing: " + ", ".join(missing)
        if extra:
            line += "  (also: " + ", ".join(extra) + ")"
        lines.append(line)
    return total_done, total_declared, lines


def main() -> None:
    declarations = declared()
    present = implemented(declarations)
    done, total, lines = report(declarations, present)
    print("@aws-appsync/utils functions implemented by the local runtime (implemented/declared):")
    print("\n".join(lines))
    print(f"  {'total':42s} {done:3d}/{total:<3d}")
    used = used_by_resolvers(declarations)
    unimplemented_used = sorted(
        name for name in used if name.rsplit(".", 1)[1] not in present.get(name.rsplit(".", 1)[0], ())
    )
    print(f"used by resolvers/: {len(used)} functions; not implemented: {unimplemented_used or 'none'}")
    suite = run_suite()
    print("\nside by side: declared surface implemented vs. cases matching AWS's recorded results")
    print(f"  {'declared functions implemented':42s} {done:3d}/{total:<3d} {100.0 * done / total:5.1f} %")
    for area, (passed, cases) in sorted(suite.by_area().items()):
        print(f"  {'conformance: ' + area:42s} {passed:3d}/{cases:<3d} {100.0 * passed / cases:5.1f} %")
    print(f"  {'conformance: total':42s} {suite.passed:3d}/{suite.total:<3d} {suite.rate:5.1f} %")


if __name__ == "__main__":
    main()
