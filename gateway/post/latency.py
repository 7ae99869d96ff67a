"""Per-delivery latency samples of a posts host, in a fixed ring of packed rows.

``frontline post run --all`` keeps each delivery's latency (end to end and per hop) so that an
exercise can report exact quantiles (``GET /latency``). A sample used to be a dict (about 580
bytes); a posts host receiving a few hundred deliveries a second grew by megabytes a minute
until its 500,000-sample bound. :class:`LatencyRing` keeps the same samples as 34-byte rows of
one numpy array allocated (and written, so resident) when the host starts: its memory does not
move afterwards, whatever the traffic. Strings (post, organization, kind) are kept once each in
a small table (at most :data:`MAX_NAMES`; beyond it a new name reads ``?``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gateway.post.metrics import Hops

__all__ = ["HOPS", "MAX_NAMES", "LatencyRing", "latency_sample"]

HOPS = ("connector", "hub", "node", "post")
MAX_NAMES = 4096
_NONE = -1  # a hop or end-to-end time that could not be computed
_CAP = np.iinfo(np.int32).max

_ROW = np.dtype([
    ("at_ms", np.int64), ("e2e_ms", np.int32), ("hops", np.int32, (len(HOPS),)),
    ("post", np.uint16), ("org", np.uint16), ("kind", np.uint16),
])  # fmt: skip


def _hops(headers: Hops, now_ms: int) -> tuple[int | None, list[int | None]]:
    """End to end from ingest (or issue) and each hop from the one before, in ms."""
    start = headers.ts_ingest if headers.ts_ingest is not None else headers.ts_issued
    chain = (
        (start, headers.ts_connector),
        (headers.ts_connector, headers.ts_hub),
        (headers.ts_hub, headers.ts_node),
        (headers.ts_node, now_ms),
    )
    hops = [None if a is None or b is None else max(0, b - a) for a, b in chain]
    return (None if start is None else max(0, now_ms - start)), hops


def latency_sample(post: str, headers: Hops, now_ms: int) -> dict[str, Any]:
    """One delivery's latency: end to end from ingest (or issue) and per hop, in ms."""
    e2e, hops = _hops(headers, now_ms)
    return {
        "post": post,
        "org": headers.org,
        "kind": headers.kind,
        "at_ms": now_ms,
        "e2e_ms": e2e,
        "hops": {h: v for h, v in zip(HOPS, hops, strict=True) if v is not None},
    }


def _ms(value: int | None) -> int:
    return _NONE if value is None else min(value, _CAP)


class LatencyRing:
    """The newest ``capacity`` latency samples, oldest first, in memory allocated up front."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._rows = np.zeros(capacity, dtype=_ROW)
        self._rows.view(np.uint8)[:] = 0  # write every page now: resident from the start
        self._next = 0  # where the next sample goes
        self._count = 0
        self._names: dict[str, int] = {"?": 1}
        self._by_index: list[str | None] = [None, "?"]  # 0: no name given

    def __len__(self) -> int:
        return self._count

    def _name(self, text: str | None) -> int:
        if text is None:
            return 0
        found = self._names.get(text)
        if found is None:
            if len(self._by_index) >= MAX_NAMES:
                return 1
            found = self._names[text] = len(self._by_index)
            self._by_index.append(text)
        return found

    def append(self, post: str, headers: Hops, now_ms: int) -> None:
        """Keep one delivery's latency (the oldest sample goes once the ring is full)."""
        e2e, hops = _hops(headers, now_ms)
        self._rows[self._next] = (
            now_ms, _ms(e2e), [_ms(h) for h in hops],
            self._name(post), self._name(headers.org), self._name(headers.kind),
        )  # fmt: skip
        self._next = (self._next + 1) % self.capacity
        self._count = min(self._count + 1, self.capacity)

    def since(self, since_ms: int) -> list[dict[str, Any]]:
        """The samples after ``since_ms`` (epoch ms), oldest first, as :func:`latency_sample`
        gives them."""
        if self._count < self.capacity:
            rows = self._rows[: self._count]
        else:
            rows = np.concatenate((self._rows[self._next :], self._rows[: self._next]))
        rows = rows[rows["at_ms"] > since_ms]
        names = self._by_index
        out: list[dict[str, Any]] = []
        for at, e2e, hops, post, org, kind in rows.tolist():
            out.append({
                "post": names[post], "org": names[org], "kind": names[kind], "at_ms": at,
                "e2e_ms": None if e2e == _NONE else e2e,
                "hops": {h: int(v) for h, v in zip(HOPS, hops, strict=True) if v != _NONE},
            })  # fmt: skip
        return out
