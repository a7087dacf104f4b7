"""`chatstack policy` (like `chatstack local` and the Pulumi program) refuses resolver code that
AppSync's APPSYNC_JS runtime would refuse at `pulumi up`, naming file, line and rule."""

import shutil
import subprocess
import sys

from tests.project import REPO_ROOT

PROGRAM_FILES = ("Pulumi.yaml", "__main__.py", "Pulumi.dev.yaml", "schema", "resolvers")


def test_policy_refuses_a_resolver_appsync_would_refuse(tmp_path):
    root = tmp_path / "project"
    root.mkdir()
    for name in PROGRAM_FILES:
        source = REPO_ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, root / name)
    target = root / "resolvers" / "functions" / "validateArgs.js"
    lines = target.read_text().splitlines()
    lines.insert(1, "const attempts = [1].map((x) => { try { return x; } catch (e) { return 0; } });")
    target.write_text("\n".join(lines) + "\n")
    run = subprocess.run(
        [sys.executable, "-m", "chatstack.cli", "policy", "--stack", "dev"],
        cwd=root, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 2, run.stdout + run.stderr
    assert f"{target}:2:35: LINT_ERROR [no-try]" in run.stderr
    assert "util.error" in run.stderr  # says what to write instead
