"""Project discovery: the nearest Pulumi.yaml at or above a directory, as `pulumi` does it."""

import pytest

from chatstack.project import (
    Project,
    ProjectNotFoundError,
    StackNotFoundError,
    find_project,
    read_stack_config,
    read_template_config,
)
from tests.project import REPO_ROOT


def test_finds_the_nearest_pulumi_yaml_upwards(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: outer\n")
    inner = tmp_path / "inner"
    (inner / "deep" / "er").mkdir(parents=True)
    assert find_project(inner / "deep" / "er") == Project(tmp_path)
    (inner / "Pulumi.yaml").write_text("name: inner\n")
    assert find_project(inner / "deep" / "er") == Project(inner)


def test_defaults_to_the_current_directory(tmp_path, monkeypatch):
    (tmp_path / "Pulumi.yaml").write_text("name: here\n")
    monkeypatch.chdir(tmp_path)
    assert find_project().root == tmp_path.resolve()


def test_no_project_names_the_directory_searched(tmp_path):
    with pytest.raises(ProjectNotFoundError, match=str(tmp_path)):
        find_project(tmp_path)


def test_program_files_are_the_projects_own():
    project = Project(REPO_ROOT)
    assert project.schema_path == REPO_ROOT / "schema" / "chat.graphql"
    assert project.manifest().root == REPO_ROOT / "resolvers"
    assert "type Query" in project.schema()


def test_unknown_stack_lists_the_known_ones(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: p\n")
    (tmp_path / "Pulumi.a.yaml").write_text("config: {}\n")
    with pytest.raises(StackNotFoundError, match=r"Pulumi\.b\.yaml does not exist \(stacks: a\)"):
        read_stack_config("b", tmp_path)


def test_a_template_is_not_a_stack_and_the_error_says_how_to_make_one():
    with pytest.raises(StackNotFoundError, match=r"'final' is a template: chatstack event new <event> "
                                                 r"--template final --set \.\.\."):
        read_stack_config("final", REPO_ROOT)
    assert read_template_config("final", REPO_ROOT)["chatstack:participants"] == "250000"
    with pytest.raises(StackNotFoundError, match=r"no template 'nope'.*\(templates: concert, final, webinar\)"):
        read_template_config("nope", REPO_ROOT)
