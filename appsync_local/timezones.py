"""Offsets of named time zones (`Australia/Perth`) for util.time, from the host's tz database.

QuickJS has no tz database, and the engine cannot call into Python while a handler runs, so a
zone's whole history is handed to the runtime library once, as a list of
[start epoch milliseconds, UTC offset seconds] from 1900 to 2100 (java.time's ZoneRules give the
same answers over that range).
"""

from __future__ import annotations

import bisect
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_START = int(datetime(1900, 1, 1, tzinfo=UTC).timestamp())
_END = int(datetime(2100, 1, 1, tzinfo=UTC).timestamp())
_STEP = 2 * 86_400  # no zone changes its offset twice within two days


def _offset(zone: ZoneInfo, epoch_seconds: int) -> int:
    offset = datetime.fromtimestamp(epoch_seconds, zone).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


@lru_cache(maxsize=512)
def zone_transitions(name: str) -> tuple[tuple[int, int], ...] | None:
    """[(start epoch ms, offset seconds), ...] for a tz database name; None when there is no such zone."""
    if not name or name.startswith(("/", ".")) or ".." in name:
        return None
    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None
    table = [(_START * 1000, _offset(zone, _START))]
    t = _START
    current = table[0][1]
    while t < _END:
        nxt = t + _STEP
        offset = _offset(zone, nxt)
        if offset != current:
            # the change lies in (t, nxt]: find its first second
            lo, hi = t, nxt
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if _offset(zone, mid) == current:
                    lo = mid
                else:
                    hi = mid
            table.append((hi * 1000, offset))
            current = offset
        t = nxt
    return tuple(table)


def offset_at(name: str, epoch_ms: int) -> int | None:
    """The zone's UTC offset in seconds at an instant (what the runtime library computes from the table)."""
    table = zone_transitions(name)
    if table is None:
        return None
    index = bisect.bisect_right([start for start, _ in table], epoch_ms) - 1
    return table[max(index, 0)][1]
