"""What a post sends upstream, stored first and sent when the broker is there.

Two sources feed one ``OutboxPublisher``: the access log (``access_log.AccessSource``, sent to
``<prefix>access.<ISO3>``) and the ``outbox`` table of the post's store (``Outbox``: hit
reports and delivery receipts for ``<prefix>up.<ISO3>``). A row is written, committed, and
only then sent; it is marked (the access log) or deleted (the outbox) once the broker
acknowledged it, so a screening or a hit report never waits for the broker, and what was
written while the broker was away (or the post stopped) is sent when it returns.

Delivery is at least once on the way out: a crash between the broker's acknowledgement and
the mark re-sends those rows. Each record carries its own identity (the access row's post and
``seq``, the hit's id, the receipt's alert, version and post) so the reader drops duplicates.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import structlog
from aiokafka.errors import KafkaError

from gateway.kafka.clients import make_producer
from gateway.kafka.clock import now_ms
from gateway.post.store import OUTBOX_INSERT, OUTBOX_SCHEMA, connect
from gateway.settings import Settings

__all__ = ["Outbox", "OutboxPublisher", "OutboxSource", "Outgoing"]

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One record to send: where, its key, value and headers, and the row it came from."""

    topic: str
    key: bytes
    value: bytes
    headers: Sequence[tuple[str, bytes]]
    seq: int
    kind: str = ""
    ref: str | None = None


class OutboxSource(Protocol):
    """Rows waiting to be sent, in the order to send them."""

    name: str

    def pending(self) -> int:
        """How many rows the broker has not acknowledged yet."""

    def next_batch(self, limit: int) -> list[Outgoing]:
        """Up to ``limit`` unsent rows, oldest first."""

    def mark_sent(self, rows: Sequence[Outgoing]) -> None:
        """The broker acknowledged ``rows``."""


class Outbox:
    """The ``outbox`` table of a post's store; safe to use from any thread.

    ``on_sent`` runs in the same transaction as the deletion of sent rows (the hits book
    marks its hits sent there).
    """

    def __init__(self, path: Path, name: str, *, header: str = "fl-msg") -> None:
        self.path = path
        self.name = name
        self._header = header
        self._lock = threading.Lock()
        self._db = connect(path, check_same_thread=False)
        self._db.executescript(OUTBOX_SCHEMA)

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()

    def add(self, topic: str, key: bytes, value: bytes, kind: str, ref: str | None = None) -> int:
        """Write one row (committed when this returns); returns its sequence number."""
        with self._lock:
            cursor = self._db.execute(OUTBOX_INSERT, (now_ms(), topic, key, value, kind, ref))
        seq = cursor.lastrowid
        assert seq is not None  # an INSERT into a rowid table
        return seq

    def pending(self, kind: str | None = None) -> int:
        """Rows not yet acknowledged by the broker (of ``kind`` only, if given)."""
        with self._lock:
            row = self._db.execute(
                "SELECT count(*) FROM outbox WHERE ? IS NULL OR kind = ?", (kind, kind)
            ).fetchone()
        return int(row[0])

    def next_batch(self, limit: int) -> list[Outgoing]:
        """Up to ``limit`` rows, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, topic, key, value, kind, ref FROM outbox ORDER BY seq LIMIT ?",
                (limit,),
            ).fetchall()
        return [
            Outgoing(
                topic=str(topic),
                key=bytes(key),
                value=bytes(value),
                headers=[(self._header, str(kind).encode())],
                seq=int(seq),
                kind=str(kind),
                ref=None if ref is None else str(ref),
            )
            for seq, topic, key, value, kind, ref in rows
        ]

    def mark_sent(self, rows: Sequence[Outgoing]) -> None:
        """Forget rows the broker acknowledged; hits among them are marked sent."""
        at = now_ms()
        hits = [(at, row.ref) for row in rows if row.kind == "hit" and row.ref]
        with self._lock:
            self._db.execute("BEGIN")
            try:
                if hits:
                    self._db.executemany(
                        "UPDATE hits SET sent_ms = ? WHERE hit_id = ? AND sent_ms IS NULL", hits
                    )
                self._db.executemany(
                    "DELETE FROM outbox WHERE seq = ?", [(row.seq,) for row in rows]
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise


class OutboxPublisher:
    """Sends every source's rows, in order, with one idempotent producer, at least once."""

    def __init__(
        self,
        settings: Settings,
        sources: Sequence[OutboxSource],
        *,
        batch: int = 500,
        idle_s: float = 0.5,
        retry_s: float = 1.0,
    ) -> None:
        self.settings = settings
        self.sources = list(sources)
        self._batch = batch
        self._idle_s = idle_s
        self._retry_s = retry_s
        self._stopping = asyncio.Event()
        self._wake = asyncio.Event()
        self.sent = 0

    def stop(self) -> None:
        """Ask ``run`` to return (rows not yet sent stay stored for the next start)."""
        self._stopping.set()
        self._wake.set()

    def wake(self) -> None:
        """Something was written: send it now rather than after the idle pause."""
        self._wake.set()

    def pending(self) -> int:
        """Rows of every source not yet acknowledged."""
        return sum(source.pending() for source in self.sources)

    async def run(self) -> None:
        """Send each source's new rows as they come, each source on its own connection (a
        topic that is missing or refused stalls only its source); reconnect with a growing
        pause while the broker is away."""
        await asyncio.gather(*(self._run_source(source) for source in self.sources))

    async def _run_source(self, source: OutboxSource) -> None:
        pause = self._retry_s
        while not self._stopping.is_set():
            try:
                await self._send_all(source)
                pause = self._retry_s
            except (KafkaError, OSError) as error:
                log.warning(
                    "post_outbox_publish_failed",
                    source=source.name,
                    error=type(error).__name__,
                    pending=source.pending(),
                    retry_s=pause,
                )
                await self._pause(pause)
                pause = min(pause * 2, 30.0)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
        if not self._stopping.is_set():
            self._wake.clear()

    async def _send_all(self, source: OutboxSource) -> None:
        while not self._stopping.is_set() and not source.pending():
            await self._pause(self._idle_s)  # nothing to send: no connection either
        if self._stopping.is_set():
            return
        producer = make_producer(self.settings, request_timeout_ms=10_000)
        try:
            await producer.start()
            while not self._stopping.is_set():
                rows = source.next_batch(self._batch)
                if not rows:
                    await self._pause(self._idle_s)
                    continue
                futures = [
                    await producer.send(
                        row.topic, row.value, key=row.key, headers=list(row.headers)
                    )
                    for row in rows
                ]
                await asyncio.gather(*futures)
                source.mark_sent(rows)
                self.sent += len(rows)
        finally:
            try:
                await asyncio.wait_for(producer.stop(), 5)
            except (TimeoutError, KafkaError, OSError):
                log.warning("post_outbox_producer_stop_unclean")
