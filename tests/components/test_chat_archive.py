"""The archive (ChatArchive) and the dashboard as a stack registers them."""

from __future__ import annotations

import json

from chatstack.event_names import bucket_prefix
from components.chat_archive import glue_name
from components.event_dashboard import dashboard_body


def one(run, type_: str, suffix: str = ""):
    found = [r for r in run.resources if r.type == type_ and r.name.endswith(suffix)]
    assert len(found) == 1, [r.name for r in run.resources if r.type == type_]
    return found[0]


def test_the_archive_is_private_encrypted_kept_for_the_retention_and_queryable(dev):
    bucket = one(dev, "aws:s3/bucket:Bucket", "archive-bucket")
    assert bucket.inputs["tags"]["purpose"] == "chat-archive" and bucket.inputs["forceDestroy"] is True
    lifecycle = one(dev, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    assert lifecycle.inputs["rules"][0]["expiration"]["days"] == 7  # Pulumi.dev.yaml retentionDays
    access = one(dev, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "archive-private")
    assert all(access.inputs[k] for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                          "restrictPublicBuckets"))
    mapping = [r for r in dev.resources if r.type == "aws:lambda/eventSourceMapping:EventSourceMapping"]
    assert [m.inputs["startingPosition"] for m in mapping] == ["TRIM_HORIZON"]  # every event, from the start
    table = one(dev, "aws:glue/catalogTable:CatalogTable")
    assert table.inputs["parameters"]["projection.enabled"] == "true"
    assert [c["name"] for c in table.inputs["storageDescriptor"]["columns"]][:3] == ["key", "type", "roomid"]
    queries = [r for r in dev.resources if r.type == "aws:athena/namedQuery:NamedQuery"]
    assert len(queries) == 3 and all('"chatstack_dev_archive"."chatstack_dev_archive_events"' in q.inputs["query"]
                                for q in queries)


def test_the_dashboard_and_its_url_are_stack_outputs(dev, production):
    for run in (dev, production):
        assert run.outputs["dashboardUrl"].endswith(f"#dashboards/dashboard/chatstack-{run.stack}")
        body = json.loads(one(run, "aws:cloudwatch/dashboard:Dashboard").inputs["dashboardBody"])
        titles = [w["properties"]["title"] for w in body["widgets"]]
        assert any("AppSync" in t for t in titles) and any("DynamoDB" in t for t in titles)
    # batched: both stream consumers on the dashboard
    body = json.loads(one(production, "aws:cloudwatch/dashboard:Dashboard").inputs["dashboardBody"])
    consumers = next(w for w in body["widgets"] if "iterator age" in w["properties"]["title"])
    assert len(consumers["properties"]["metrics"]) == 2


def test_names_fit_aws_rules():
    assert bucket_prefix("chatstack-" + "x" * 80, "archive").endswith("-archive-")
    assert len(bucket_prefix("chatstack-" + "x" * 80, "archive")) <= 63 - 26
    assert glue_name("chatstack-Finals-2027-archive") == "chatstack_finals_2027_archive"
    assert json.loads(dashboard_body("us-east-1", "e", "api", "table", []))["widgets"]
