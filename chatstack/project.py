"""Where the Pulumi project is: found the way `pulumi` finds it, from a directory upward."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from appsync_local.manifest import ResolverManifest, load_manifest

PROJECT_FILE = "Pulumi.yaml"
TEMPLATES_DIR = "templates"


class ProjectNotFoundError(LookupError):
    """No Pulumi.yaml in a directory or any of its parents."""


class StackNotFoundError(FileNotFoundError):
    """No Pulumi.<stack>.yaml in the project."""


@dataclass(frozen=True)
class Project:
    """A chatstack Pulumi project directory and the program files in it."""

    root: Path

    @property
    def schema_path(self) -> Path:
        return self.root / "schema" / "chat.graphql"

    @property
    def manifest_path(self) -> Path:
        return self.root / "resolvers" / "manifest.yaml"

    @property
    def web_dir(self) -> Path:
        """The web client's sources (npm project)."""
        return self.root / "web"

    @property
    def web_dist(self) -> Path:
        """The web client's production build (what ChatWebApp uploads and `chatstack local` serves)."""
        return self.web_dir / "dist"

    @property
    def templates_dir(self) -> Path:
        """Event templates (stack files with placeholders): the project's own, else the installed ones."""
        own = self.root / TEMPLATES_DIR
        return own if own.is_dir() or not installed_files_root() else installed_files_root() / TEMPLATES_DIR

    @property
    def has_program_files(self) -> bool:
        return self.schema_path.is_file() and self.manifest_path.is_file()

    @property
    def state_dir(self) -> Path:
        """Where the local stack keeps what it generates (outputs, keys, logs)."""
        return self.root / ".chatstack"

    def schema(self) -> str:
        return self.schema_path.read_text(encoding="utf-8")

    def manifest(self) -> ResolverManifest:
        return load_manifest(self.manifest_path)


def find_project(start: Path | str | None = None) -> Project:
    """The nearest directory at or above `start` (default: the current one) with a Pulumi.yaml."""
    origin = Path(start if start is not None else Path.cwd()).resolve()
    for directory in (origin, *origin.parents):
        if (directory / PROJECT_FILE).is_file():
            return Project(directory)
    raise ProjectNotFoundError(f"no {PROJECT_FILE} in {origin} or any directory above it")


def installed_files_root() -> Path | None:
    """Where the installed package keeps the program's files (schema/, resolvers/, policy/,
    templates/ under chatstack_files/, laid out as in this checkout), or None if not installed."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("chatstack_files.schema")
    except ModuleNotFoundError:
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))).parent


def program_files(start: Path | str | None = None) -> Project:
    """The schema and resolvers the components deploy: the Pulumi project's own (this checkout, or a
    project that keeps its own copies), else the installed package's, so another Pulumi project
    can `pip install chatstack` and use EventChatStack."""
    try:
        project = find_project(start)
    except ProjectNotFoundError:
        project = None
    if project is not None and project.has_program_files:
        return project
    installed = installed_files_root()
    if installed is None:
        raise ProjectNotFoundError("no schema/chat.graphql and resolvers/manifest.yaml in the Pulumi project, and "
                                   "chatstack is not installed with its program files (pip install chatstack)")
    return Project(installed)


def project_root(root: Path | None) -> Path:
    """`root`, or the Pulumi project around the current directory."""
    return root if root is not None else find_project().root


def stack_names(root: Path | None = None) -> list[str]:
    root = project_root(root)
    return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in root.glob("Pulumi.*.yaml"))


def project_name(root: Path | None = None) -> str:
    root = project_root(root)
    return yaml.safe_load((root / "Pulumi.yaml").read_text(encoding="utf-8"))["name"]


def template_names(root: Path | None = None) -> list[str]:
    return sorted(p.stem for p in Project(project_root(root)).templates_dir.glob("*.yaml"))


def read_stack_config(stack: str, root: Path | None = None) -> dict[str, str]:
    """Pulumi.<stack>.yaml's config as the engine hands it over: strings, JSON for structures."""
    root = project_root(root)
    path = root / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        known = ", ".join(stack_names(root)) or "none"
        template = Project(root).templates_dir / f"{stack}.yaml"
        hint = (f"; {stack!r} is a template: chatstack event new <event> --template {stack} --set ..."
                if template.is_file() else "")
        raise StackNotFoundError(f"no stack {stack!r}: {path.name} does not exist (stacks: {known}){hint}")
    return _read_config(path)


def read_template_config(template: str, root: Path | None = None) -> dict[str, str]:
    """templates/<template>.yaml's config, as read_stack_config reads a stack's (placeholders included)."""
    path = Project(project_root(root)).templates_dir / f"{template}.yaml"
    if not path.is_file():
        known = ", ".join(template_names(root)) or "none"
        raise StackNotFoundError(f"no template {template!r}: {TEMPLATES_DIR}/{path.name} does not exist "
                                 f"(templates: {known})")
    return _read_config(path)


def _read_config(path: Path) -> dict[str, str]:
    return config_from_text(path.read_text(encoding="utf-8"))


def config_from_text(text: str) -> dict[str, str]:
    """A stack file's `config:` as the engine hands it over: strings, JSON for structures."""
    raw = yaml.safe_load(text) or {}
    return {key: config_string(value) for key, value in (raw.get("config") or {}).items()}


def config_string(value: Any) -> str:
    """A YAML config value as the engine passes it to the program (JSON for lists and maps)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)
