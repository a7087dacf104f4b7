"""ChatWebApp: what the deployed web client is made of, from the program under mocks
(`chatstack:webApp: true`, the real build of web/)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatstack.config import StackConfigError
from chatstack.event_names import BUCKET_PREFIX_MAX, EVENT_NAME_PATTERN, bucket_prefix, stem
from chatstack.web_contract import CLIENT_CONFIG_KEYS, IMMUTABLE, REVALIDATE
from components.chat_web_app import site_files
from tests.conftest import run_stack
from tests.web_build import built_web_dist

DOMAIN = {"webAppDomain": "chat.example.com",
          "webAppCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d"}


def web_run(stack: str = "dev", **overrides: str):
    built_web_dist()
    return run_stack(stack, webApp="true", **overrides)


def one(run, type_token: str):
    """The web client's resource of that type (the archive has a bucket of its own)."""
    found = [r for r in run.resources if r.type == type_token and not r.name.startswith("chat-archive")]
    assert len(found) == 1, [r.name for r in found]
    return found[0]


def csp_directives(run) -> dict[str, list[str]]:
    policy = one(run, "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy")
    csp = policy.inputs["securityHeadersConfig"]["contentSecurityPolicy"]["contentSecurityPolicy"]
    return {part.split()[0]: part.split()[1:] for part in csp.split(";") if part.strip()}


def test_off_by_default_and_on_with_the_config_key():
    assert not [r for r in run_stack("dev").resources if r.type.startswith("aws:cloudfront")]
    assert "webUrl" not in run_stack("dev").outputs
    run = web_run()
    domain = one(run, "aws:cloudfront/distribution:Distribution").computed["domainName"]
    assert run.outputs["webUrl"] == f"https://{domain}/"


def test_bucket_is_private_encrypted_and_readable_only_by_the_distribution():
    run = web_run()
    bucket = one(run, "aws:s3/bucket:Bucket")
    block = one(run, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert all(block.inputs[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                                 "restrictPublicBuckets"))
    encryption = one(run, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    assert encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "AES256"
    assert one(run, "aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs["rule"] == {
        "objectOwnership": "BucketOwnerEnforced"}
    distribution = one(run, "aws:cloudfront/distribution:Distribution")
    statements = json.loads(one(run, "aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])["Statement"]
    allow, deny = statements
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"} and allow["Action"] == "s3:GetObject"
    assert allow["Resource"] == f"{bucket.computed['arn']}/*"
    assert allow["Condition"] == {"StringEquals": {"AWS:SourceArn": distribution.computed["arn"]}}
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_distribution_reads_through_oac_over_https_with_spa_fallback():
    run = web_run()
    distribution = one(run, "aws:cloudfront/distribution:Distribution").inputs
    oac = one(run, "aws:cloudfront/originAccessControl:OriginAccessControl")
    (origin,) = distribution["origins"]
    assert origin["originAccessControlId"] == oac.id and "s3OriginConfig" not in origin
    assert oac.inputs["signingBehavior"] == "always" and oac.inputs["signingProtocol"] == "sigv4"
    assert distribution["defaultCacheBehavior"]["viewerProtocolPolicy"] == "redirect-to-https"
    assert distribution["defaultRootObject"] == "index.html"
    fallback = {int(e["errorCode"]): (e["responsePagePath"], int(e["responseCode"]))
                for e in distribution["customErrorResponses"]}
    assert fallback == {403: ("/index.html", 200), 404: ("/index.html", 200)}
    headers = one(run, "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy")
    assert distribution["defaultCacheBehavior"]["responseHeadersPolicyId"] == headers.id


def test_csp_connect_src_is_exactly_this_stacks_appsync_and_cognito():
    run = web_run()
    directives = csp_directives(run)
    assert directives["connect-src"] == ["'self'", run.outputs["graphqlUrl"], run.outputs["realtimeUrl"],
                                         "https://cognito-idp.us-east-1.amazonaws.com/"]
    assert directives["script-src"] == ["'self'"] and directives["default-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    security = one(run, "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy").inputs["securityHeadersConfig"]
    assert security["frameOptions"]["frameOption"] == "DENY"
    assert security["strictTransportSecurity"]["accessControlMaxAgeSec"] >= 31_536_000


def test_embedding_origins_become_frame_ancestors_and_drop_x_frame_options():
    run = web_run(webAppEmbedOrigins='["https://live.example.com"]')
    assert csp_directives(run)["frame-ancestors"] == ["https://live.example.com"]
    security = one(run, "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy").inputs["securityHeadersConfig"]
    assert "frameOptions" not in security


def test_config_json_is_the_client_keys_of_the_stack_outputs():
    run = web_run("dev", fanOutMode="batched")
    config = next(r for r in run.resources if r.type == "aws:s3/bucketObjectv2:BucketObjectv2"
                  and r.inputs["key"] == "config.json")
    body = json.loads(config.inputs["content"])
    assert set(body) == set(CLIENT_CONFIG_KEYS)
    assert body == {key: run.outputs[key] for key in CLIENT_CONFIG_KEYS}
    assert body["fanOutMode"] == "batched"
    assert config.inputs["cacheControl"] == REVALIDATE


def test_every_built_file_is_uploaded_with_its_type_and_caching():
    run = web_run()
    dist = built_web_dist()
    objects = {r.inputs["key"]: r.inputs for r in run.resources if r.type == "aws:s3/bucketObjectv2:BucketObjectv2"}
    built = {p.relative_to(dist).as_posix() for p in dist.rglob("*") if p.is_file()}
    assert set(objects) == built | {"config.json"}
    assert objects["index.html"]["contentType"].startswith("text/html")
    assert objects["index.html"]["cacheControl"] == REVALIDATE
    scripts = [k for k in objects if k.startswith("assets/") and k.endswith(".js")]
    assert scripts and all(objects[k]["cacheControl"] == IMMUTABLE for k in scripts)
    assert all(objects[k]["contentType"].startswith("text/javascript") for k in scripts)


def test_own_domain_gets_tls_1_2_and_its_url():
    run = web_run("finals-250k", **DOMAIN)
    distribution = one(run, "aws:cloudfront/distribution:Distribution").inputs
    assert distribution["aliases"] == ["chat.example.com"]
    assert distribution["viewerCertificate"] == {
        "acmCertificateArn": DOMAIN["webAppCertificateArn"], "sslSupportMethod": "sni-only",
        "minimumProtocolVersion": "TLSv1.2_2021"}
    assert run.outputs["webUrl"] == "https://chat.example.com/"
    # Production keeps the bucket's objects on delete; development may drop them.
    assert one(run, "aws:s3/bucket:Bucket").inputs["forceDestroy"] is False
    assert one(web_run(), "aws:s3/bucket:Bucket").inputs["forceDestroy"] is True


def test_children_are_parented_to_the_component_and_tagged():
    run = web_run()
    component = next(r for r in run.resources if r.type == "chatstack:index:ChatWebApp")
    children = [r for r in run.resources if r.parent == component.urn]
    assert {r.type.split(":")[1] for r in children} == {"s3/bucket", "s3/bucketPublicAccessBlock",
                                                        "s3/bucketOwnershipControls",
                                                        "s3/bucketServerSideEncryptionConfiguration",
                                                        "cloudfront/originAccessControl",
                                                        "cloudfront/responseHeadersPolicy",
                                                        "cloudfront/distribution", "s3/bucketPolicy",
                                                        "s3/bucketObjectv2"}
    for child in children:
        if "tags" in child.inputs:
            assert child.inputs["tags"]["event"] == "dev"


def test_a_transform_for_a_child_that_does_not_exist_is_refused():
    from components.chat_web_app import ChatWebApp
    from components.transforms import check_roles

    check_roles({"distribution": {}, "files": {}}, ChatWebApp.ROLES, "ChatWebApp")
    with pytest.raises(ValueError, match="no child named"):
        check_roles({"distributon": {}}, ChatWebApp.ROLES, "ChatWebApp")


def test_an_unbuilt_client_is_refused_before_any_resource(tmp_path, monkeypatch, registered_monitors):
    with pytest.raises(StackConfigError, match="chatstack:webApp is true but the web client is not built"):
        site_files(tmp_path / "dist")
    from chatstack.offline.evaluation import evaluate_program
    from chatstack.project import Project, read_stack_config

    monkeypatch.setattr(Project, "web_dist", property(lambda _self: tmp_path / "dist"))
    config = {**read_stack_config("dev"), "chatstack:webApp": "true"}
    with pytest.raises(StackConfigError, match="make web"):
        evaluate_program("dev", config=config)
    assert registered_monitors and registered_monitors[-1].registered == []


def test_site_files_skip_a_built_config_json(tmp_path):
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html>")
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "assets" / "app.js").write_text("")
    assert [f.key for f in site_files(tmp_path)] == ["assets/app.js", "index.html"]


@given(st.from_regex(EVENT_NAME_PATTERN, fullmatch=True).filter(lambda e: len(e) <= 57))
def test_bucket_prefix_is_a_valid_s3_prefix_for_any_event(event):
    prefix = bucket_prefix(stem("chatstack", event), "web")
    assert len(prefix) <= BUCKET_PREFIX_MAX and prefix.endswith("-web-")
    assert all(c.islower() or c.isdigit() or c == "-" for c in prefix)
    assert prefix[0].isalnum()
