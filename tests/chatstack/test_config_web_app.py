"""The web client's config keys: chatstack:webApp and what goes with it."""

import pytest

from chatstack.config import StackConfigError, parse_config

BASE = {"environment": "production", "owner": "live", "participants": 1000}
CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-aaaa"


def test_off_by_default():
    assert parse_config(BASE).web_app is False


def test_own_domain_with_its_certificate():
    config = parse_config({**BASE, "webApp": "true", "webAppDomain": "chat.example.com",
                           "webAppCertificateArn": CERTIFICATE, "webAppEmbedOrigins": ["https://live.example.com"]})
    assert config.web_app_domain == "chat.example.com" and config.web_app_certificate_arn == CERTIFICATE


TOGETHER = "chatstack:webAppDomain and chatstack:webAppCertificateArn"


@pytest.mark.parametrize(("values", "message"), [
    ({"webApp": "true", "webAppDomain": "chat.example.com"}, TOGETHER),
    ({"webApp": "true", "webAppCertificateArn": CERTIFICATE}, TOGETHER),
    ({"webAppDomain": "chat.example.com", "webAppCertificateArn": CERTIFICATE}, "chatstack:webApp is not true"),
    ({"webApp": "true", "webAppDomain": "chat.example.com",
      "webAppCertificateArn": CERTIFICATE.replace("us-east-1", "eu-west-1")}, "chatstack:webAppCertificateArn"),
    ({"webApp": "true", "webAppDomain": "Chat Example"}, "chatstack:webAppDomain"),
    ({"webApp": "true", "webAppEmbedOrigins": ["http://live.example.com"]}, "chatstack:webAppEmbedOrigins"),
    ({"webApp": "true", "webAppEmbedOrigins": ["https://live.example.com/player"]}, "not an https origin"),
])
def test_bad_web_settings_fail_naming_the_key(values, message):
    with pytest.raises(StackConfigError, match=message):
        parse_config({**BASE, **values})


def test_embed_origins_on_loopback_http_only_in_development():
    local = ["http://127.0.0.1:8000", "http://localhost:3000"]
    config = parse_config({**BASE, "environment": "development", "webApp": True, "webAppEmbedOrigins": local})
    assert config.web_app_embed_origins == local
    with pytest.raises(StackConfigError, match="webAppEmbedOrigins: production pages are framed only by https"):
        parse_config({**BASE, "webApp": True, "webAppEmbedOrigins": local})
    with pytest.raises(StackConfigError, match="chatstack:webAppEmbedOrigins"):
        parse_config({**BASE, "environment": "development", "webApp": True,
                      "webAppEmbedOrigins": ["http://events.example.com"]})
