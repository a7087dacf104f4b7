"""The name limits the deploy check applies: read from botocore, and able to fail."""

from chatstack.aws_name_limits import input_named, limits, max_length, name_problems

ROLE = "aws:iam/role:Role"


def test_limits_come_from_botocore_service_models():
    (role_name,) = limits("iam", "CreateRole", "RoleName")
    assert (role_name.min, role_name.max, role_name.pattern) == (1, 64, r"[\w+=,.@-]+")
    assert "botocore" in role_name.source


def test_a_name_prefix_leaves_room_for_the_providers_26_character_suffix():
    assert max_length(input_named(ROLE, "namePrefix")) == 38
    assert name_problems(ROLE, "r", {"namePrefix": "p" * 38}) == []
    (problem,) = name_problems(ROLE, "r", {"namePrefix": "p" * 39})
    assert "65 characters" in problem and "at most 64" in problem and "CreateRole RoleName" in problem


def test_documented_rules_tighten_loose_models():
    # botocore allows 140 (an ARN); a bare function name is limited to 64.
    lambda_type = "aws:lambda/function:Function"
    assert name_problems(lambda_type, "f", {"name": "f" * 64}) == []
    assert any("at most 64" in p for p in name_problems(lambda_type, "f", {"name": "f" * 65}))
    assert name_problems(lambda_type, "f", {"name": "finals.2027"})
    assert name_problems("aws:sqs/queue:Queue", "q", {"name": "q" * 81})
    assert name_problems("aws:sqs/queue:Queue", "q", {"name": "a.b"})
    assert name_problems("aws:dynamodb/table:Table", "t", {"name": "ab"})


def test_java_pattern_classes_are_honoured():
    group = "aws:cognito/userGroup:UserGroup"
    assert name_problems(group, "g", {"name": "moderators"}) == []
    assert name_problems(group, "g", {"name": "two words"})  # \p{Z} is not among the allowed classes


def test_unset_names_are_checked_as_pulumi_would_autoname_them():
    assert name_problems("aws:iam/rolePolicy:RolePolicy", "x" * 120, {}) == []
    assert name_problems("aws:iam/rolePolicy:RolePolicy", "x" * 121, {})  # + "-" + 7 characters = 129 > 128


def test_a_resource_type_without_a_rule_is_reported_not_ignored():
    (problem,) = name_problems("aws:ec2/vpc:Vpc", "b", {"name": "x"})
    assert "no name rule known" in problem


def test_web_client_names_follow_s3_and_cloudfront_rules():
    bucket = "aws:s3/bucket:Bucket"
    assert name_problems(bucket, "site", {"bucketPrefix": "chatstack-finals-web-"}) == []
    (too_long,) = name_problems(bucket, "site", {"bucketPrefix": "chatstack-" + "a" * 30 + "-web-"})
    assert "(+26 generated)" in too_long and "at most 63" in too_long
    (upper,) = name_problems(bucket, "site", {"bucketPrefix": "Chatstack-web-"})
    assert "does not match" in upper
    oac = "aws:cloudfront/originAccessControl:OriginAccessControl"
    assert name_problems(oac, "chat-web-oac", {}) == []  # Pulumi's auto-name fits
    (problem,) = name_problems(oac, "x", {"name": "o" * 65})
    assert "at most 64" in problem
