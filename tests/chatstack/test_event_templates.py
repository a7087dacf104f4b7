"""`chatstack event templates` and `chatstack event new`: events from templates, refused
before anything is written when they could not be deployed as they are."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from chatstack.cli import main
from chatstack.event_templates import list_templates
from chatstack.policy.runner import check_stack
from tests.project import REPO_ROOT

# What a deploying team gives for every placeholder of the shipped templates.
TEAM_VALUES = {
    "oidcIssuer": "https://login.acme-events.io",
    "alarmEmails": '["oncall@acme-events.io"]',
    "webAppDomain": "chat.acme-events.io",
    "webAppCertificateArn": "arn:aws:acm:us-east-1:111122223333:certificate/1a2b3c4d",
    "webAppEmbedOrigins": '["https://live.acme-events.io"]',
    "sesEmailIdentityArn": "arn:aws:ses:us-east-1:111122223333:identity/acme-events.io",
}


@pytest.fixture
def project(tmp_path) -> Path:
    """This checkout's program, schema, resolvers and templates, without its stack files."""
    for entry in REPO_ROOT.iterdir():
        if not entry.name.startswith((".", "Pulumi.")) or entry.name == "Pulumi.yaml":
            (tmp_path / entry.name).symlink_to(entry)
    return tmp_path


def team_settings(template: str) -> list[str]:
    keys = next(t for t in list_templates(REPO_ROOT) if t.name == template).placeholders
    return [arg for key in keys for arg in ("--set", f"{key.removeprefix('chatstack:')}="
                                                      f"{TEAM_VALUES[key.removeprefix('chatstack:')]}")]


def new(project: Path, *args: str) -> int:
    return main(["-C", str(project), "event", "new", *args])


def test_the_templates_are_the_webinar_the_final_and_the_concert(capsys):
    assert main(["-C", str(REPO_ROOT), "event", "templates", "--format", "json"]) == 0
    listed = {t["name"]: t for t in json.loads(capsys.readouterr().out)}
    assert {name: t["participants"] for name, t in listed.items()} == {
        "webinar": 5_000, "final": 250_000, "concert": 1_000_000}
    assert all(t["description"] and t["placeholders"] for t in listed.values())
    assert main(["-C", str(REPO_ROOT), "event", "templates"]) == 0
    text = capsys.readouterr().out
    assert "--set oidcIssuer=..." in text and text.index("concert") < text.index("final") < text.index("webinar")


@pytest.mark.parametrize(("template", "verdict"), [
    ("webinar", "fits-defaults"), ("final", "needs-quota-increases"), ("concert", "needs-quota-increases")])
def test_each_template_makes_an_event_that_plans_and_passes_policy(project, capsys, template, verdict):
    event = f"{template}-0612"
    assert new(project, event, "--template", template, "--set", "owner=acme-events", *team_settings(template)) == 0
    out = capsys.readouterr().out
    assert f"wrote Pulumi.{event}.yaml" in out and f"plan: {verdict}" in out
    assert f"chatstack policy --stack {event}" in out and f"pulumi up --stack {event}" in out
    written = (project / f"Pulumi.{event}.yaml").read_text()
    config = yaml.safe_load(written)["config"]
    assert set(config) >= {"chatstack:environment", "chatstack:participants"} and "placeholders" not in written
    assert config["chatstack:owner"] == "acme-events"
    for key in next(t for t in list_templates(REPO_ROOT) if t.name == template).placeholders:
        given = yaml.safe_load(TEAM_VALUES[key.removeprefix("chatstack:")])
        assert config[key] == given, key
    template_comments = [line for line in (REPO_ROOT / f"templates/{template}.yaml").read_text().splitlines()
                         if line.startswith("  #")]
    assert template_comments and all(line in written for line in template_comments)  # comments travel
    report = check_stack(event, root=project)
    assert report.error is None and report.mandatory == [], (report.error, report.mandatory)


def test_a_production_template_is_refused_without_the_teams_values_and_nothing_is_written(project, capsys):
    assert new(project, "finals-0612", "--template", "final", "--set", "oidcIssuer=https://login.acme-events.io") == 2
    error = capsys.readouterr().err
    assert "--set alarmEmails=..." in error and "--set webAppDomain=..." in error
    assert "--set oidcIssuer" not in error  # given
    # the template's own example value is still a placeholder
    example = yaml.safe_load((REPO_ROOT / "templates/final.yaml").read_text())["config"]["chatstack:alarmEmails"]
    settings = [arg for pair in zip(*[iter(team_settings("final"))] * 2, strict=True)
                if not pair[1].startswith("alarmEmails=") for arg in pair]
    assert new(project, "finals-0612", "--template", "final", *settings,
               "--set", f"alarmEmails={json.dumps(example)}") == 2
    assert "--set alarmEmails=..." in capsys.readouterr().err
    assert not (project / "Pulumi.finals-0612.yaml").exists()
    # a development event needs none of them
    assert new(project, "finals-rehearsal", "--template", "final", "--set", "environment=development") == 0


@pytest.mark.parametrize(("args", "message"), [
    (["bad name", "--template", "webinar"], "stack name 'bad name' cannot name AWS resources"),
    (["w1", "--template", "nope"], "no template 'nope'"),
    (["w1", "--template", "webinar", "--set", "participants"], "--set expects key=value"),
    (["w1", "--template", "webinar", "--set", "participants=-5"], "participants"),
    (["w1", "--template", "webinar", "--set", "participant=5"], "participant"),
])
def test_bad_input_is_refused_naming_what_to_change(project, capsys, args, message):
    settings = team_settings("webinar")
    assert new(project, *args, *settings) == 2
    assert message in capsys.readouterr().err
    assert not list(project.glob("Pulumi.w1.yaml")) and not list(project.glob("Pulumi.bad*.yaml"))


def test_an_existing_stack_file_is_never_replaced(project, capsys):
    (project / "Pulumi.w1.yaml").write_text("config: {}\n")
    assert new(project, "w1", "--template", "webinar", *team_settings("webinar")) == 2
    assert "Pulumi.w1.yaml already exists" in capsys.readouterr().err
    assert (project / "Pulumi.w1.yaml").read_text() == "config: {}\n"


def test_unset_leaves_a_key_and_its_placeholder_out(project, capsys):
    settings = [a for pair in zip(*[iter(team_settings("webinar"))] * 2, strict=True)
                if not pair[1].startswith(("webAppDomain=", "webAppCertificateArn=")) for a in pair]
    assert new(project, "w1", "--template", "webinar", *settings, "--set", "webApp=false",
               "--unset", "webAppDomain", "--unset", "chatstack:webAppCertificateArn") == 0
    config = yaml.safe_load((project / "Pulumi.w1.yaml").read_text())["config"]
    assert config["chatstack:webApp"] is False and "chatstack:webAppDomain" not in config
    assert new(project, "w2", "--template", "webinar", "--set", "webApp=true", "--unset", "webApp") == 2
    assert "both --set and --unset" in capsys.readouterr().err
