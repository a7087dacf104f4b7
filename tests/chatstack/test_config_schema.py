"""`chatstack config schema`: the JSON Schema of every chatstack:* key, from the config model."""

import json

import jsonschema
import pytest
import yaml

from chatstack.cli import main
from chatstack.config import config_keys
from chatstack.config_schema import config_json_schema
from chatstack.project import find_project, stack_names, template_names

SCHEMA = config_json_schema()


def stack_file(stack: str) -> dict:
    return yaml.safe_load((find_project().root / f"Pulumi.{stack}.yaml").read_text())["config"]


def template_file(template: str) -> dict:
    return yaml.safe_load((find_project().templates_dir / f"{template}.yaml").read_text())["config"]


def test_every_config_key_is_in_the_schema_with_a_description():
    assert set(SCHEMA["properties"]) == set(config_keys())
    assert all(p.get("description") for p in SCHEMA["properties"].values())
    assert set(SCHEMA["required"]) == {"chatstack:environment", "chatstack:owner", "chatstack:participants"}
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("stack", stack_names())
def test_the_shipped_stack_files_validate(stack):
    jsonschema.validate(stack_file(stack), SCHEMA)


@pytest.mark.parametrize("template", template_names())
def test_the_shipped_templates_validate(template):
    jsonschema.validate(template_file(template), SCHEMA)


@pytest.mark.parametrize(("key", "value", "why"), [
    ("chatstack:participants", 0, "minimum"),
    ("chatstack:fanOutMode", "broadcast", "enum"),
    ("chatstack:participant", 10, "additionalProperties"),
    ("chatstack:alarmEmails", "ops@example.com", "type"),
])
def test_a_bad_value_fails_the_schema_as_it_fails_the_model(key, value, why):
    document = {**stack_file("dev"), key: value}
    with pytest.raises(jsonschema.ValidationError) as error:
        jsonschema.validate(document, SCHEMA)
    assert error.value.validator in (why, "anyOf", "const")


def test_the_command_prints_it(capsys):
    assert main(["config", "schema"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(json.dumps(SCHEMA))
