"""The blocked-term check's cost per message on the send path, this checkout next to a baseline
revision, in one run: validateArgs' request (which folds the message here) and
checkSendAllowed's response (the match), executed by the local APPSYNC_JS engine (QuickJS) for
a 256-character message in rooms with 0, 10 and 200 (the most a room may have) terms of up to
64 characters. Prints figures; asserts nothing.

    .venv/bin/python benchmarks/blocked_terms.py [--baseline REV] [--calls 200]
"""

from __future__ import annotations

import argparse
import random
import string
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from appsync_local.engine import JSEngine  # noqa: E402

FILES = ("resolvers/functions/validateArgs.js", "resolvers/functions/checkSendAllowed.js")
MESSAGE = ("Great talk so far, the demo of the new release was really impressive! " * 4)[:256]
ENV = {"TABLE_NAME": "t", "OIDC_NAME_CLAIM": "name", "OIDC_MODERATOR_CLAIM": "", "OIDC_MODERATOR_VALUE": "",
       "PER_MESSAGE_ROOMS": "*", "MESSAGE_REVIEW": "off", "RETENTION_SECONDS": "0"}
IDENTITY = {"sub": "sub-alice", "username": "alice", "groups": None, "claims": {}, "issuer": "i",
            "sourceIp": ["127.0.0.1"], "defaultAuthStrategy": "ALLOW"}


def sources(revision: str | None) -> list[str]:
    if revision is None:
        return [(ROOT / path).read_text(encoding="utf-8") for path in FILES]
    return [subprocess.run(["git", "-C", str(ROOT), "show", f"{revision}:{path}"], check=True,
                           capture_output=True, text=True).stdout for path in FILES]


def terms_of(count: int) -> list[str]:
    rng = random.Random(count)
    return ["".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 64))) for _ in range(count)]


def per_message_ms(code: list[str], stored_terms: list[str], calls: int) -> float:
    engine = JSEngine()
    validate, check = engine.load(code[0], "validateArgs.js"), engine.load(code[1], "checkSendAllowed.js")
    info = {"fieldName": "sendMessage", "parentTypeName": "Mutation", "variables": {}, "selectionSetList": []}
    base = {"arguments": {"roomId": "lobby", "message": MESSAGE}, "identity": IDENTITY, "source": None,
            "request": {"headers": {}}, "env": ENV, "info": info}
    read = {"unprocessedKeys": {}, "data": {"t": [{"blockedTerms": stored_terms, "slowModeSeconds": 0}, None, None]}}
    started = time.perf_counter()
    for _ in range(calls):
        validated = engine.call(validate, "request", {**base, "stash": {}}, auth_type="User Pool Authorization")
        checked = engine.call(check, "response", {**base, "stash": validated["stash"], "error": None, "result": read,
                                                  "prev": {"result": None}}, auth_type="User Pool Authorization")
        if checked["status"] != "ok":
            raise SystemExit(f"checkSendAllowed refused: {checked}")
    return (time.perf_counter() - started) / calls * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="bd604d8", help="git revision to compare with")
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    revisions = {f"baseline {args.baseline}": sources(args.baseline), "current checkout": sources(None)}
    print(f"validateArgs + checkSendAllowed per {len(MESSAGE)}-character message, ms (median of 3)")
    print(f"  {'terms':>5}  " + "  ".join(f"{name:>22}" for name in revisions) + "   ratio")
    for count in (0, 10, 200):
        stored = terms_of(count)
        figures = []
        for code in revisions.values():
            figures.append(sorted(per_message_ms(code, stored, args.calls) for _ in range(3))[1])
        print(f"  {count:>5}  " + "  ".join(f"{ms:>22.3f}" for ms in figures) + f"   {figures[0] / figures[1]:.2f}x")


if __name__ == "__main__":
    main()
