"""The post's local store: its watchlist records and feed offsets in one SQLite file.

Records are kept as delivered (the Avro payload, plus the two header values an entry needs:
organization and linked alert ids) so a restart rebuilds the watchlist with the feed's code,
and offsets are written in the same SQLite transaction as the records they cover: after a
crash the store and its offsets always agree. The store is a cache of the feed: a file of an
older layout is emptied and the feed re-read.

It holds the names of wanted and missing persons: the folder is created 0700 and the files
0600 (an older, looser store is tightened when opened). One process writes a store: ``claim``
takes an exclusive lock beside it and names the holder to a second one.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from gateway.errors import SetupError

__all__ = [
    "DOCUMENT_DROP",
    "DOCUMENT_PUT",
    "OUTBOX_INSERT",
    "OUTBOX_SCHEMA",
    "Change",
    "DocumentRow",
    "DocumentRows",
    "HeldDocument",
    "PostStore",
    "Statement",
    "StoreLockedError",
    "StoredRecord",
    "connect",
    "document_listing_at",
]

_DIR_MODE = 0o700
_FILE_MODE = 0o600

_VERSION = 3
_DROP = (
    "DROP TABLE IF EXISTS records; DROP TABLE IF EXISTS offsets; DROP TABLE IF EXISTS meta;"
    " DROP TABLE IF EXISTS flags; DROP TABLE IF EXISTS documents;"
)
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
CREATE TABLE IF NOT EXISTS flags (
    alert_id TEXT PRIMARY KEY,
    country TEXT NOT NULL,
    action TEXT NOT NULL,
    reason TEXT
);
CREATE TABLE IF NOT EXISTS documents (
    slot INTEGER PRIMARY KEY,
    alert_id TEXT NOT NULL UNIQUE,
    version INTEGER NOT NULL,
    org TEXT NOT NULL,
    tlp TEXT NOT NULL,
    number TEXT NOT NULL,
    issuer TEXT NOT NULL,
    doc_type TEXT NOT NULL,
    status TEXT NOT NULL,
    reported_at INTEGER,
    review_at INTEGER,
    expires_at INTEGER,
    hash BLOB NOT NULL
);
"""
# Travel-document alerts are not watchlist records: one row per document, its fields decoded
# (no payload), at the slot the in-memory index (screening/documents.py) names on a hit.
DOCUMENT_PUT = "INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
DOCUMENT_DROP = "DELETE FROM documents WHERE slot = ?"
_DOCUMENTS_AT = (
    "SELECT slot, alert_id, version, org, tlp, number, issuer, doc_type, status, reported_at,"
    " review_at, expires_at, hash FROM documents WHERE slot IN (SELECT value FROM json_each(?))"
)
_DOCUMENT_OF = (
    "SELECT slot, alert_id, version, org, tlp, number, issuer, doc_type, status, reported_at,"
    " review_at, expires_at, hash FROM documents WHERE alert_id = ?"
)
OUTBOX_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms INTEGER NOT NULL,
    topic TEXT NOT NULL,
    key BLOB NOT NULL,
    value BLOB NOT NULL,
    kind TEXT NOT NULL,
    ref TEXT
);
"""
"""What the post still has to send upstream (hits, receipts): a row leaves once the broker
acknowledged it (``gateway.post.outbox``). Never dropped with the feed's cache tables."""
OUTBOX_INSERT = "INSERT INTO outbox (at_ms, topic, key, value, kind, ref) VALUES (?, ?, ?, ?, ?, ?)"

Statement = tuple[str, Sequence[tuple[Any, ...]]]
"""An SQL statement and its rows (``executemany``), written in a batch's transaction."""


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


class HeldDocument(NamedTuple):
    """Where the store holds a travel-document alert: its slot, version and number hash,
    and what the officer's latest changes name of it (org, TLP, a label)."""

    slot: int
    version: int
    hash: bytes
    org: str = ""
    tlp: str = ""
    label: str = ""


class DocumentRow(NamedTuple):
    """One travel-document alert as the store keeps it (times in epoch ms)."""

    slot: int
    alert_id: str
    version: int
    org: str
    tlp: str
    number: str
    issuer: str
    doc_type: str
    status: str
    reported_at: int | None
    review_at: int | None
    expires_at: int | None
    hash: bytes


class DocumentRows:
    """Reads travel-document rows by slot on its own connection, from screening threads."""

    def __init__(self, path: Path) -> None:
        self._db = connect(path, check_same_thread=False)
        self._lock = threading.Lock()

    def get(self, slots: Sequence[int]) -> dict[int, DocumentRow]:
        """The rows at these slots (a slot not held is left out)."""
        if not slots:
            return {}
        with self._lock:
            rows = self._db.execute(_DOCUMENTS_AT, (json.dumps(list(slots)),)).fetchall()
        return {int(r[0]): DocumentRow._make((*r[:-1], bytes(r[-1]))) for r in rows}

    def by_alert(self, alert_id: str) -> DocumentRow | None:
        """The row of one travel-document alert, if held."""
        with self._lock:
            row = self._db.execute(_DOCUMENT_OF, (alert_id,)).fetchone()
        return None if row is None else DocumentRow._make((*row[:-1], bytes(row[-1])))

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()


_DOCUMENT_LISTING = "SELECT alert_id, version, org FROM documents ORDER BY alert_id"


def document_listing_at(path: Path, chunk: int = 10_000) -> Iterator[list[tuple[Any, ...]]]:
    """(alert id, version, org) of every travel-document alert in id order, in chunks, read
    on a connection of its own (one consistent snapshot, from any thread)."""
    db = connect(path, check_same_thread=False)
    try:
        cursor = db.execute(_DOCUMENT_LISTING)
        while rows := cursor.fetchmany(chunk):
            yield rows
    finally:
        db.close()


class StoreLockedError(SetupError):
    """Another process already runs this post on this store."""


def _private(path: Path) -> None:
    """Create the store's folder 0700 and its file 0600, tightening looser existing ones."""
    path.parent.mkdir(mode=_DIR_MODE, parents=True, exist_ok=True)
    with contextlib.suppress(PermissionError):  # a folder we do not own stays as it is
        os.chmod(path.parent, _DIR_MODE)
    # Never open (and so close) a descriptor on an existing store: closing any descriptor of
    # a file drops every POSIX lock this process holds on it, including those of SQLite
    # connections already open here, and another process could then delete the live WAL.
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR, _FILE_MODE))
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        with contextlib.suppress(FileNotFoundError, PermissionError):
            os.chmod(file, _FILE_MODE)


def connect(path: Path, *, check_same_thread: bool = True) -> sqlite3.Connection:
    """A private (0700 folder, 0600 files) SQLite connection in WAL mode, autocommit.

    The officers and the access log (``officers.py``, ``access_log.py``) open their own
    connections to the same file: their tables are not the feed's cache and are never dropped.
    """
    _private(path)
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=check_same_thread)
    db.execute("PRAGMA busy_timeout=5000")  # the CLI and the running post write the same file
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    _private(path)  # the -wal and -shm files exist now
    return db


class PostStore:
    """SQLite in WAL mode; one write transaction per applied batch."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock_fd: int | None = None
        self._db = connect(path)
        if self._db.execute("PRAGMA user_version").fetchone()[0] != _VERSION:
            # An older layout: the store is a cache of the feed, so start it again.
            self._db.executescript(_DROP)
            self._db.execute(f"PRAGMA user_version={_VERSION}")
        self._db.executescript(_SCHEMA + OUTBOX_SCHEMA)

    @property
    def lock_path(self) -> Path:
        """The lock file beside the store, holding the writing process's id."""
        return Path(f"{self.path}.lock")

    def claim(self) -> None:
        """Become the store's only writer; ``StoreLockedError`` naming the holder if taken."""
        if self._lock_fd is not None:
            return
        fd = os.open(self.lock_path, os.O_CREAT | os.O_RDWR, _FILE_MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise StoreLockedError(
                f"process {holder} already runs this post (it holds {self.lock_path})",
                hint=f"stop process {holder} first; one `post run` per post store",
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._lock_fd = fd

    def close(self) -> None:
        """Close the database file and release the lock if held."""
        self._db.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing releases the flock
            self._lock_fd = None

    def apply(
        self,
        changes: Iterable[Change],
        offsets: dict[tuple[str, int], int],
        meta: dict[str, str] | None = None,
        statements: Sequence[Statement] = (),
    ) -> None:
        """Write a batch of changes and the offsets after them atomically, with
        ``statements`` (receipts and messages the batch brought) in the same transaction."""
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
            for sql, rows in statements:
                db.executemany(sql, rows)
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

    def listing(self) -> Iterator[tuple[str, int, str, str]]:
        """(alert id, version, kind, org) of every record in id order, without decoding names.

        The kind comes from the entry snapshot (its fourth field); a record stored without
        one is decoded. TLP:RED records are never stored, so this is what the post holds.
        """
        from gateway.contract.codec import decode_dict  # noqa: PLC0415  # why: only rows without a snapshot
        from gateway.errors import DecodeError  # noqa: PLC0415  # why: same

        cursor = self._db.execute(
            "SELECT alert_id, version, org, json_extract(snapshot, '$[3]'),"
            " CASE WHEN snapshot IS NULL THEN payload END FROM records ORDER BY alert_id"
        )
        for alert_id, version, org, snapshot_kind, payload in cursor:
            kind = snapshot_kind
            if kind is None:
                try:
                    kind = decode_dict(bytes(payload))[0] if payload is not None else "?"
                except DecodeError:
                    kind = "?"
            yield str(alert_id), int(version), str(kind), str(org)

    def flags(self) -> Iterator[tuple[str, str, str, str | None]]:
        """(alert id, flagging country, substitute action, reason) of every flagged alert held."""
        for alert_id, country, action, reason in self._db.execute(
            "SELECT alert_id, country, action, reason FROM flags"
        ):
            yield str(alert_id), str(country), str(action), None if reason is None else str(reason)

    def count(self) -> int:
        """How many records the store holds."""
        return int(self._db.execute("SELECT count(*) FROM records").fetchone()[0])

    def document_count(self) -> int:
        """How many travel-document alerts the store holds."""
        return int(self._db.execute("SELECT count(*) FROM documents").fetchone()[0])

    def next_document_slot(self) -> int:
        """The first slot no travel-document row uses."""
        return int(
            self._db.execute("SELECT coalesce(max(slot), -1) + 1 FROM documents").fetchone()[0]
        )

    def held_documents(self, alert_ids: Sequence[str]) -> dict[str, HeldDocument]:
        """Slot, version and number hash of the travel-document alerts held among these ids."""
        if not alert_ids:
            return {}
        rows = self._db.execute(
            "SELECT alert_id, slot, version, hash, org, tlp,"
            " doc_type || ' ' || issuer || ' ' || number FROM documents"
            " WHERE alert_id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(alert_ids)),),
        )
        return {
            str(a): HeldDocument(int(s), int(v), bytes(h), str(o), str(t), str(label))
            for a, s, v, h, o, t, label in rows
        }

    def document_listing(self) -> Iterator[tuple[str, int, str, str]]:
        """(alert id, version, kind, org) of every travel-document alert, in id order."""
        cursor = self._db.execute(_DOCUMENT_LISTING)
        for alert_id, version, org in cursor:
            yield str(alert_id), int(version), "TRAVEL_DOCUMENT", str(org)

    def document_index_rows(self, chunk: int = 100_000) -> Iterator[list[tuple[Any, ...]]]:
        """(slot, hash, issuer, status, doc_type) of every travel document, in chunks."""
        cursor = self._db.execute("SELECT slot, hash, issuer, status, doc_type FROM documents")
        while rows := cursor.fetchmany(chunk):
            yield rows

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
        self._db.execute("DELETE FROM flags")
        self._db.execute("DELETE FROM documents")
        self._db.execute("COMMIT")
