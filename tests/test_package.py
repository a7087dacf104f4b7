"""The wheel as another Pulumi project uses it: built from this checkout, installed (base
install only: no moto, Locust or browser tooling) into a fresh virtualenv, then an event made
from a packaged template, previewed and policy-checked from a directory that holds nothing
but Pulumi.yaml and a four-line program using EventChatStack."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import venv
from pathlib import Path

import pytest

from tests.project import REPO_ROOT

PROGRAM = textwrap.dedent('''
    import pulumi
    from chatstack.config import read_pulumi_config
    from components import EventChatStack, EventChatStackArgs

    chat = EventChatStack("chat", EventChatStackArgs(event=pulumi.get_stack(), region="us-east-1",
                                                     config=read_pulumi_config(), project=pulumi.get_project()))
    pulumi.export("graphqlUrl", chat.graphql_url)
''')


PACKAGE_SOURCES = ("pyproject.toml", "setup.py", "README.md", "chatstack", "components", "fanout_consumer",
                   "archive_consumer", "appsync_local", "schema", "resolvers", "policy", "templates")
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc")


def run(*command: str | Path, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh virtualenv holding the wheel and its base dependencies: its bin directory."""
    work = tmp_path_factory.mktemp("package")
    # Built from a copy of what the wheel is made of: setuptools leaves build/ in the source tree,
    # and a stale build/ would carry deleted modules into the wheel.
    source = work / "source"
    source.mkdir()
    for entry in PACKAGE_SOURCES:
        copy = shutil.copytree if (REPO_ROOT / entry).is_dir() else shutil.copy2
        copy(REPO_ROOT / entry, source / entry, **({"ignore": IGNORED} if copy is shutil.copytree else {}))
    built = run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", work / "dist",
                source, cwd=work)
    assert built.returncode == 0, built.stderr
    (wheel,) = (work / "dist").glob("chatstack-*.whl")
    venv.create(work / "venv", with_pip=True)
    bin_dir = work / "venv" / "bin"
    install = run(bin_dir / "python", "-m", "pip", "install", "--quiet", wheel, cwd=work)
    assert install.returncode == 0, install.stderr
    return bin_dir


def test_another_project_makes_previews_and_checks_an_event_with_the_installed_package(installed, tmp_path):
    project = tmp_path / "acme-events"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: acme-events\nruntime: python\n")
    (project / "__main__.py").write_text(PROGRAM)
    made = run(installed / "chatstack", "event", "new", "webinar-0612", "--template", "webinar",
               "--set", "owner=acme", "--set", 'alarmEmails=["oncall@acme-events.io"]',
               "--set", "sesEmailIdentityArn=arn:aws:ses:us-east-1:111122223333:identity/acme-events.io",
               "--set", "webApp=false", "--unset", "webAppDomain", "--unset", "webAppCertificateArn", cwd=project)
    assert made.returncode == 0, made.stderr
    assert "plan: fits-defaults" in made.stdout
    assert sorted(p.name for p in project.iterdir()) == ["Pulumi.webinar-0612.yaml", "Pulumi.yaml", "__main__.py"]

    preview = run(installed / "chatstack", "preview", "--stack", "webinar-0612", "--json", cwd=project)
    assert preview.returncode == 0, preview.stderr
    for resource_type in ("aws:appsync/graphQLApi:GraphQLApi", "aws:dynamodb/table:Table",
                          "aws:cognito/userPool:UserPool", "aws:appsync/resolver:Resolver"):
        assert resource_type in preview.stdout, resource_type
    assert "acme-events" in preview.stdout  # named from the other project

    policy = run(installed / "chatstack", "policy", "--stack", "webinar-0612", cwd=project)
    assert policy.returncode == 0, policy.stdout + policy.stderr
    assert "passed" in policy.stdout


def test_the_base_install_leaves_out_the_local_stack_and_the_load_test(installed, tmp_path):
    for module in ("moto", "locust", "playwright", "aiohttp"):
        probe = run(installed / "python", "-c", f"import {module}", cwd=tmp_path)
        assert probe.returncode != 0, f"{module} is in the base install"
    (tmp_path / "Pulumi.yaml").write_text("name: acme-events\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text((REPO_ROOT / "Pulumi.dev.yaml").read_text())
    local = run(installed / "chatstack", "local", "--stack", "dev", "--port", "0", cwd=tmp_path)
    assert local.returncode == 2 and "pip install 'chatstack[local]'" in local.stderr
