"""Hits a country's border posts reported, and its bureau's decisions on them.

The node's ``up`` topic (``fl.up.<ISO3>``) holds every ``hit`` its posts sent (key: the hit
id) and every ``hit-decision`` (same key, so a hit and its decisions share a partition and
arrive in order). Folding that topic gives each hit's state; the running node and
``frontline node hits COUNTRY list`` use the same fold, so pending hits need no state topic:
they live in the ``up`` topic (30 days' retention, docs/twoway.md).

A node running with ``--auto-confirm`` writes a ``hit-decision`` by :data:`AUTO_DECIDER` in
the transaction that forwards the hit, so the fold also shows auto-confirmed hits as
confirmed, and a node restarted in another mode does not forward them again.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, NamedTuple

from gateway.contract.messages import (
    HitDecision,
    HitDecisionKind,
    HitOutcome,
    HitReport,
    decode_message,
    message_kind,
)
from gateway.errors import QuarantineError

__all__ = [
    "AUTO_DECIDER",
    "Hit",
    "HitBook",
    "HitEntry",
    "HitStatus",
    "SettledHit",
    "auto_decision",
    "fold_up_records",
]

AUTO_DECIDER = "auto-confirm"
"""``decided_by`` of the decisions a node running with ``--auto-confirm`` writes itself."""


class HitStatus(StrEnum):
    """Where a reported hit stands at its national node."""

    PENDING = "PENDING"  # waits for the bureau's decision
    CONFIRMED = "CONFIRMED"  # forwarded to the hub
    DISMISSED = "DISMISSED"  # goes nowhere
    FALSE_MATCH = "FALSE_MATCH"  # stays in the country, offered to its other posts


@dataclass(frozen=True)
class HitEntry:
    """One hit, its state and the decision that settled it (if any)."""

    report: HitReport
    status: HitStatus
    decision: HitDecision | None = None

    @property
    def post_id(self) -> str:
        """The post that reported the hit."""
        return self.report.post_id

    def kept(self) -> Hit:
        """What a running node keeps of this entry: all of it while it waits for a decision,
        a :class:`SettledHit` once it is settled."""
        if self.status is HitStatus.PENDING:
            return self
        return SettledHit(self.status, sys.intern(self.report.post_id))

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready summary: ids, outcome, state and decision; no free text of the report."""
        r = self.report
        d = self.decision
        return {
            "hit_id": r.hit_id,
            "alert_id": r.alert_id,
            "alert_version": r.alert_version,
            "org": r.org.value,
            "tlp": r.tlp.value,
            "post_id": r.post_id,
            "outcome": r.outcome.value,
            "reported_at": r.reported_at.isoformat(),
            "status": self.status.value,
            "decided_at": d.decided_at.isoformat() if d else None,
            "decided_by": d.decided_by if d else None,
            "reason": d.reason if d else None,
        }


class SettledHit(NamedTuple):
    """What a running node keeps of a settled hit (confirmed, dismissed, a false match):
    enough to ignore a re-sent report or a late decision and to send the issuer's
    acknowledgement to the reporting post. A node keeps every hit of its ``up`` topic's
    retention; a settled one costs about 350 bytes with its id, against 3.2 KB whole
    (tests/unit/test_node_hits_settled.py)."""

    status: HitStatus
    post_id: str


Hit = HitEntry | SettledHit
"""A hit as a running node keeps it."""


class HitBook:
    """Hits by id, folded in the order of the ``up`` topic.

    ``add`` and ``decide`` return the new entry when the hit's state changes, None when the
    record changes nothing (a re-sent hit, a decision on a settled or unknown hit).
    """

    def __init__(self) -> None:
        self.entries: dict[str, HitEntry] = {}

    def get(self, hit_id: str) -> HitEntry | None:
        """The hit's entry, if known."""
        return self.entries.get(hit_id)

    def pending(self) -> list[HitEntry]:
        """Hits that wait for a decision, oldest report first."""
        found = [e for e in self.entries.values() if e.status is HitStatus.PENDING]
        return sorted(found, key=lambda e: e.report.reported_at)

    @staticmethod
    def on_report(known: Hit | None, report: HitReport) -> HitEntry | None:
        """A hit's entry after its report (None: a re-send of a hit already known)."""
        if known is not None:
            return None
        status = HitStatus.FALSE_MATCH if report.outcome is HitOutcome.FALSE_MATCH else None
        return HitEntry(report, status or HitStatus.PENDING)

    @staticmethod
    def on_decision(known: Hit | None, decision: HitDecision) -> HitEntry | None:
        """A hit's entry after a decision (None: unknown hit, or already settled)."""
        if not isinstance(known, HitEntry) or known.status is not HitStatus.PENDING:
            return None
        status = (
            HitStatus.CONFIRMED
            if decision.decision is HitDecisionKind.CONFIRMED
            else HitStatus.DISMISSED
        )
        return replace(known, status=status, decision=decision)

    def add(self, report: HitReport) -> HitEntry | None:
        """Fold a report in; the new entry, or None for a re-send."""
        entry = self.on_report(self.entries.get(report.hit_id), report)
        if entry is not None:
            self.entries[report.hit_id] = entry
        return entry

    def decide(self, decision: HitDecision) -> HitEntry | None:
        """Fold a decision in; the settled entry, or None when it changes nothing."""
        entry = self.on_decision(self.entries.get(decision.hit_id), decision)
        if entry is not None:
            self.entries[decision.hit_id] = entry
        return entry

    def update(self, entries: Mapping[str, HitEntry]) -> None:
        """Apply entries staged by a committed transaction."""
        self.entries.update(entries)


def auto_decision(report: HitReport, now: datetime | None = None) -> HitDecision:
    """The CONFIRMED decision a node running with ``--auto-confirm`` records for ``report``."""
    return HitDecision(
        hit_id=report.hit_id,
        country=report.country,
        decision=HitDecisionKind.CONFIRMED,
        decided_at=now or datetime.now(UTC),
        decided_by=AUTO_DECIDER,
    )


def fold_up_records(records: Iterable[Any], country: str) -> HitBook:
    """The hits of an ``up`` topic's records (other kinds and bad records are skipped)."""
    book = HitBook()
    for record in records:
        kind = message_kind(record.headers)
        if kind not in {HitReport.kind, HitDecision.kind}:
            continue
        try:
            message = decode_message(kind, record.value)
        except QuarantineError:
            continue  # the running node quarantines it; a listing skips it
        if isinstance(message, HitReport) and message.country == country:
            book.add(message)
        elif isinstance(message, HitDecision) and message.country == country:
            book.decide(message)
    return book
