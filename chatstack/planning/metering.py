"""How AWS counts one real-time delivery: in metered messages of 5 kB (quotas.METERED_MESSAGE_BYTES).

Its own module so that the load test's per-update tally counts the same way without importing
the planner."""

from __future__ import annotations

import math

from chatstack.planning.quotas import METERED_MESSAGE_BYTES


def metered_messages(delivery_bytes: float) -> int:
    """How many metered messages AWS counts for one real-time delivery of this many bytes."""
    return max(1, math.ceil(delivery_bytes / METERED_MESSAGE_BYTES))
