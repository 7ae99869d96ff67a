"""The latest changes of a post's watchlist: new, updated and revoked alerts, in memory.

The feed notes each batch it applies (``ChangeRing.held`` before, ``ChangeRing.note`` after
the watchlist changed, both under the watchlist's write gate); the officer's console shows
the changes since an officer signed in. The ring is bounded (``CAPACITY`` changes): older
ones are forgotten, and ``since`` says how many were. Loading the local store at start is
not a change. Nothing here is logged or stored: the ring lives and dies with the process.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Literal, Protocol

from gateway.post.screening.documents import action_for
from gateway.post.screening.entry import Entry

if TYPE_CHECKING:
    from gateway.post.feed_documents import DocumentPlan

__all__ = ["CAPACITY", "ChangeKind", "ChangeRing", "FeedChange"]

CAPACITY = 200
ChangeKind = Literal["new", "updated", "revoked"]


class _Held(Protocol):
    def get(self, alert_id: str) -> Entry | None: ...


@dataclass(frozen=True, slots=True)
class FeedChange:
    """One change of the watchlist: the alert as it arrived, or as it was before its removal."""

    seq: int
    at_ms: int
    change: ChangeKind
    alert_id: str
    version: int
    kind: str
    org: str
    tlp: str
    action: str
    label: str  # a primary name or the objects named, for the officer's eyes only


def _label(entry: Entry) -> str:
    if entry.person is not None and entry.person.names:
        return entry.person.names[0].display
    return ", ".join(o.number for o in entry.objects[:3])


class ChangeRing:
    """The last ``capacity`` changes, numbered from 1; safe across threads."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self._ring: deque[FeedChange] = deque(maxlen=capacity)
        self._lock = threading.Lock()
        self.seq = 0  # the number of the last change noted

    def held(self, watchlist: _Held, entries: dict[str, Entry | None]) -> dict[str, Entry]:
        """What the watchlist holds now of a batch's last ``capacity`` alerts (call before
        the batch is applied): it tells new from updated, and what a removal took away."""
        last = islice(reversed(entries), self.capacity)
        return {a: held for a in last if (held := watchlist.get(a)) is not None}

    def note(
        self,
        held: Mapping[str, Entry],
        entries: dict[str, Entry | None],
        applied: Mapping[str, object],
        at_ms: int,
    ) -> None:
        """Record a batch once applied: ``entries`` the batch (None: removed), ``applied`` the
        alert ids it changed (an older version than the one held is not a change)."""
        last = list(islice(reversed(entries), self.capacity))
        found: list[tuple[ChangeKind, Entry]] = []
        for alert_id in reversed(last):
            entry = entries[alert_id]
            before = held.get(alert_id)
            if entry is None:
                if before is not None:
                    found.append(("revoked", before))
            elif alert_id in applied:
                found.append(("new" if before is None else "updated", entry))
        if not found:
            return
        with self._lock:
            for change, entry in found:
                self.seq += 1
                self._ring.append(
                    FeedChange(
                        self.seq,
                        at_ms,
                        change,
                        entry.alert_id,
                        entry.version,
                        entry.kind,
                        entry.org,
                        entry.tlp,
                        entry.action,
                        _label(entry),
                    )
                )

    def note_documents(self, plan: DocumentPlan, at_ms: int) -> None:
        """Record a batch's travel-document changes once committed: its last ``capacity``
        upserts (new or updated) and removals, read from the plan (nothing is decoded)."""
        found: list[tuple[ChangeKind, str, int, str, str, str, str]] = []
        for row in plan.puts[-self.capacity :]:
            alert_id = str(row[1])
            change: ChangeKind = "updated" if alert_id in plan.updated else "new"
            status = str(row[8])
            label = f"{row[7]} {row[6]} {row[5]}"  # document type, issuer, number
            found.append(
                (change, alert_id, int(row[2]), str(row[3]), str(row[4]), action_for(status), label)  # type: ignore[call-overload]  # why: the plan's rows are SQL parameters
            )
        for alert_id, held in plan.gone[-self.capacity :]:
            found.append(("revoked", alert_id, held.version, held.org, held.tlp, "", held.label))
        if not found:
            return
        with self._lock:
            for change, alert_id, version, org, tlp, action, label in found[-self.capacity :]:
                self.seq += 1
                self._ring.append(
                    FeedChange(
                        self.seq, at_ms, change, alert_id, version, "TRAVEL_DOCUMENT", org, tlp,
                        action, label,
                    )
                )  # fmt: skip

    def since(self, seq: int) -> tuple[list[FeedChange], int]:
        """The changes after ``seq``, newest first, and how many more the ring forgot."""
        with self._lock:
            kept = [c for c in self._ring if c.seq > seq]
            total = self.seq - seq
        kept.reverse()
        return kept, max(0, total - len(kept))
