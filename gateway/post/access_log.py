"""Every screening at a post, accounted for: an append-only access log, sent to the bureau.

One row per screening (person or object): when, which officer, at which post, the query as
asked, the alert ids and versions answered, and the feed offsets the watchlist stood at (which
data answered). The query carries a traveller's name, birth date or document number: it lives
only here, in the post's store (0600), and on the bureau's access topic, never in a process
log. SQLite triggers refuse any UPDATE or DELETE of a row, and this module offers neither.

``AccessSource`` hands the rows, in order, to the post's ``outbox.OutboxPublisher`` for
``<prefix>access.<ISO3>`` (the national bureau). The log doubles as its outbox: a one-row
table holds the highest sequence number the broker acknowledged, so a screening never waits
for the broker, and a row written while the broker is away (or the post is stopped) is sent
when it returns. Delivery is at least once: a crash between the broker's acknowledgement and
the marker re-sends a few rows, each carrying its post and ``seq`` so the bureau can drop
duplicates; the idempotent producer adds none of its own. Records are keyed by post: one
post's rows stay in order on one partition.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gateway.kafka.clock import now_ms
from gateway.post.outbox import OutboxPublisher, Outgoing
from gateway.post.store import connect
from gateway.settings import Settings

__all__ = ["AccessEntry", "AccessLog", "AccessPublisher", "AccessSource"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS access_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms INTEGER NOT NULL,
    officer TEXT NOT NULL,
    post TEXT NOT NULL,
    kind TEXT NOT NULL,
    query TEXT NOT NULL,
    alerts TEXT NOT NULL,
    feed_topic TEXT NOT NULL,
    feed_offsets TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS access_log_no_update BEFORE UPDATE ON access_log
BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS access_log_no_delete BEFORE DELETE ON access_log
BEGIN SELECT RAISE(ABORT, 'the access log is append-only'); END;
CREATE TABLE IF NOT EXISTS access_published (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL
);
"""
_SELECT = (
    "SELECT seq, at_ms, officer, post, kind, query, alerts, feed_topic, feed_offsets"
    " FROM access_log WHERE seq > ? AND at_ms >= ? ORDER BY seq LIMIT ?"  # LIMIT -1: all
)


@dataclass(frozen=True, slots=True)
class AccessEntry:
    """One screening as logged."""

    seq: int
    at_ms: int
    officer: str
    post: str
    kind: str
    query: dict[str, Any]
    alerts: list[tuple[str, int]]
    feed_topic: str
    feed_offsets: dict[int, int]

    @property
    def at(self) -> str:
        """The time in ISO 8601, UTC, to the millisecond."""
        return datetime.fromtimestamp(self.at_ms / 1000, UTC).isoformat(timespec="milliseconds")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: what ``post access-log --json`` prints and the access topic carries."""
        return {
            "seq": self.seq,
            "at": self.at,
            "officer": self.officer,
            "post": self.post,
            "kind": self.kind,
            "query": self.query,
            "alerts": [{"alert_id": a, "version": v} for a, v in self.alerts],
            "feed": {
                "topic": self.feed_topic,
                "offsets": {str(p): o for p, o in sorted(self.feed_offsets.items())},
            },
        }


def _entry(row: Sequence[Any]) -> AccessEntry:
    seq, at_ms, officer, post, kind, query, alerts, topic, offsets = row
    return AccessEntry(
        seq=int(seq),
        at_ms=int(at_ms),
        officer=str(officer),
        post=str(post),
        kind=str(kind),
        query=json.loads(query),
        alerts=[(str(a), int(v)) for a, v in json.loads(alerts)],
        feed_topic=str(topic),
        feed_offsets={int(p): int(o) for p, o in json.loads(offsets).items()},
    )


class AccessLog:
    """The ``access_log`` table of one post's store; safe to append from any thread."""

    def __init__(self, path: Path, post: str) -> None:
        self.path = path
        self.post = post
        self._lock = threading.Lock()
        self._db = connect(path, check_same_thread=False)
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()

    def append(
        self,
        *,
        officer: str,
        kind: str,
        query: Mapping[str, Any],
        alerts: Sequence[tuple[str, int]],
        feed_topic: str,
        feed_offsets: Mapping[int, int],
    ) -> int:
        """Write one screening; returns its sequence number (committed before returning)."""
        row = (
            now_ms(),
            officer,
            self.post,
            kind,
            json.dumps(dict(query), ensure_ascii=False, sort_keys=True),
            json.dumps([list(a) for a in alerts]),
            feed_topic,
            json.dumps({str(p): o for p, o in feed_offsets.items()}),
        )
        with self._lock:
            cursor = self._db.execute(
                "INSERT INTO access_log (at_ms, officer, post, kind, query, alerts, feed_topic,"
                " feed_offsets) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
        seq = cursor.lastrowid
        assert seq is not None  # an INSERT into a rowid table
        return seq

    def entries(
        self, *, since_ms: int | None = None, after_seq: int = 0, limit: int | None = None
    ) -> list[AccessEntry]:
        """Rows in order, from ``since_ms`` (inclusive) and after ``after_seq``."""
        params = (after_seq, since_ms or 0, -1 if limit is None else limit)
        with self._lock:
            rows = self._db.execute(_SELECT, params).fetchall()
        return [_entry(row) for row in rows]

    def published(self) -> int:
        """The highest sequence number the broker acknowledged (0: none yet)."""
        with self._lock:
            row = self._db.execute("SELECT seq FROM access_published WHERE id = 1").fetchone()
        return 0 if row is None else int(row[0])

    def mark_published(self, seq: int) -> None:
        """Record that every row up to ``seq`` reached the broker."""
        with self._lock:
            self._db.execute(
                "INSERT INTO access_published VALUES (1, ?)"
                " ON CONFLICT (id) DO UPDATE SET seq = max(seq, excluded.seq)",
                (seq,),
            )

    def pending(self) -> int:
        """Rows not yet acknowledged by the broker."""
        with self._lock:
            row = self._db.execute(
                "SELECT count(*) FROM access_log WHERE seq > "
                "coalesce((SELECT seq FROM access_published WHERE id = 1), 0)"
            ).fetchone()
        return int(row[0])


class AccessSource:
    """The access log as an outbox source: rows after the published marker, keyed by post."""

    def __init__(self, access_log: AccessLog, topic: str) -> None:
        self.log = access_log
        self.topic = topic
        self.name = f"access:{access_log.post}"

    def pending(self) -> int:
        """Rows not yet acknowledged by the broker."""
        return self.log.pending()

    def next_batch(self, limit: int) -> list[Outgoing]:
        """The next rows after the published marker, as access-topic records."""
        rows = self.log.entries(after_seq=self.log.published(), limit=limit)
        return [
            Outgoing(
                self.topic,
                row.post.encode(),
                json.dumps(row.to_dict(), ensure_ascii=False).encode(),
                (),
                row.seq,
            )
            for row in rows
        ]

    def mark_sent(self, rows: Sequence[Outgoing]) -> None:
        """Move the published marker past ``rows`` (sent in order)."""
        if rows:
            self.log.mark_published(rows[-1].seq)


class AccessPublisher(OutboxPublisher):
    """Sends a post's access log to its country's access topic, in order, at least once."""

    def __init__(
        self,
        settings: Settings,
        access_log: AccessLog,
        topic: str,
        *,
        batch: int = 500,
        idle_s: float = 0.5,
        retry_s: float = 1.0,
    ) -> None:
        super().__init__(
            settings,
            [AccessSource(access_log, topic)],
            batch=batch,
            idle_s=idle_s,
            retry_s=retry_s,
        )
        self.log = access_log
        self.topic = topic
