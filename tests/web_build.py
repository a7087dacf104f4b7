"""The web client's production build, for tests that serve or deploy it: built once per
session if web/dist is missing or older than its sources (chatstack.local.web.WebBuild)."""

from __future__ import annotations

import functools
from pathlib import Path

from chatstack.local.web import WebBuild
from chatstack.project import find_project


@functools.cache
def built_web_dist() -> Path:
    build = WebBuild(find_project(Path(__file__).parent).web_dir)
    build.ensure_built(lambda line: print(f"tests: {line}"))
    return build.dist
