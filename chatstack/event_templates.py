"""Events from templates: `chatstack event templates` and `chatstack event new`.

A template (`templates/<name>.yaml`) is a stack file with two more top-level keys:
`description` (one line) and `placeholders` (config key -> what the deploying team must give).
`new_event` writes `Pulumi.<event>.yaml` from it: the template's text, comments kept, with the
`--set` values in place. It refuses an invalid or taken event name, and a production stack
whose placeholders were not given (or were given the template's example value), before it
writes anything; the written file is validated as `pulumi up` would validate it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from chatstack.config import NAMESPACE, EventChatConfig, StackConfigError, parse_stack_values
from chatstack.event_names import check_event_name
from chatstack.project import (
    Project,
    config_from_text,
    config_string,
    project_name,
    read_template_config,
    template_names,
)

# Top-level keys of a template that a stack file does not have.
TEMPLATE_ONLY_KEYS = ("description", "placeholders")


class EventTemplateError(ValueError):
    """The event cannot be made as asked (the message says which value and what to give)."""


@dataclass(frozen=True)
class EventTemplate:
    name: str
    path: Path
    description: str
    placeholders: dict[str, str]
    config: dict[str, str] = field(repr=False)


def load_template(name: str, root: Path) -> EventTemplate:
    config = read_template_config(name, root)  # unknown names fail listing the templates there are
    path = Project(root).templates_dir / f"{name}.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return EventTemplate(name=name, path=path, description=str(raw.get("description", "")),
                         placeholders={str(k): str(v) for k, v in (raw.get("placeholders") or {}).items()},
                         config=config)


def list_templates(root: Path) -> list[EventTemplate]:
    return [load_template(name, root) for name in template_names(root)]


def qualified(key: str) -> str:
    return key if ":" in key else f"{NAMESPACE}:{key}"


def parse_settings(pairs: list[str]) -> dict[str, str]:
    """`--set key=value` pairs (chatstack: namespace by default), as typed."""
    settings = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise EventTemplateError(f"--set expects key=value, got {pair!r}")
        settings[qualified(key.strip())] = value
    return settings


def _yaml_value(value: str) -> Any:
    try:
        return yaml.safe_load(value) if value.strip() else ""
    except yaml.YAMLError:
        return value


def _yaml_text(value: str) -> str:
    import json

    parsed = _yaml_value(value)
    if isinstance(parsed, (list, dict)):
        return json.dumps(parsed)  # JSON is YAML, and reads as the shipped stack files do
    return yaml.safe_dump(parsed, default_flow_style=True, width=10_000).strip().removesuffix("...").strip()


def missing_placeholders(template: EventTemplate, settings: dict[str, str], unset: set[str] = frozenset()) -> list[str]:
    """Placeholder keys still holding the template's value: production refuses them."""
    environment = settings.get(f"{NAMESPACE}:environment", template.config.get(f"{NAMESPACE}:environment"))
    if environment != "production":
        return []
    return [key for key in template.placeholders if key not in unset
            and (key not in settings or config_string(_yaml_value(settings[key])) == template.config.get(key))]


def render(template: EventTemplate, event: str, settings: dict[str, str], today: dt.date,
           unset: set[str] = frozenset()) -> str:
    """The stack file's text: the template's config section (comments kept), values replaced."""
    text = template.path.read_text(encoding="utf-8")
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.rstrip() == "config:")
    removed = [re.compile(rf"^\s+{re.escape(key)}:(\s|$)") for key in unset]
    body = [line for line in lines[start + 1:] if not any(r.match(line) for r in removed)]
    for key, value in settings.items():
        pattern = re.compile(rf"^(\s+){re.escape(key)}:(\s|$)")
        line = f"  {key}: {_yaml_text(value)}"
        for i, existing in enumerate(body):
            if pattern.match(existing):
                body[i] = line
                break
        else:
            body.append(line)
    header = [f"# Event {event!r}, made from template {template.name!r} ({template.description}) by "
              f"`chatstack event new` on {today.isoformat()}.",
              f"# Change it as any stack file; `chatstack plan --stack {event}` re-checks it."]
    return "\n".join([*header, "config:", *body]) + "\n"


@dataclass(frozen=True)
class NewEvent:
    path: Path
    config: EventChatConfig


def new_event(root: Path, event: str, template_name: str, pairs: list[str],
              today: dt.date | None = None, unset: list[str] = ()) -> NewEvent:
    """Write Pulumi.<event>.yaml from the template with `pairs` set and the `unset` keys left out
    (e.g. the web client's domain when webApp=false); EventTemplateError or StackConfigError
    (nothing written) if the result could not be deployed as it is."""
    try:
        check_event_name(project_name(root), event)
    except StackConfigError as error:
        raise EventTemplateError(str(error)) from None
    path = Project(root).root / f"Pulumi.{event}.yaml"
    if path.exists():
        raise EventTemplateError(f"{path.name} already exists: choose another event name, or edit that file")
    template = load_template(template_name, root)
    settings = parse_settings(pairs)
    left_out = {qualified(key.strip()) for key in unset}
    both = sorted(left_out & set(settings))
    if both:
        raise EventTemplateError(f"{', '.join(both)}: both --set and --unset; give one")
    missing = missing_placeholders(template, settings, left_out)
    if missing:
        asks = "; ".join(f"--set {key.removeprefix(NAMESPACE + ':')}=... — {template.placeholders[key]}"
                         for key in missing)
        raise EventTemplateError(f"template {template.name!r} makes a production stack, which needs what only "
                                 f"the deploying team has: {asks}")
    text = render(template, event, settings, today or dt.date.today(), left_out)
    config = config_from_text(text)
    try:
        validated = parse_stack_values(config)
    except StackConfigError as error:
        raise StackConfigError(f"{path.name} was not written: {error}") from None
    with open(path, "x", encoding="utf-8") as handle:  # "x": never over a file made meanwhile
        handle.write(text)
    return NewEvent(path=path, config=validated)
