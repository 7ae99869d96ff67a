"""Delivery receipts of a country's posts, counted against the posts the node intended.

Each post sends a ``receipt`` (key ``<alert>:<post>``) to ``fl.up.<ISO3>`` when it commits an
alert version (or its removal) into its watchlist. The node counts, per (alert id, version,
removed), the posts that hold it among those it intended (the posts it delivered that version
to, or sent the tombstone to) and the time the last of them did, and sends the hub a
``receipt-summary`` at an engine tick (about a second) when the version becomes complete (every
intended post holds it), and once when it is still incomplete :func:`summary_after_s` after
the tick that first counted it (then again when it completes): not on every change of the count.

What the node keeps per version (the receipts, the summaries told, when it first counted one) is
held for the :data:`KEEP_VERSIONS` newest versions of each alert only (:class:`VersionMap`): a
constant population of alerts revised for ever keeps a constant size; once a version is
complete (every intended post holds it) its older versions are dropped at once
(:meth:`VersionMap.settle`), so such a population holds about one version per alert. A receipt
for a version older than those is not counted (metric result ``superseded``, no summary);
posts confirm a version within seconds of its delivery, in order, so a receipt of an older
version after a newer one completed is a repeat.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from datetime import datetime
from typing import Generic, TypeVar

from gateway.contract.messages import Receipt, ReceiptSummary
from gateway.settings import stale_frontline_s

__all__ = [
    "KEEP_VERSIONS",
    "ReceiptBook",
    "ReceiptKey",
    "VersionMap",
    "is_complete",
    "key_of",
    "summary_after_s",
    "summary_key",
]

MAX_WAIT_S = 30.0
"""The longest an incomplete version waits for its first summary."""


def summary_after_s(environ: Mapping[str, str] | None = None) -> float:
    """How long an incomplete version waits for its one summary: a quarter of
    ``FRONTLINE_STALE_FRONTLINE_S`` (the hub's stale limit, default 300 s), at most 30 s."""
    return min(stale_frontline_s(environ) / 4, MAX_WAIT_S)


def is_complete(summary: ReceiptSummary) -> bool:
    """Every intended post holds the version (never when the intended posts are unknown)."""
    return summary.intended > 0 and summary.received >= summary.intended


ReceiptKey = tuple[str, int, bool]
"""(alert id, version, removed)."""


def key_of(receipt: Receipt) -> ReceiptKey:
    """What a receipt counts towards."""
    return (receipt.alert_id, receipt.version, receipt.removed)


def summary_key(alert_id: str, country: str) -> bytes:
    """The record key of a receipt summary on the hub inbox: ``rs:<alert>:<country>``."""
    return f"rs:{alert_id}:{country}".encode()


KEEP_VERSIONS = 4
"""How many of an alert's newest versions the node keeps receipts and summaries of."""


T = TypeVar("T")


class VersionMap(Generic[T]):
    """A mapping keyed by :data:`ReceiptKey` that keeps, per alert, only the entries of its
    :data:`KEEP_VERSIONS` newest versions (removed or not): adding a newer version drops the
    oldest, adding one older than those all keeps nothing.

    An alert's entries are a short list of ``(version * 2 + removed, entry)``, not a dict: a
    dict that gains one entry and loses one at every version grows (CPython 3.11 moves a
    one-entry dict from 8 to 16 slots after five such turns) and never shrinks, so a
    population revised for ever would grow by its dicts alone. ``floors`` (per alert: versions
    below it are settled) may be shared by the maps of one country, which settle together.
    """

    def __init__(self, floors: dict[str, int] | None = None) -> None:
        self._by_alert: dict[str, list[tuple[int, T]]] = {}
        self._floor: dict[str, int] = {} if floors is None else floors

    @property
    def floors(self) -> dict[str, int]:
        """Per alert, the version below which nothing is kept (to share with other maps)."""
        return self._floor

    def __len__(self) -> int:
        return sum(len(v) for v in self._by_alert.values())

    def __contains__(self, key: ReceiptKey) -> bool:
        return self.get(key) is not None

    def __iter__(self) -> Iterator[ReceiptKey]:
        for alert_id, versions in self._by_alert.items():
            for code, _ in versions:
                yield (alert_id, code >> 1, bool(code & 1))

    def keeps(self, key: ReceiptKey) -> bool:
        """Whether an entry of ``key`` would be kept: its version is among the newest and not
        below a version :meth:`settle` settled."""
        alert_id, version, _ = key
        if version < self._floor.get(alert_id, 0):
            return False
        versions = self._by_alert.get(alert_id)
        if versions is None:
            return True
        kept = {code >> 1 for code, _ in versions}
        return version in kept or sum(v > version for v in kept) < KEEP_VERSIONS

    def get(self, key: ReceiptKey, default: T | None = None) -> T | None:
        """The entry of ``key``, or ``default``."""
        versions = self._by_alert.get(key[0])
        if versions is not None:
            wanted = key[1] * 2 + key[2]
            for code, entry in versions:
                if code == wanted:
                    return entry
        return default

    def __setitem__(self, key: ReceiptKey, value: T) -> None:
        alert_id, version, removed = key
        if version < self._floor.get(alert_id, 0):
            return  # settled: nothing older than a complete version is kept
        versions = self._by_alert.setdefault(alert_id, [])
        wanted = version * 2 + removed
        for i, (code, _) in enumerate(versions):
            if code == wanted:
                versions[i] = (wanted, value)
                return
        versions.append((wanted, value))
        kept = {code >> 1 for code, _ in versions}
        if len(kept) > KEEP_VERSIONS:
            oldest = min(kept)
            versions[:] = [pair for pair in versions if pair[0] >> 1 != oldest]

    def setdefault(self, key: ReceiptKey, default: T) -> T:
        """The entry of ``key``, set to ``default`` first when missing (and kept if recent)."""
        found = self.get(key)
        if found is not None:
            return found
        self[key] = default
        return default

    def settle(self, alert_id: str, version: int) -> None:
        """``version`` of the alert is complete: drop its older versions' entries and keep
        none of them from now on (a constant population revised for ever then holds about
        one version per alert, not :data:`KEEP_VERSIONS`)."""
        if version < self._floor.get(alert_id, 0):
            return
        self._floor[alert_id] = version
        versions = self._by_alert.get(alert_id)
        if versions is None:
            return
        if any(code >> 1 < version for code, _ in versions):
            versions[:] = [pair for pair in versions if pair[0] >> 1 >= version]
        if not versions:
            del self._by_alert[alert_id]

    def pop(self, key: ReceiptKey, default: T | None = None) -> T | None:
        """Remove the entry of ``key`` and return it (or ``default``)."""
        versions = self._by_alert.get(key[0])
        if versions is None:
            return default
        wanted = key[1] * 2 + key[2]
        for i, (code, entry) in enumerate(versions):
            if code == wanted:
                del versions[i]
                if not versions:
                    del self._by_alert[key[0]]
                return entry
        return default


class ReceiptBook:
    """Which post holds which alert version, and since when (the newest versions only)."""

    def __init__(self) -> None:
        self.held: VersionMap[dict[str, datetime]] = VersionMap()

    def posts(self, key: ReceiptKey) -> Mapping[str, datetime]:
        """The posts that confirmed ``key``, with their receipt times."""
        return self.held.get(key) or {}

    def add(self, receipt: Receipt) -> None:
        """Count a receipt (a repeated one keeps the first time)."""
        self.held.setdefault(key_of(receipt), {}).setdefault(receipt.post_id, receipt.at)

    def update(self, staged: Mapping[ReceiptKey, Mapping[str, datetime]]) -> None:
        """Apply receipts staged by a committed transaction."""
        for key, posts in staged.items():
            held = self.held.setdefault(key, {})
            for post, at in posts.items():
                held.setdefault(post, at)

    @staticmethod
    def summarize(
        key: ReceiptKey,
        country: str,
        held: Mapping[str, datetime],
        intended: Collection[str] | None,
    ) -> ReceiptSummary:
        """The summary of ``key``: among ``intended`` (all holders when it is unknown)."""
        counted = {p: at for p, at in held.items() if intended is None or p in intended}
        alert_id, version, removed = key
        return ReceiptSummary(
            alert_id=alert_id,
            version=version,
            removed=removed,
            country=country,
            intended=len(intended) if intended is not None else 0,
            received=len(counted),
            last_at=max(counted.values()) if counted else None,
        )
