"""The deployed schema: the source file's meaning, without the descriptions AppSync's parser rejects."""

from graphql import parse
from graphql.language import Node

from components.appsync_schema import appsync_schema
from tests.project import PROJECT

API = "aws:appsync/graphQLApi:GraphQLApi"


def descriptions(document) -> list:
    found = []

    def walk(node):
        if getattr(node, "description", None) is not None:
            found.append(node.description.value)
        for key in node.keys:
            value = getattr(node, key, None)
            for child in value if isinstance(value, (list, tuple)) else [value]:
                if isinstance(child, Node):
                    walk(child)

    walk(document)
    return found


def without_descriptions(source: str):
    """The document as plain data, descriptions (and locations) left out."""

    def plain(value):
        if isinstance(value, Node):
            return (type(value).__name__, {key: plain(getattr(value, key, None)) for key in value.keys
                                           if key not in ("description", "loc")})
        if isinstance(value, (list, tuple)):
            return [plain(item) for item in value]
        return value

    return plain(parse(source, no_location=True))


def test_the_source_schema_documents_its_fields():
    assert len(descriptions(parse(PROJECT.schema()))) >= 5


def test_the_deployed_schema_has_no_descriptions_and_keeps_them_as_comments(dev):
    deployed = dev.one(API).inputs["schema"]
    assert descriptions(parse(deployed)) == []
    for text in descriptions(parse(PROJECT.schema())):
        assert f"# {text.splitlines()[0]}" in deployed


def test_the_deployed_schema_means_what_the_source_means(dev):
    assert without_descriptions(dev.one(API).inputs["schema"]) == without_descriptions(PROJECT.schema())


def test_block_inline_and_argument_descriptions_become_comments_and_enum_values_lose_theirs():
    source = '''
"""
A thing.
Two lines.
"""
type Thing { "its id" id: ID! }
enum Kind {
  "first kind"
  FIRST
  SECOND
}
type Query { things("which kind" kind: Kind, """how many""" limit: Int): [Thing] }
'''
    deployed = appsync_schema(source)
    assert descriptions(parse(deployed)) == []
    assert without_descriptions(deployed) == without_descriptions(source)
    assert "# A thing.\n# Two lines.\n" in deployed and "# its id" in deployed and "# how many" in deployed
    # AppSync mis-parses some comments before enum values (aws-appsync-community#55, #410)
    assert "first kind" not in deployed
