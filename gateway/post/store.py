"""The post's local store: its watchlist records and feed offsets in one SQLite file.

Records are kept as delivered (the Avro payload, plus the two header values an entry needs:
organization and linked alert ids) so a restart rebuilds the watchlist with the feed's code,
and offsets are written in the same SQLite transaction as the records they cover: after a
crash the store and its offsets always agree. The store is a cache of the feed: a file of an
older layout is emptied and the feed re-read.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Change", "PostStore", "StoredRecord"]

_VERSION = 3
_DROP = "DROP TABLE IF EXISTS records; DROP TABLE IF EXISTS offsets; DROP TABLE IF EXISTS meta;"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    alert_id TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    payload BLOB NOT NULL,
    org TEXT NOT NULL,
    linked TEXT NOT NULL,
    snapshot TEXT
);
CREATE TABLE IF NOT EXISTS offsets (
    topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    next_offset INTEGER NOT NULL,
    PRIMARY KEY (topic, partition)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """One watchlist record as delivered."""

    alert_id: str
    version: int
    payload: bytes
    org: str
    linked: tuple[str, ...]
    snapshot: str | None = None


@dataclass(frozen=True, slots=True)
class Change:
    """A record to keep (``payload`` set) or to forget (``payload`` None, a tombstone)."""

    alert_id: str
    version: int = 0
    payload: bytes | None = None
    org: str = ""
    linked: tuple[str, ...] = ()
    snapshot: str | None = None  # the normalized entry (screening.snapshot), a restart cache


class PostStore:
    """SQLite in WAL mode; one write transaction per applied batch."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        if self._db.execute("PRAGMA user_version").fetchone()[0] != _VERSION:
            # An older layout: the store is a cache of the feed, so start it again.
            self._db.executescript(_DROP)
            self._db.execute(f"PRAGMA user_version={_VERSION}")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        """Close the database file."""
        self._db.close()

    def apply(
        self,
        changes: Iterable[Change],
        offsets: dict[tuple[str, int], int],
        meta: dict[str, str] | None = None,
    ) -> None:
        """Write a batch of changes and the offsets after them atomically."""
        puts = []
        deletes = []
        for change in changes:
            if change.payload is None:
                deletes.append((change.alert_id,))
            else:
                linked = ",".join(change.linked)
                puts.append(
                    (change.alert_id, change.version, change.payload, change.org, linked,
                     change.snapshot)
                )  # fmt: skip
        db = self._db
        db.execute("BEGIN")
        try:
            # Callers fold a batch per alert id (last change wins), so the deletes and the
            # puts never name the same id and their order does not matter.
            db.executemany("DELETE FROM records WHERE alert_id = ?", deletes)
            db.executemany("INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?, ?, ?)", puts)
            db.executemany(
                "INSERT OR REPLACE INTO offsets VALUES (?, ?, ?)",
                [(t, p, o) for (t, p), o in offsets.items()],
            )
            db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", list((meta or {}).items()))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def records(self) -> Iterator[StoredRecord]:
        """Every record held, in no particular order."""
        cursor = self._db.execute(
            "SELECT alert_id, version, payload, org, linked, snapshot FROM records"
        )
        for alert_id, version, payload, org, linked, snapshot in cursor:
            ids = tuple(x for x in linked.split(",") if x)
            yield StoredRecord(alert_id, version, bytes(payload), org, ids, snapshot)

    def count(self) -> int:
        """How many records the store holds."""
        return int(self._db.execute("SELECT count(*) FROM records").fetchone()[0])

    def offsets(self, topic: str) -> dict[int, int]:
        """The next offset to read per partition of ``topic``."""
        rows = self._db.execute(
            "SELECT partition, next_offset FROM offsets WHERE topic = ?", (topic,)
        )
        return {int(p): int(o) for p, o in rows}

    def meta(self, key: str) -> str | None:
        """A stored metadata value (last contact time, feed topic)."""
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def reset(self) -> None:
        """Forget every record and offset: the next start re-reads the feed from the beginning."""
        self._db.execute("BEGIN")
        self._db.execute("DELETE FROM records")
        self._db.execute("DELETE FROM offsets")
        self._db.execute("COMMIT")
