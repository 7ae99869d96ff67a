"""What a publish run reports: counts per kind that balance, and what became of each record."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from gateway.kafka.quarantine import Reason

__all__ = ["KindStats", "RecordResult", "RunReport", "RunStats"]


@dataclass
class KindStats:
    """Counts for one alert kind (or UNKNOWN when a record failed before its kind was known)."""

    records_in: int = 0
    published: int = 0
    quarantined: int = 0

    @property
    def balanced(self) -> bool:
        """True when every record that came in was published or quarantined."""
        return self.records_in == self.published + self.quarantined


@dataclass
class RunStats:
    """Counts per kind over one or more payloads."""

    by_kind: dict[str, KindStats] = field(default_factory=dict)
    payloads: int = 0

    def add(self, kind: str, outcome: Literal["published", "quarantined"], n: int = 1) -> None:
        """Count ``n`` delivered records of ``kind``."""
        stats = self.by_kind.setdefault(kind, KindStats())
        stats.records_in += n
        if outcome == "published":
            stats.published += n
        else:
            stats.quarantined += n

    def merge(self, other: RunStats) -> None:
        """Add another run's counts to these."""
        self.payloads += other.payloads
        for kind, s in other.by_kind.items():
            mine = self.by_kind.setdefault(kind, KindStats())
            mine.records_in += s.records_in
            mine.published += s.published
            mine.quarantined += s.quarantined

    @property
    def total(self) -> KindStats:
        """All kinds together."""
        out = KindStats()
        for s in self.by_kind.values():
            out.records_in += s.records_in
            out.published += s.published
            out.quarantined += s.quarantined
        return out


@dataclass(frozen=True)
class RecordResult:
    """What became of one native record: published with its id and version, or refused."""

    index: int
    source: str
    outcome: Literal["published", "quarantined"]
    kind: str
    alert_id: str | None = None
    version: int | None = None
    msg_type: str | None = None
    stage: str | None = None
    reasons: tuple[Reason, ...] = ()

    def as_json(self) -> dict[str, Any]:
        """JSON-able form, for the HTTP API."""
        out: dict[str, Any] = {"index": self.index, "outcome": self.outcome, "kind": self.kind}
        if self.outcome == "published":
            out |= {"alert_id": self.alert_id, "version": self.version, "msg_type": self.msg_type}
        else:
            out |= {
                "stage": self.stage,
                "reasons": [{"path": r.path, "code": r.code, "message": r.message}
                            for r in self.reasons],
            }  # fmt: skip
        return out


@dataclass
class RunReport:
    """A publish call's counts, and (when asked) the result of each record."""

    stats: RunStats
    results: list[RecordResult] = field(default_factory=list)
