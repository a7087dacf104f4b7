"""AppSync reads an OPENID_CONNECT provider's `clientId` as a regular expression (it may
match several client ids). A stack names one client id, so it is registered escaped and
anchored: `finals.chat` must not also accept `finalsXchat`. The local issuer mints tokens
for the literal id, read back from the registered pattern."""

from __future__ import annotations

import re


def client_id_pattern(client_id: str) -> str:
    """The regular expression that matches exactly this client id."""
    return f"^{re.escape(client_id)}$"


def literal_client_id(pattern: str) -> str:
    """The client id a pattern from `client_id_pattern` matches (other patterns are returned as they are)."""
    if pattern.startswith("^") and pattern.endswith("$"):
        return re.sub(r"\\(.)", r"\1", pattern[1:-1], flags=re.DOTALL)
    return pattern
