"""Consumer lag in seconds: how old the oldest record a consumer has yet to commit is.

A lag in records means little without the traffic it is measured against: a topic family fed
ten times faster than another is ten times as many records behind for the same delay, and a
single bound in records judges them differently. As kafka-lag-exporter does, the lag here is
read in time: at each sample, the offset the consumers have committed (the family's end
offsets minus what is behind) is placed on the history of the family's end offsets, and the
time the topics held that many records, interpolated between two samples, is how far behind
the consumers are.

The monitor sums offsets over a family's partitions (those the hub's and nodes' groups have
committed), so the answer is the family's, not the worst partition's: partitions of one family
are consumed by the same processes at the same pace.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

__all__ = ["family_seconds", "seconds_behind"]


def seconds_behind(history: Sequence[tuple[float, int]], at: float, behind: int) -> float:
    """Seconds since the family's topics held what the consumers have committed at ``at``.

    ``history`` is the family's (time, summed end offset) samples up to and including ``at``,
    oldest first; ``behind`` is what the consumers had yet to commit at ``at``. Nothing
    behind is zero; a committed offset older than the whole history gives the history's span
    (a lower bound).
    """
    if behind <= 0 or not history:
        return 0.0
    end_now = history[-1][1]
    committed = end_now - behind
    for i in range(len(history) - 1, 0, -1):
        (t_a, e_a), (t_b, e_b) = history[i - 1], history[i]
        if e_a <= committed <= e_b:
            share = (committed - e_a) / (e_b - e_a) if e_b > e_a else 1.0
            return max(0.0, at - (t_a + share * (t_b - t_a)))
    return max(0.0, at - history[0][0])


def family_seconds(
    lag_by: Sequence[tuple[float, dict[str, int]]],
    ends_by: Sequence[tuple[float, dict[str, int]]],
) -> list[tuple[float, dict[str, float]]]:
    """Each sample's lag in seconds by family, for the samples whose end offsets are known."""
    known = {at for at, _ in ends_by}
    history: dict[str, list[tuple[float, int]]] = {}
    for at, ends in ends_by:  # the history first: a sample's own ends are part of it
        for family, end in ends.items():
            history.setdefault(family, []).append((at, end))
    out: list[tuple[float, dict[str, float]]] = []
    for at, parts in lag_by:
        if at not in known:
            continue
        seconds: dict[str, float] = {}
        for family, behind in parts.items():
            past = history.get(family, [])
            upto = bisect_right(past, at, key=lambda point: point[0])  # samples at or before
            seconds[family] = round(seconds_behind(past[:upto], at, behind), 2)
        out.append((at, seconds))
    return out
