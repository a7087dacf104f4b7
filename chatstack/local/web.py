"""The web client on the local stack: web/dist served at the endpoint's root, same origin as
`/graphql`, with config.json from the local outputs and the deployed security headers.

`ensure_built` rebuilds the client when its build is missing or older than its sources, so
`make local`, the browser tests and the policy tests never serve or upload a stale build.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from chatstack.web_contract import CONTENT_TYPES, IMMUTABLE, REVALIDATE, client_config, security_headers

# What the build reads besides node_modules: a change to any of them makes the build stale.
# ../schema/operations.graphql: the operations the client sends are read from there at build time.
BUILD_INPUTS = ("index.html", "vite.config.ts", "tsconfig.json", "package.json", "package-lock.json", "src",
                "../schema/operations.graphql")
BUILD_TIMEOUT_SECONDS = 600


class WebBuildError(RuntimeError):
    """The web client could not be built (the message says why and what to run)."""


@dataclass(frozen=True)
class WebBuild:
    web_dir: Path

    @property
    def dist(self) -> Path:
        return self.web_dir / "dist"

    def _inputs(self) -> list[Path]:
        found = []
        for name in BUILD_INPUTS:
            path = self.web_dir / name
            found += [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path] if path.exists() else []
        return found

    def stale_reason(self) -> str | None:
        """Why the build must be (re)made, or None if web/dist is newer than every source."""
        index = self.dist / "index.html"
        if not index.is_file():
            return f"{index} does not exist"
        built = index.stat().st_mtime
        newer = [p for p in self._inputs() if p.stat().st_mtime > built]
        if newer:
            return f"{newer[0].relative_to(self.web_dir)} changed after the last build"
        return None

    def ensure_built(self, log: Callable[[str], None] = print) -> bool:
        """Build if stale; True if it built. WebBuildError if it cannot."""
        reason = self.stale_reason()
        if reason is None:
            return False
        npm = shutil.which("npm")
        if npm is None:
            raise WebBuildError("npm is not on PATH; the web client needs Node 20 and npm (see README.md)")
        if not (self.web_dir / "node_modules").is_dir():
            raise WebBuildError(f"{self.web_dir / 'node_modules'} is missing: run `make install` first")
        log(f"building the web client ({reason})")
        result = subprocess.run([npm, "run", "--silent", "build"], cwd=self.web_dir, capture_output=True, text=True,
                                timeout=BUILD_TIMEOUT_SECONDS, check=False)
        if result.returncode != 0:
            tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-30:])
            raise WebBuildError(f"`npm run build` in {self.web_dir} failed (exit {result.returncode}):\n{tail}")
        return True


def local_connect_sources(outputs: dict[str, Any]) -> list[str]:
    """What the locally served page may connect to: the endpoint (also 'self') and local Cognito."""
    sources = [outputs["graphqlUrl"], outputs["realtimeUrl"],
               *(outputs[key] for key in ("eventsUrl", "eventsRealtimeUrl") if outputs.get(key))]
    if outputs.get("cognitoEndpoint"):
        sources.append(outputs["cognitoEndpoint"].rstrip("/") + "/")
    return sources


def add_web_client(app: web.Application, dist: Path, outputs: Callable[[], dict[str, Any]]) -> None:
    """Serve the built client at `/` (SPA fallback for other paths), config.json from `outputs()`
    (read at the first request: the outputs are known once the stack is up).

    Routes for /graphql and /graphql/realtime must already be on `app`: they take precedence.
    """
    root = dist.resolve()
    served: dict[str, Any] = {}

    def settled() -> tuple[str, dict[str, str]]:
        if not served:
            values = outputs()
            https = str(values["graphqlUrl"]).startswith("https://")
            served["config"] = json.dumps(client_config(values), indent=2, sort_keys=True)
            served["headers"] = security_headers(local_connect_sources(values),
                                                 values.get("embedOrigins") or ()).http_headers(https)
        return served["config"], served["headers"]

    def respond(path: Path) -> web.FileResponse:
        _, headers = settled()
        cache = IMMUTABLE if path.parent.name == "assets" else REVALIDATE
        content_type = CONTENT_TYPES.get(path.suffix)
        extra = {"Content-Type": content_type} if content_type else {}
        return web.FileResponse(path, headers={**headers, "Cache-Control": cache, **extra})

    async def config_json(_request: web.Request) -> web.Response:
        config_body, headers = settled()
        return web.Response(text=config_body, content_type="application/json",
                            headers={**headers, "Cache-Control": REVALIDATE})

    async def site(request: web.Request) -> web.StreamResponse:
        _, headers = settled()
        relative = request.match_info.get("path", "")
        candidate = (root / relative).resolve()
        if relative and candidate.is_file() and candidate.is_relative_to(root):
            return respond(candidate)
        if relative.startswith("assets/"):
            raise web.HTTPNotFound(headers=headers)
        index = root / "index.html"
        if not index.is_file():
            return web.Response(status=503, text=f"The web client is not built ({index} is missing): run `make local`.",
                                headers=headers)
        return respond(index)  # the SPA fallback, as CloudFront's error responses do

    app.router.add_get("/config.json", config_json)
    app.router.add_get("/{path:.*}", site)


def main() -> int:
    """`python -m chatstack.local.web`: build the web client if it is stale (what `make web` runs)."""
    import sys

    from chatstack.project import find_project

    try:
        built = WebBuild(find_project().web_dir).ensure_built()
    except WebBuildError as error:
        print(f"web client: {error}", file=sys.stderr)
        return 1
    if not built:
        print("web client: build is up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
