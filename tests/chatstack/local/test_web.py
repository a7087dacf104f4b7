"""The web client on the local endpoint (chatstack.local.web): staleness of the build, and
what the root of the endpoint serves."""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from chatstack.local.web import WebBuild, WebBuildError, add_web_client

OUTPUTS = {"graphqlUrl": "http://127.0.0.1:9/graphql", "realtimeUrl": "ws://127.0.0.1:9/graphql/realtime",
           "region": "us-east-1", "userPoolId": "us-east-1_x", "userPoolClientId": "client", "fanOutMode": "batched",
           "attendeeAuth": "cognito", "selfSignUp": True,
           "apiId": "api", "tableName": "t", "cognitoEndpoint": "http://127.0.0.1:8"}


def fake_web(tmp_path: Path) -> Path:
    web_dir = tmp_path / "web"
    (web_dir / "src").mkdir(parents=True)
    for name in ("index.html", "vite.config.ts", "tsconfig.json", "package.json", "package-lock.json"):
        (web_dir / name).write_text("x")
    (web_dir / "src" / "main.tsx").write_text("x")
    return web_dir


def build(web_dir: Path) -> None:
    (web_dir / "dist" / "assets").mkdir(parents=True, exist_ok=True)
    (web_dir / "dist" / "index.html").write_text("<!doctype html><title>chat</title>")
    (web_dir / "dist" / "assets" / "app-1a2b.js").write_text("console.log(1)")
    later = time.time() + 5
    os.utime(web_dir / "dist" / "index.html", (later, later))


def test_a_missing_or_older_build_is_stale(tmp_path):
    web_dir = fake_web(tmp_path)
    assert "does not exist" in WebBuild(web_dir).stale_reason()
    build(web_dir)
    assert WebBuild(web_dir).stale_reason() is None
    future = time.time() + 60
    os.utime(web_dir / "src" / "main.tsx", (future, future))
    assert WebBuild(web_dir).stale_reason() == "src/main.tsx changed after the last build"


def test_building_without_node_modules_says_what_to_run(tmp_path):
    with pytest.raises(WebBuildError, match="make install"):
        WebBuild(fake_web(tmp_path)).ensure_built(lambda _line: None)


async def _client(dist: Path) -> TestClient:
    app = web.Application()

    async def graphql(_request):
        return web.json_response({"data": {}})

    app.router.add_post("/graphql", graphql)
    add_web_client(app, dist, lambda: OUTPUTS)
    client = TestClient(TestServer(app))
    await client.start_server()
    return client


def _serve(dist: Path, scenario) -> None:
    async def main():
        client = await _client(dist)
        try:
            await scenario(client)
        finally:
            await client.close()
    asyncio.run(main())


def test_root_serves_the_app_config_json_and_the_deployed_headers(tmp_path):
    web_dir = fake_web(tmp_path)
    build(web_dir)

    async def scenario(client):
        page = await client.get("/?room=lobby")
        assert page.status == 200 and "<title>chat</title>" in await page.text()
        assert page.headers["Cache-Control"] == "no-cache"
        csp = page.headers["Content-Security-Policy"]
        assert ("connect-src 'self' http://127.0.0.1:9/graphql ws://127.0.0.1:9/graphql/realtime "
                "http://127.0.0.1:8/") in csp
        assert page.headers["X-Frame-Options"] == "DENY" and page.headers["X-Content-Type-Options"] == "nosniff"
        assert "Strict-Transport-Security" not in page.headers  # plain HTTP locally
        config = await client.get("/config.json")
        assert json.loads(await config.text()) == {
            k: OUTPUTS[k] for k in ("graphqlUrl", "realtimeUrl", "region", "userPoolId", "userPoolClientId",
                                    "fanOutMode", "attendeeAuth", "selfSignUp", "cognitoEndpoint")}
        script = await client.get("/assets/app-1a2b.js")
        assert script.status == 200 and script.headers["Cache-Control"].endswith("immutable")
        assert script.headers["Content-Type"].startswith("text/javascript")
        assert (await client.get("/assets/missing.js")).status == 404
        fallback = await client.get("/some/route")
        assert fallback.status == 200 and "<title>chat</title>" in await fallback.text()
        assert (await client.post("/graphql", data="{}")).status == 200  # the API keeps its routes

    _serve(web_dir / "dist", scenario)


def test_paths_outside_the_build_are_not_served(tmp_path):
    web_dir = fake_web(tmp_path)
    build(web_dir)
    (tmp_path / "secret.txt").write_text("secret")

    async def scenario(client):
        for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/assets/../../secret.txt"):
            response = await client.get(path)
            assert "secret" not in await response.text(), path

    _serve(web_dir / "dist", scenario)


def test_an_unbuilt_client_answers_503_saying_what_to_run(tmp_path):
    async def scenario(client):
        response = await client.get("/")
        assert response.status == 503 and "make local" in await response.text()

    _serve(tmp_path / "missing-dist", scenario)
