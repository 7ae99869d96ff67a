"""The published records of one organization still open to revision, drawn at random.

A revision picks a live alert uniformly at random and takes it out until its revision is
published. Picking from a dictionary needs a list of its keys each time (``rng.choice(list(
live))``: a copy of every live id per revision, tens of thousands of them in a long
exercise); here the ids sit in a list with each one's position, so a draw and a removal are
constant time (the removed slot takes the last id).
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from connectors.base import RawRecord

__all__ = ["LivePool"]


class LivePool:
    """Alert ids with their last published record; ``draw`` removes one at random."""

    def __init__(self) -> None:
        self._ids: list[str] = []
        self._at: dict[str, int] = {}
        self._records: dict[str, RawRecord] = {}

    def __len__(self) -> int:
        return len(self._ids)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._ids))

    def __contains__(self, alert_id: object) -> bool:
        return alert_id in self._at

    def put(self, alert_id: str, record: RawRecord) -> None:
        """Hold (or replace) an alert's record."""
        if alert_id not in self._at:
            self._at[alert_id] = len(self._ids)
            self._ids.append(alert_id)
        self._records[alert_id] = record

    def discard(self, alert_id: str) -> RawRecord | None:
        """Take an alert out; its record, or None when it was not held."""
        at = self._at.pop(alert_id, None)
        if at is None:
            return None
        last = self._ids.pop()
        if last != alert_id:
            self._ids[at] = last
            self._at[last] = at
        return self._records.pop(alert_id)

    def draw(self, rng: random.Random) -> RawRecord | None:
        """Take out an alert chosen uniformly at random: its record; None when empty."""
        if not self._ids:
            return None
        return self.discard(self._ids[rng.randrange(len(self._ids))])
