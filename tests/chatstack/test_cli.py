"""The installed `chatstack` command works on the project it is started in (or --cwd), not
on the checkout it was installed from."""

import json
import shutil
import subprocess
import sys

import pytest
import yaml

from tests.project import REPO_ROOT

CLI = [sys.executable, "-m", "chatstack.cli"]
PROGRAM_FILES = ("Pulumi.yaml", "__main__.py", "Pulumi.dev.yaml", "schema", "resolvers")


@pytest.fixture(scope="module")
def copy(tmp_path_factory):
    """The project copied elsewhere (no .venv), with a stack that exists only in the copy."""
    root = tmp_path_factory.mktemp("copy") / "event-project"
    root.mkdir()
    for name in PROGRAM_FILES:
        source = REPO_ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, root / name)
    config = yaml.safe_load((REPO_ROOT / "Pulumi.dev.yaml").read_text())["config"]
    config["chatstack:participants"] = 1234
    (root / "Pulumi.copyonly.yaml").write_text(yaml.safe_dump({"config": config}))
    (root / "sub" / "dir").mkdir(parents=True)
    return root


def run(args, cwd):
    return subprocess.run([*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def test_plan_reads_the_copy_from_inside_it_and_via_cwd(copy, tmp_path):
    inside = run(["plan", "--stack", "copyonly", "--json"], cwd=copy / "sub" / "dir")
    assert inside.returncode == 0, inside.stderr
    assert json.loads(inside.stdout)["inputs"]["participants"] == 1234
    elsewhere = run(["--cwd", str(copy), "plan", "--stack", "copyonly", "--json"], cwd=tmp_path)
    assert elsewhere.returncode == 0, elsewhere.stderr
    assert json.loads(elsewhere.stdout) == json.loads(inside.stdout)
    after_command = run(["plan", "-C", str(copy), "--stack", "copyonly", "--json"], cwd=tmp_path)
    assert json.loads(after_command.stdout) == json.loads(inside.stdout)


def test_policy_and_preview_read_the_copy(copy):
    policy = run(["policy", "--stack", "copyonly"], cwd=copy)
    assert policy.returncode == 0, policy.stdout + policy.stderr
    assert "copyonly" in policy.stdout
    preview = run(["preview", "--stack", "copyonly", "--json"], cwd=copy)
    assert preview.returncode == 0, preview.stderr
    assert "copyonly" in preview.stdout


def test_the_copys_own_resolvers_are_deployed(copy, monkeypatch):
    from chatstack.offline.evaluation import evaluate_program
    from chatstack.project import find_project

    marker = "// deployed from the copy"
    resolver_files = [copy / "resolvers" / "pipeline.js", copy / "resolvers" / "subscription.js"]
    for file in resolver_files:
        file.write_text(file.read_text() + f"\n{marker}\n")
    monkeypatch.chdir(copy / "sub")
    try:
        run = evaluate_program("copyonly", find_project().root)
    finally:
        for file in resolver_files:
            file.write_text(file.read_text().replace(f"\n{marker}\n", ""))
    codes = [r.inputs["code"] for r in run.of_type("aws:appsync/resolver:Resolver")]
    assert codes and all(marker in code for code in codes)


def test_no_project_is_exit_2_naming_the_directory(tmp_path):
    result = run(["plan", "--stack", "dev"], cwd=tmp_path)
    assert result.returncode == 2
    assert f"no Pulumi.yaml in {tmp_path}" in result.stderr


def test_local_config_and_attendee_token_errors_name_what_to_do(copy, capsys):
    from chatstack.cli import main

    assert main(["local", "--stack", "dev", "--config", "attendeeAuth", "--cwd", str(copy)]) == 2
    assert "--config expects key=value" in capsys.readouterr().err
    # an oidc setting the config model refuses fails before anything starts, naming the key
    assert main(["local", "--stack", "dev", "--port", "0", "--config", "attendeeAuth=oidc",
                 "--config", "oidcIssuer=http://plain.example.com", "--cwd", str(copy)]) == 2
    assert "chatstack:oidcIssuer" in capsys.readouterr().err
    token = ["attendee-token", "--sub", "a-1", "--name", "Ann", "--cwd", str(copy)]
    assert main([*token, "--stack", "nope"]) == 2
    assert "no stack 'nope'" in capsys.readouterr().err
    assert main([*token, "--stack", "dev"]) == 2  # the copy's dev stack was never served
    assert "chatstack local --stack dev --config attendeeAuth=oidc" in capsys.readouterr().err
