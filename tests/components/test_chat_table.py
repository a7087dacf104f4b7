import pulumi
import pytest

from chatstack.planning import table_design
from tests.conftest import run_stack

TABLE = "aws:dynamodb/table:Table"


def test_table_keys_streams_ttl_pitr_sse(dev):
    table = dev.one(TABLE).inputs
    assert table["hashKey"] == "pk" and table["rangeKey"] == "sk"
    assert table["streamEnabled"] is True
    assert table["streamViewType"] in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES")
    assert table["ttl"] == {"attributeName": table_design.TTL_ATTRIBUTE, "enabled": True}
    assert table["pointInTimeRecovery"]["enabled"] is True
    assert table["serverSideEncryption"]["enabled"] is True
    assert table["billingMode"] == "PAY_PER_REQUEST"
    index = table["globalSecondaryIndexes"][0]
    assert index["name"] == table_design.BY_SENDER_INDEX
    assert [k["keyType"] for k in index["keySchemas"]] == ["HASH", "RANGE"]


def test_production_table_is_protected_and_retained(dev, production):
    prod_table = production.one(TABLE)
    assert prod_table.inputs["deletionProtectionEnabled"] is True
    assert prod_table.protect and prod_table.retain_on_delete
    dev_table = dev.one(TABLE)
    assert dev_table.inputs["deletionProtectionEnabled"] is False
    assert not dev_table.protect


def test_pitr_follows_config():
    run = run_stack("dev", pointInTimeRecovery="false")
    assert run.one(TABLE).inputs["pointInTimeRecovery"]["enabled"] is False


def test_provisioned_table_gets_read_and_write_autoscaling():
    run = run_stack("dev", billingMode="PROVISIONED")
    assert run.one(TABLE).inputs["billingMode"] == "PROVISIONED"
    policies = run.of_type("aws:appautoscaling/policy:Policy")
    scaled = sorted((p.inputs["resourceId"], p.inputs["scalableDimension"]) for p in policies)
    name = run.outputs["tableName"]
    assert scaled == [
        (f"table/{name}", "dynamodb:table:ReadCapacityUnits"),
        (f"table/{name}", "dynamodb:table:WriteCapacityUnits"),
        (f"table/{name}/index/bySender", "dynamodb:index:ReadCapacityUnits"),
        (f"table/{name}/index/bySender", "dynamodb:index:WriteCapacityUnits"),
    ]
    assert all(p.inputs["policyType"] == "TargetTrackingScaling" for p in policies)


def test_provisioned_table_leaves_table_and_index_capacity_to_autoscaling():
    """Otherwise each `pulumi up` resets what autoscaling raised back to the minimum, mid-event."""
    table = run_stack("dev", billingMode="PROVISIONED").one(TABLE)
    indexes = table.inputs["globalSecondaryIndexes"]
    assert indexes and all("readCapacity" in index for index in indexes)
    expected = {"readCapacity", "writeCapacity"}
    for position in range(len(indexes)):
        expected |= {f"globalSecondaryIndexes[{position}].readCapacity",
                     f"globalSecondaryIndexes[{position}].writeCapacity"}
    assert set(table.ignore_changes) == expected


def test_on_demand_table_ignores_nothing(dev):
    assert dev.one(TABLE).ignore_changes == []


@pytest.fixture
def mocked_runtime():
    from chatstack.offline.evaluation import _CloudMocks

    pulumi.runtime.settings.ROOT.set(None)
    pulumi.runtime.set_mocks(_CloudMocks("unit", "eu-west-1"), project="chatstack", stack="unit")
    yield
    pulumi.runtime.settings.ROOT.set(None)


def test_transform_overrides_a_child_and_typos_are_rejected(mocked_runtime):
    from components.chat_table import ChatTable, ChatTableArgs

    with pytest.raises(ValueError, match="no child named"):
        ChatTable("t", ChatTableArgs(physical_name="x", tags={}, transform={"tabel": {}}))


@pulumi.runtime.test
def test_component_exposes_table_outputs(mocked_runtime):
    from components.chat_table import ChatTable, ChatTableArgs

    args = ChatTableArgs(
        physical_name="chatstack-unit-messages", tags={}, transform={"table": {"table_class": "STANDARD"}}
    )
    table = ChatTable("unit", args)

    def check(values):
        name, arn, stream = values
        assert name == "chatstack-unit-messages"
        assert arn == "arn:aws:dynamodb:eu-west-1:123456789012:table/chatstack-unit-messages"
        assert stream.startswith(arn + "/stream/")

    return pulumi.Output.all(table.name, table.arn, table.stream_arn).apply(check)
