"""Where a process's time goes: a cProfile dump folded into a few named areas.

The benchmarks run a component under ``python -m cProfile -o FILE -m gateway ...``; the
component exits cleanly on SIGTERM, which writes the dump. Time spent blocked in the event
loop's ``select``/``epoll`` is idle (waiting on the broker), reported apart from busy time.
"""

from __future__ import annotations

import pstats
from pathlib import Path

__all__ = ["AREAS", "areas", "describe", "top_functions"]

# (substring of the code's file name, area), first match wins; "~" is C built-ins.
AREAS: tuple[tuple[str, str], ...] = (
    ("aiokafka/record", "aiokafka record batches"),
    ("aiokafka", "aiokafka client"),
    ("fastavro", "fastavro"),
    ("gateway/codec", "codec"),
    ("gateway/policy", "policy"),
    ("gateway/hub_route", "hub routing"),
    ("gateway/state", "hub state"),
    ("gateway/audit", "audit records"),
    ("gateway/headers", "headers"),
    ("gateway/eos", "exactly-once engine"),
    ("gateway/hub", "hub service"),
    ("gateway/node", "node"),
    ("gateway/", "other gateway"),
    ("asyncio", "asyncio"),
    ("structlog", "logging"),
    ("logging", "logging"),
    ("pydantic", "pydantic"),
    ("~", "C built-ins"),
)
_IDLE = ("select", "poll", "epoll")


def _area(filename: str, name: str) -> str:
    if filename == "~" and any(word in name for word in _IDLE):
        return "idle"
    for needle, area in AREAS:
        if needle in filename:
            return area
    return "other python"


def areas(path: Path) -> tuple[dict[str, float], float]:
    """Busy seconds per area (own time, not cumulative), and idle seconds."""
    stats = pstats.Stats(str(path))
    per: dict[str, float] = {}
    raw = stats.stats  # type: ignore[attr-defined]  # why: pstats keeps its table untyped
    for (filename, _line, name), (_cc, _nc, tottime, _ct, _callers) in raw.items():
        area = _area(filename, name)
        per[area] = per.get(area, 0.0) + tottime
    idle = per.pop("idle", 0.0)
    return per, idle


def top_functions(path: Path, limit: int = 6) -> list[tuple[str, float]]:
    """The functions with the most own time (idle excluded), with their share of busy time."""
    stats = pstats.Stats(str(path))
    raw = stats.stats  # type: ignore[attr-defined]  # why: pstats keeps its table untyped
    rows = [
        (f"{Path(fn).name}:{name}" if fn != "~" else name, tt)
        for (fn, _line, name), (_cc, _nc, tt, _ct, _callers) in raw.items()
        if _area(fn, name) != "idle"
    ]
    busy = sum(tt for _, tt in rows) or 1.0
    rows.sort(key=lambda row: row[1], reverse=True)
    return [(name, tt / busy) for name, tt in rows[:limit]]


def describe(path: Path, label: str) -> str:
    """One paragraph: busy share per area and the hottest functions."""
    per, idle = areas(path)
    busy = sum(per.values()) or 1.0
    ranked = sorted(per.items(), key=lambda item: item[1], reverse=True)
    shown = ", ".join(f"{area} {100 * t / busy:.0f}%" for area, t in ranked[:8] if t / busy >= 0.01)
    hot = ", ".join(f"`{name}` {100 * share:.0f}%" for name, share in top_functions(path))
    return (
        f"Profile of {label} (cProfile, own time; {busy:.1f} s busy, {idle:.1f} s idle "
        f"waiting on the broker): {shown}. Hottest functions: {hot}."
    )
