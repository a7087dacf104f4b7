"""Pulumi's component analyzer (pulumi.provider.experimental, what `pulumi package add` runs)
produces a package schema for every component from its typed args, so TypeScript and Go
programs can use them; each schema token is the type the component registers."""

from __future__ import annotations

import inspect
import json

import pulumi
from pulumi.provider.experimental.component import ComponentProvider

import components
from components import COMPONENTS


def schema() -> dict:
    return json.loads(ComponentProvider(list(COMPONENTS), "chatstack", version="1.0.0").schema)


def registered_type(component: type) -> str:
    source = inspect.getsource(component.__init__)
    start = source.index('super().__init__("') + len('super().__init__("')
    return source[start:source.index('"', start)]


def test_every_component_of_the_package_is_listed():
    defined = {obj for obj in vars(components).values()
               if inspect.isclass(obj) and issubclass(obj, pulumi.ComponentResource)}
    assert defined == set(COMPONENTS) and len(COMPONENTS) == 8


def test_the_analyzer_makes_a_schema_resource_for_every_component_under_its_registered_type():
    resources = schema()["resources"]
    assert set(resources) == {registered_type(c) for c in COMPONENTS}
    stack = resources["chatstack:index:EventChatStack"]
    assert set(stack["requiredInputs"]) == {"event", "region", "config"}
    assert {"project", "filesDir", "transform"} <= set(stack["inputProperties"])
    assert stack["inputProperties"]["config"]["type"] == "object"
    assert {"graphqlUrl", "realtimeUrl", "userPoolId", "tableName"} <= set(stack["properties"])
    api = resources["chatstack:index:ChatApi"]["inputProperties"]
    assert api["oidc"]["$ref"].endswith(":OidcAttendeeAuth")
    assert api["perMessageRooms"]["type"] == "array"
