import json

from chatstack.cli import main
from tests.project import stacks_root

FINALS_ROOT = str(stacks_root())  # the shipped stacks and the filled-in 250k template


def test_preview_json_lists_the_full_graph(capsys):
    assert main(["-C", FINALS_ROOT, "preview", "--stack", "finals-250k", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    types = {r["type"] for r in document["resources"]}
    assert {"aws:dynamodb/table:Table", "aws:cognito/userPool:UserPool", "aws:appsync/graphQLApi:GraphQLApi",
            "aws:appsync/resolver:Resolver", "aws:appsync/function:Function"} <= types
    assert document["outputs"]["tableName"] == "chatstack-finals-250k-messages"


def test_preview_text_shows_tree_and_protection(capsys):
    assert main(["-C", FINALS_ROOT, "preview", "--stack", "finals-250k"]) == 0
    out = capsys.readouterr().out
    assert "aws:dynamodb/table:Table  chat-messages-table [protected, retained on delete]" in out
    assert "Outputs:" in out and "graphqlUrl:" in out


def test_unknown_stack_and_bad_config_exit_2_with_a_message(capsys, tmp_path, monkeypatch):
    assert main(["preview", "--stack", "nope"]) == 2
    assert "Pulumi.nope.yaml does not exist" in capsys.readouterr().err
