"""Hits an officer reports at a post, their acknowledgements, and FALSE_MATCH memory.

A hit report (``HitReport``, docs/twoway.md) is written to the ``hits`` table and, in the
same SQLite transaction, to the store's outbox for ``<prefix>up.<ISO3>`` (keyed by hit id,
header ``fl-msg: hit``); the publisher marks it sent when the broker acknowledged it. The
acknowledgement comes back on the post's own feed (``hit-ack``, key ``ack:<hit id>``) and is
stored against the hit in the feed batch's transaction.

A report names the traveller only by ``subject_key``: a keyed digest (HMAC-SHA256) of the
normalized query the officer screened, computed here from the access log's row of that
screening; the query never leaves the post with a hit. The key is the country's
(``FRONTLINE_SUBJECT_SALT``, the same on every post of a country) so a FALSE_MATCH found at
one post can be offered to the others (``false-match`` records on the feed). A remembered
FALSE_MATCH (alert id, version, subject key) keeps that traveller from being a hit on that
alert version again, at this post.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from gateway.contract.identifiers import normalize_identifier
from gateway.contract.messages import (
    FalseMatch,
    HitAck,
    HitOutcome,
    HitReport,
    decode_message,
    encode_message,
)
from gateway.errors import FrontlineError, QuarantineError
from gateway.kafka.clock import now_ms
from gateway.post.screening.normalize import normalize_name
from gateway.post.store import OUTBOX_INSERT, OUTBOX_SCHEMA, Statement, connect

__all__ = [
    "HitBook",
    "HitStatus",
    "UnknownAlertError",
    "UnknownScreeningError",
    "feed_message",
    "new_hit_id",
    "subject_key",
]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS hits (
    hit_id TEXT PRIMARY KEY,
    alert_id TEXT NOT NULL,
    alert_version INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    officer TEXT,
    reported_ms INTEGER NOT NULL,
    report TEXT NOT NULL,
    sent_ms INTEGER,
    acked_ms INTEGER,
    ack TEXT
);
CREATE TABLE IF NOT EXISTS false_matches (
    alert_id TEXT NOT NULL,
    alert_version INTEGER NOT NULL,
    subject_key TEXT NOT NULL,
    source TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    PRIMARY KEY (alert_id, alert_version, subject_key)
);
CREATE INDEX IF NOT EXISTS false_matches_subject ON false_matches (subject_key);
"""
_ACK = "UPDATE hits SET ack = ?, acked_ms = ? WHERE hit_id = ?"
_REMEMBER = "INSERT OR IGNORE INTO false_matches VALUES (?, ?, ?, ?, ?)"
_NAME_FIELDS = frozenset({"name", "given_names", "family_name"})
_ID_FIELDS = frozenset({"document_number", "container", "imo", "vin", "plate"})
_NOT_SUBJECT = frozenset({"threshold", "limit"})


class UnknownAlertError(FrontlineError):
    """A hit names an alert the post does not hold."""


class UnknownScreeningError(FrontlineError):
    """A hit names a screening the post's access log does not have."""


def new_hit_id() -> str:
    """A fresh hit id: 32 hex digits (uuid4), unique without coordination."""
    return uuid.uuid4().hex


def subject_key(salt: bytes, kind: str, query: Mapping[str, Any]) -> str | None:
    """The keyed digest of a screening query's normalized fields (None if nothing to key).

    Names count by their sorted normalized tokens (order, case, script and accents do not
    change the key), identifiers by ``normalize_identifier``, the rest upper-cased.
    """
    fields: dict[str, str] = {}
    names: list[str] = []
    for name, value in query.items():
        if value is None or value == "" or name in _NOT_SUBJECT:
            continue
        if name in _NAME_FIELDS:
            names += normalize_name(str(value)).tokens
        elif name in _ID_FIELDS:
            fields[name] = normalize_identifier(str(value))
        else:
            fields[name] = str(value).strip().upper()
    if names:
        fields["name"] = " ".join(sorted(names))
    if not fields:
        return None
    text = orjson.dumps({"kind": kind, **fields}, option=orjson.OPT_SORT_KEYS)
    return hmac.new(salt, text, hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class HitStatus:
    """A hit as the post knows it: what was reported and how far it got."""

    report: HitReport
    sent_ms: int | None
    acked_ms: int | None
    ack: HitAck | None

    @property
    def status(self) -> str:
        """stored (not yet at the broker), sent, or acknowledged."""
        if self.ack is not None:
            return "acknowledged"
        return "sent" if self.sent_ms is not None else "stored"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: what ``post hits --json`` prints and ``GET /hits`` answers."""

        def at(ms: int | None) -> str | None:
            if ms is None:
                return None
            return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")

        return {
            **self.report.model_dump(mode="json"),
            "status": self.status,
            "sent_at": at(self.sent_ms),
            "acknowledged_at": at(self.acked_ms),
            "instructions": None if self.ack is None else self.ack.instructions,
            "acknowledged_by": None if self.ack is None else self.ack.acked_by,
        }


class HitBook:
    """The ``hits`` and ``false_matches`` tables of one post's store; thread-safe."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db = connect(path, check_same_thread=False)
        self._db.executescript(_SCHEMA + OUTBOX_SCHEMA)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()

    def record(self, report: HitReport, topic: str) -> None:
        """Store a report and its outbox row (and a FALSE_MATCH's memory) in one transaction."""
        value, _ = encode_message(report)
        at = now_ms()
        db = self._db
        with self._lock:
            db.execute("BEGIN")
            try:
                db.execute(
                    "INSERT INTO hits (hit_id, alert_id, alert_version, outcome, officer,"
                    " reported_ms, report) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (report.hit_id, report.alert_id, report.alert_version, report.outcome.value,
                     report.officer_id, at, value.decode()),
                )  # fmt: skip
                db.execute(
                    OUTBOX_INSERT, (at, topic, report.hit_id.encode(), value, report.kind,
                                    report.hit_id),
                )  # fmt: skip
                if report.outcome is HitOutcome.FALSE_MATCH and report.subject_key:
                    db.execute(
                        _REMEMBER,
                        (report.alert_id, report.alert_version, report.subject_key, "local", at),
                    )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def hits(self) -> list[HitStatus]:
        """Every hit reported at this post, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT report, sent_ms, acked_ms, ack FROM hits ORDER BY reported_ms, hit_id"
            ).fetchall()
        return [
            HitStatus(
                HitReport.model_validate_json(report),
                None if sent is None else int(sent),
                None if acked is None else int(acked),
                None if ack is None else HitAck.model_validate_json(ack),
            )
            for report, sent, acked, ack in rows
        ]

    def awaiting(self) -> int:
        """Hits not acknowledged yet (a FALSE_MATCH stays in the country: never awaited)."""
        with self._lock:
            row = self._db.execute(
                "SELECT count(*) FROM hits WHERE acked_ms IS NULL AND outcome != ?",
                (HitOutcome.FALSE_MATCH.value,),
            ).fetchone()
        return int(row[0])

    def false_matches(self, key: str, alerts: Iterable[tuple[str, int]]) -> set[tuple[str, int]]:
        """Which of ``alerts`` (id, version) were found a FALSE_MATCH for subject ``key``."""
        pairs = list(alerts)
        if not pairs:
            return set()
        with self._lock:
            rows = self._db.execute(
                "SELECT alert_id, alert_version FROM false_matches WHERE subject_key = ?", (key,)
            ).fetchall()
        remembered = {(str(a), int(v)) for a, v in rows}
        return remembered.intersection(pairs)


def feed_message(kind: str, value: bytes | None, at_ms: int) -> tuple[str, Statement]:
    """A message record of the post's feed as (outcome, statement for the batch's transaction).

    ``hit-ack`` is stored against its hit; ``false-match`` is remembered (source ``offered``).
    Raises ``QuarantineError`` for a record that is not a valid message the post takes.
    """
    message = decode_message(kind, value)
    if isinstance(message, HitAck):
        return "hit_ack", (_ACK, [(message.model_dump_json(), at_ms, message.hit_id)])
    if isinstance(message, FalseMatch):
        row = (message.alert_id, message.alert_version, message.subject_key, "offered", at_ms)
        return "false_match", (_REMEMBER, [row])
    raise QuarantineError(f"a {kind} message on a post feed", reason="unexpected_message")
