"""The schema text deployed to AppSync, made from the one source file (schema/chat.graphql).

AppSync's schema parser has not accepted GraphQL string descriptions (`"..."`, `\"\"\"...\"\"\"`):
deploys fail with "Failed to parse schema document" (aws-appsync-community#38, open; the
serverless-appsync-plugin strips them for that reason, #317/#340). Not certain that this
has changed, the deployed schema carries each description as `#` comment lines instead,
except on enum values, where AppSync also rejects some comments (aws-appsync-community#55,
#410): those are dropped. The local stack serves this same deployed text.
"""

from graphql import parse
from graphql.language import EnumValueDefinitionNode, Node


def _described(node: Node, found: list[tuple[Node, Node]]) -> None:
    description = getattr(node, "description", None)
    if description is not None:
        found.append((node, description))
    for key in node.keys:
        value = getattr(node, key, None)
        children = value if isinstance(value, (list, tuple)) else [value]
        for child in children:
            if isinstance(child, Node) and child is not description:
                _described(child, found)


def appsync_schema(source: str) -> str:
    """`source` with every description turned into `#` comments (dropped on enum values)."""
    found: list[tuple[Node, Node]] = []
    _described(parse(source), found)
    text = source
    # From the end, so earlier offsets stay valid.
    for node, description in sorted(found, key=lambda pair: pair[1].loc.start, reverse=True):
        start, end = description.loc.start, description.loc.end
        rest = text[end:].lstrip(" ")
        if isinstance(node, EnumValueDefinitionNode):
            text = text[:start] + rest
            continue
        before = text[text.rfind("\n", 0, start) + 1:start]
        on_own_line = not before.strip()
        indent = before if on_own_line else ""
        comment = ("\n" + indent).join(f"# {line}".rstrip() for line in description.value.splitlines() or [""])
        # A comment runs to the end of its line: what it described continues on the next one.
        if not rest.startswith("\n"):
            rest = "\n" + indent + rest
        text = text[:start] + ("" if on_own_line else "\n") + comment + rest
    return text
