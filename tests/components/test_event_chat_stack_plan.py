"""The stack derives capacity from the plan, refuses undeployable plans, and requests quota increases."""

import pytest

from chatstack.config import StackConfigError
from chatstack.offline.evaluation import evaluate_program
from chatstack.planning.report import plan_stack
from chatstack.project import read_stack_config
from tests.conftest import run_stack
from tests.project import finals_config, stacks_root

QUOTA = "aws:servicequotas/serviceQuota:ServiceQuota"


def test_on_demand_ceilings_come_from_the_plan(production, dev):
    # batched: 50 msg/s x 5 WRU (slow-mode transaction + GSI) + 5 replies/s x 6 WRU (reply and parent
    # count in a transaction + slow-mode state) + 1 cursor write per flush = 281 WRU/s, x 2 = 562;
    # reads: the 30-minute join window brings 138.9 joins/s x 7 RRU (history + a ban check for each
    # of 2 subscriptions) + 55 sends/s x 3 RRU (moderation check) + 1 cursor read = 1,138.2, x 2 = 2,277
    for run, stack, expected in ((production, "finals-250k", (2_277, 562)), (dev, "dev", (3_214, 100))):
        plan = plan_stack(stack, root=stacks_root())
        throughput = run.one("aws:dynamodb/table:Table").inputs["onDemandThroughput"]
        assert (throughput["maxReadRequestUnits"], throughput["maxWriteRequestUnits"]) == expected
        assert expected == (plan.table.max_read_request_units, plan.table.max_write_request_units)


def test_ceilings_follow_the_message_rate():
    # 250,000 x 66 sends/s (16.5M/s + 20 %: just under the planning ceiling): (60 x 5 + 6 x 6) WRU x 2 = 672
    run = run_stack("finals-250k", messagesPerSecond="60", fanOutMode="perMessage")
    assert run.one("aws:dynamodb/table:Table").inputs["onDemandThroughput"]["maxWriteRequestUnits"] == 672


def test_provisioned_autoscaling_bounds_come_from_the_plan():
    run = run_stack("finals-250k", billingMode="PROVISIONED", fanOutMode="perMessage")
    plan = plan_stack("finals-250k", ["billingMode=PROVISIONED", "fanOutMode=perMessage"], stacks_root())
    targets = {t.inputs["scalableDimension"]: t.inputs for t in run.of_type("aws:appautoscaling/target:Target")}
    write = targets["dynamodb:table:WriteCapacityUnits"]
    read = targets["dynamodb:table:ReadCapacityUnits"]
    # writes: 50 x 5 + 5 replies x 6 = 280 WRU/s: min ceil(280 / 0.7) = 400, max 280 x 2 = 560; reads
    # 5..2,553 ((138.9 joins/s over the 30-minute join window x 8 RRU + 55 sends/s x 3 RRU) x 2)
    assert (write["minCapacity"], write["maxCapacity"]) == (400, 560)
    assert (read["minCapacity"], read["maxCapacity"]) == (5, 2_553)
    assert plan.table.min_write_capacity == 400
    assert "onDemandThroughput" not in run.one("aws:dynamodb/table:Table").inputs


def test_impossible_plan_fails_before_any_resource(registered_monitors):
    seen = registered_monitors
    config = finals_config()
    config["chatstack:messagesPerSecond"] = "100"  # per message: 25M updates/s > 20M planning ceiling
    config["chatstack:fanOutMode"] = "perMessage"
    with pytest.raises(StackConfigError, match="Real-time outbound messages per second") as error:
        evaluate_program("finals-250k", config=config)
    assert "chatstack:messagesPerSecond" in str(error.value) and "impossible" in str(error.value)
    assert seen and seen[0].registered == []


def test_oversized_payload_fails_before_any_resource(registered_monitors):
    seen = registered_monitors
    config = read_stack_config("dev")
    config["chatstack:averageMessageBytes"] = str(240 * 1024)
    with pytest.raises(StackConfigError, match="subscription payload size: .* exceeds the fixed limit"):
        evaluate_program("dev", config=config)
    assert seen and seen[0].registered == []


def test_the_shipped_250k_stack_requests_the_outbound_quota_its_metered_batches_need(production):
    # 250,000 x one ~29 KB batch a second, metered as 6 messages of 5 kB: 1.5M/s, + 20 % headroom
    requested = {q.inputs["quotaCode"]: q.inputs["value"] for q in production.of_type(QUOTA)}
    assert requested == {"L-5DE70651": 1_800_000}


def test_no_quota_requests_unless_asked():
    assert run_stack("finals-250k", requestQuotaIncreases="false").of_type(QUOTA) == []


def test_requested_increase_is_a_service_quota_parented_to_the_stack():
    # dev needs 2 mutations/s + 0.2 replies/s + 200 history queries/s = 202.2 request tokens/s; pretend the
    # account has 100: the request asks for the peak plus 20 % headroom, ceil(242.64) = 243
    run = run_stack("dev", requestQuotaIncreases="true", quotaOverrides='{"requestTokensPerSecond": 100}')
    [quota] = run.of_type(QUOTA)
    assert (quota.inputs["serviceCode"], quota.inputs["quotaCode"], quota.inputs["value"]) == ("appsync", "L-FC5E46D0",
                                                                                               243)
    stack = run.one("chatstack:index:EventChatStack")
    assert quota.parent == stack.urn


def test_requested_increase_uses_an_overridden_quota_code():
    run = run_stack("finals-250k", requestQuotaIncreases="true", fanOutMode="perMessage",
                    quotaOverrides='{"outboundMessagesPerSecond": {"quotaCode": "L-TESTCODE"}}')
    [quota] = run.of_type(QUOTA)
    # (50 messages + 5 replies)/s x 250,000 = 13.75M updates/s, + 20 % headroom
    assert (quota.inputs["quotaCode"], quota.inputs["value"]) == ("L-TESTCODE", 16_500_000)


def test_per_message_250k_requests_the_real_time_outbound_quota_by_its_code():
    run = run_stack("finals-250k", requestQuotaIncreases="true", fanOutMode="perMessage")
    requested = {q.inputs["quotaCode"]: q.inputs["value"] for q in run.of_type(QUOTA)}
    assert requested["L-5DE70651"] == 16_500_000


def test_a_join_window_requests_the_connection_rate_quota_by_its_code():
    run = run_stack("finals-250k", requestQuotaIncreases="true", joinWindowSeconds="600")
    requested = {q.inputs["quotaCode"]: q.inputs["value"] for q in run.of_type(QUOTA)}
    assert requested["L-C01DB6E6"] == 500  # 250,000 in 600 s = 416.7/s, + 20 %


def test_requested_increase_without_a_known_code_fails_before_any_resource(registered_monitors):
    seen = registered_monitors
    config = finals_config()
    config["chatstack:requestQuotaIncreases"] = "true"
    config["chatstack:fanOutMode"] = "perMessage"
    config["chatstack:quotaOverrides"] = '{"outboundMessagesPerSecond": {"quotaCode": null}}'
    with pytest.raises(StackConfigError, match="chatstack:quotaOverrides.outboundMessagesPerSecond.quotaCode"):
        evaluate_program("finals-250k", config=config)
    assert seen and seen[0].registered == []
