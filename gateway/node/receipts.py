"""Delivery receipts of a country's posts, counted against the posts the node intended.

Each post sends a ``receipt`` (key ``<alert>:<post>``) to ``fl.up.<ISO3>`` when it commits an
alert version (or its removal) into its watchlist. The node counts, per (alert id, version,
removed), the posts that hold it among those it intended (the posts it delivered that version
to, or sent the tombstone to) and the time the last of them did, and sends the hub a
``receipt-summary`` at an engine tick (about a second) when the version becomes complete (every
intended post holds it), and once when it is still incomplete :func:`summary_after_s` after
the tick that first counted it (then again when it completes): not on every change of the count.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime

from gateway.contract.messages import Receipt, ReceiptSummary
from gateway.settings import stale_frontline_s

__all__ = [
    "ReceiptBook",
    "ReceiptKey",
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


class ReceiptBook:
    """Which post holds which alert version, and since when."""

    def __init__(self) -> None:
        self.held: dict[ReceiptKey, dict[str, datetime]] = {}

    def posts(self, key: ReceiptKey) -> Mapping[str, datetime]:
        """The posts that confirmed ``key``, with their receipt times."""
        return self.held.get(key, {})

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
