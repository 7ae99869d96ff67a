"""Delivery receipts: the post tells its national node which alert versions it now holds.

When a feed batch commits an alert version (or its removal) into the watchlist, one
``receipt`` record per alert (docs/twoway.md) goes into the store's outbox in that batch's
SQLite transaction, for ``<prefix>up.<ISO3>`` keyed ``<alert id>:<post id>``: a receipt
exists exactly when the store holds what it reports, and survives a broker outage or a
restart. The cost is one small row per applied change. ``FRONTLINE_RECEIPTS=false`` turns
receipts off (the benchmark compares both).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import orjson

from gateway.contract.messages import Receipt
from gateway.post.store import OUTBOX_INSERT, Change, Statement

__all__ = ["Receipts"]


class Receipts:
    """Builds a feed batch's receipt rows for the outbox of one post."""

    def __init__(self, topic: str, country: str, post_id: str) -> None:
        self.topic = topic
        self.country = country
        self.post_id = post_id
        self.made = 0

    def statement(
        self, changes: Mapping[str, Change], removed: Mapping[str, int], at_ms: int
    ) -> Statement | None:
        """One outbox row per committed change (``removed``: alert id -> version dropped)."""
        if not changes:
            return None
        at = datetime.fromtimestamp(at_ms / 1000, UTC).isoformat(timespec="milliseconds")
        rows = []
        for alert_id, change in changes.items():
            gone = change.payload is None
            version = removed.get(alert_id, change.version) if gone else change.version
            # The fields of ``Receipt`` (v1), built as a dict: a batch may hold 10,000 of them.
            value = orjson.dumps({
                "v": 1, "alert_id": alert_id, "version": max(0, version), "removed": gone,
                "country": self.country, "post_id": self.post_id, "at": at,
            })  # fmt: skip
            key = f"{alert_id}:{self.post_id}".encode()
            rows.append((at_ms, self.topic, key, value, Receipt.kind, None))
        self.made += len(rows)
        return OUTBOX_INSERT, rows
