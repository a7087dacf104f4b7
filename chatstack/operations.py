"""The GraphQL operations this project's own clients send, as schema/operations.graphql writes
them once (the web client reads the same file: web/src/data/documents.ts).

    operation("SendMessage")   # the document text: that operation and every fragment it spreads
"""

from __future__ import annotations

from functools import cache

from graphql import FragmentDefinitionNode, FragmentSpreadNode, OperationDefinitionNode, parse, print_ast
from graphql.language import Visitor, visit

from chatstack.project import program_files


@cache
def _definitions() -> tuple[dict[str, OperationDefinitionNode], dict[str, FragmentDefinitionNode]]:
    document = parse((program_files().root / "schema" / "operations.graphql").read_text(encoding="utf-8"))
    operations = {d.name.value: d for d in document.definitions
                  if isinstance(d, OperationDefinitionNode) and d.name is not None}
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    return operations, fragments


def _spreads(node: object, fragments: dict[str, FragmentDefinitionNode], found: list[str]) -> None:
    class Spreads(Visitor):
        def enter_fragment_spread(self, spread: FragmentSpreadNode, *_: object) -> None:
            name = spread.name.value
            if name not in found:
                found.append(name)
                _spreads(fragments[name], fragments, found)

    visit(node, Spreads())


@cache
def operation(name: str) -> str:
    """The operation `name` of schema/operations.graphql with the fragments it uses, as text."""
    operations, fragments = _definitions()
    if name not in operations:
        raise KeyError(f"schema/operations.graphql has no operation named {name} (it has {sorted(operations)})")
    used: list[str] = []
    _spreads(operations[name], fragments, used)
    return "\n\n".join(print_ast(node) for node in (operations[name], *(fragments[f] for f in used)))


def names() -> list[str]:
    return sorted(_definitions()[0])
