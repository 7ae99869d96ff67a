"""The post's feed consumer: its own compacted topic, read_committed, into watchlist and store.

The feed's partitions are assigned by hand (no consumer group: a post is the only reader of
its feed) and each starts at the offset the local store recorded, or at the beginning on a
first start. A store whose offset fell below the log start, or whose last contact is older
than the tombstone retention, is rebuilt from the beginning: it may have missed a deletion.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

import structlog
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError
from confluent_kafka import KafkaException

from gateway.contract.codec import decode_dict
from gateway.contract.messages import MESSAGE_HEADER
from gateway.contract.trust import TrustStore, Verdict
from gateway.errors import DecodeError, QuarantineError
from gateway.kafka.clients import make_consumer
from gateway.kafka.headers import H, RouteHeaders
from gateway.kafka.internals import track_topic
from gateway.kafka.signatures import BatchVerifier, load_trust
from gateway.post.catch_up import CATCH_UP_MIN, catch_up
from gateway.post.feed_documents import DocumentFeed, DocumentPlan, headed_runs
from gateway.post.gate import WatchlistGate
from gateway.post.hits import feed_message
from gateway.post.metrics import PostMetrics
from gateway.post.receipts import Receipts
from gateway.post.screening import Entry, Watchlist, entry_from_record
from gateway.post.screening.documents import (
    DocumentIndex,
    DocumentRecord,
    decode_document,
)
from gateway.post.screening.results import AlertFlag
from gateway.post.screening.snapshot import entry_from_snapshot, entry_to_snapshot
from gateway.post.store import Change, PostStore, Statement, StoredRecord
from gateway.settings import Settings

__all__ = ["REBUILD_AFTER_S", "PostFeed", "entry_of", "flag_of"]

log = structlog.get_logger(__name__)

# Below the feed topics' delete.retention.ms (7 days): past it a tombstone may be gone.
REBUILD_AFTER_S = 6 * 24 * 3600
_META_CONTACT = "last_contact_ms"
_MAX_PAUSE_S = 30.0
_STOP_WAIT_S = 5.0
_FROM_SETTINGS: Any = object()  # ``trust`` not given: read FRONTLINE_TRUST_FILE


def entry_of(payload: bytes, route: RouteHeaders) -> Entry | None:
    """The watchlist entry of a delivered payload; None when it must not be held (TLP:RED)."""
    kind, record = decode_dict(payload)
    if route.tlp == "RED" or record["envelope"].get("tlp") == "RED":
        return None
    return entry_from_record(kind, record, org=route.org, linked=route.linked)


def flag_of(route: RouteHeaders, action: str) -> AlertFlag | None:
    """The receiving country's flag a delivered alert carries (``fl-flag-*`` headers), if any."""
    extra = route.extra
    country = extra.get(H.FLAG_COUNTRY) if extra else None
    if not country:
        return None
    return AlertFlag(
        country=country,
        action=extra.get(H.FLAG_ACTION) or "INFORM",
        reason=extra.get(H.FLAG_REASON) or None,
        replaces=action,
    )


_FLAG_PUT = "INSERT OR REPLACE INTO flags VALUES (?, ?, ?, ?)"
_FLAG_DROP = "DELETE FROM flags WHERE alert_id = ?"


class _Staged(NamedTuple):
    """A fetched batch folded per alert id, ready for the watchlist and the store.

    ``flags`` is the flag state of every alert the batch changes (None: not flagged),
    ``removed`` the version each removal took away, ``statements`` the messages' writes.
    """

    now_ms: int
    changes: dict[str, Change]
    entries: dict[str, Entry | None]
    offsets: dict[tuple[str, int], int]
    counts: dict[str, int]
    flags: dict[str, AlertFlag | None]
    removed: dict[str, int]
    statements: list[Statement]
    unflagged: list[str]
    documents: dict[str, DocumentRecord | None]  # travel documents (None: removed)


class PostFeed:
    """Keeps one post's watchlist and store in step with its feed topic."""

    def __init__(
        self,
        settings: Settings,
        topic: str,
        store: PostStore,
        watchlist: Watchlist,
        metrics: PostMetrics,
        *,
        clock: Callable[[], float] = time.time,
        retry_s: float = 1.0,
        consumer_overrides: dict[str, Any] | None = None,
        trust: TrustStore | None = _FROM_SETTINGS,
    ) -> None:
        self.settings = settings
        self.topic = topic
        self.store = store
        self.watchlist = watchlist
        self.metrics = metrics
        self._clock = clock
        self._retry_s = retry_s
        self._overrides = consumer_overrides or {}
        self._stopping = asyncio.Event()
        self._polls: dict[TopicPartition, int | None] = {}
        stored = store.meta(_META_CONTACT)
        self.last_contact_ms: int | None = int(stored) if stored else None
        self.fetched = 0  # records read from Kafka since start: restarts must not re-read all
        self.loading: tuple[int, int] | None = None  # (loaded, total) while the store loads
        self.caught_up = asyncio.Event()
        self.gate = WatchlistGate()  # screenings read from threads; the feed writes alone
        if trust is _FROM_SETTINGS:
            trust = load_trust(settings.trust_file, "post")
        # With a trust file, no record enters the watchlist unless its originator's signature
        # verifies over its exact payload bytes (docs/signing.md).
        self.verifier = BatchVerifier(trust) if trust is not None else None
        # Flags of the alerts held (alert id -> flag), read by screenings under the gate.
        self.flags: dict[str, AlertFlag] = {}
        self.receipts: Receipts | None = None  # set: a receipt per committed change
        # Travel documents live in a compact index of their own (screening/documents.py).
        self.documents = DocumentIndex()
        self.document_feed = DocumentFeed(store, self.documents)
        # A start this far behind its feed reads it through librdkafka first (None: never).
        self.catch_up_min: int | None = CATCH_UP_MIN

    # -- state --------------------------------------------------------------------------------

    def staleness_seconds(self) -> float | None:
        """Seconds since the post last reached its feed; None if it never did."""
        if self.last_contact_ms is None:
            return None
        return max(0.0, self._clock() - self.last_contact_ms / 1000)

    def refresh_gauges(self) -> None:
        """Update the watchlist-size and staleness gauges."""
        post = self.metrics.post
        self.metrics.watchlist_size.labels(post).set(len(self.watchlist))
        staleness = self.staleness_seconds()
        self.metrics.staleness.labels(post).set(-1 if staleness is None else staleness)

    def restore(self) -> int:
        """Load the store into the watchlist (before serving); returns the records loaded."""
        loaded = 0
        for stored in self.store.records():
            loaded += self._restore_one(stored)
        self.document_feed.restore()
        return self._restored(loaded)

    async def restore_async(self, chunk: int = 2_000) -> int:
        """Load the store while the event loop keeps serving; ``loading`` tells how far."""
        total = self.store.count()
        self.loading = (0, total)
        loaded = read = 0
        records = self.store.records()
        done = False
        while not done:
            async with self.gate.write():
                for _ in range(chunk):
                    stored = next(records, None)
                    if stored is None:
                        done = True
                        break
                    read += 1
                    loaded += self._restore_one(stored)
            self.loading = (read, total)
            await asyncio.sleep(0)  # let screenings and health checks through
        await self.document_feed.restore_async(self.gate)
        self.loading = None
        return self._restored(loaded)

    def _restore_one(self, stored: StoredRecord) -> int:
        entry = self._stored_entry(stored)
        if entry is None:
            return 0
        self.watchlist.upsert(entry)
        return 1

    def _restored(self, loaded: int) -> int:
        self.flags = {
            alert_id: AlertFlag(country=country, action=action, reason=reason, replaces=held.action)
            for alert_id, country, action, reason in self.store.flags()
            if (held := self.watchlist.get(alert_id)) is not None
        }
        self.refresh_gauges()
        # Long-lived watchlist objects leave the cyclic GC's young generations, so a full
        # collection no longer walks a million entries in the middle of a screening.
        gc.freeze()
        log.info("post_store_restored", topic=self.topic, records=loaded)
        return loaded

    def _stored_entry(self, stored: StoredRecord) -> Entry | None:
        try:
            if stored.snapshot is not None:
                entry = entry_from_snapshot(stored.snapshot)
                if entry is not None:
                    return entry
            return entry_of(stored.payload, RouteHeaders(org=stored.org, linked=stored.linked))
        except DecodeError as error:
            log.warning(
                "post_store_unreadable", alert_id=stored.alert_id, reason=error.quarantine_reason
            )
            return None

    # -- running ------------------------------------------------------------------------------

    def stop(self) -> None:
        """Ask ``run`` to return after the current fetch."""
        self._stopping.set()

    async def run(self) -> None:
        """Follow the feed until ``stop``; reconnects with a growing pause (up to 30 s)."""
        pause = self._retry_s
        while not self._stopping.is_set():
            fetched = self.fetched
            try:
                await self._follow()
            except (KafkaError, OSError) as error:
                log.warning(
                    "post_feed_unreachable",
                    topic=self.topic,
                    error=type(error).__name__,
                    detail=str(error),
                    retry_s=pause,
                )
            self.refresh_gauges()
            pause = self._retry_s if self.fetched > fetched else min(pause * 2, _MAX_PAUSE_S)
            if not self._stopping.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), pause)

    async def _follow(self) -> None:
        consumer = make_consumer(
            self.settings, group_id=None, max_poll_records=10_000, **self._overrides
        )
        try:
            await consumer.start()
            # A consumer without a subscription keeps no topic metadata: ask for this topic's.
            # (aiokafka has no public call for it; ``topics()`` does not update the cache.)
            await track_topic(consumer, self.topic)
            partitions = consumer.partitions_for_topic(self.topic)
            if not partitions:
                raise KafkaError(f"feed topic {self.topic} does not exist")
            tps = [TopicPartition(self.topic, p) for p in sorted(partitions)]
            consumer.assign(tps)
            await self._position(consumer, tps)
            if not self.caught_up.is_set() and self.catch_up_min is not None:
                await self._catch_up(consumer, tps)
            self._polls = dict.fromkeys(tps)
            while not self._stopping.is_set():
                batch = await consumer.getmany(timeout_ms=500, max_records=10_000)
                self._note_contact(consumer, tps)
                if batch:
                    await self.apply_async(batch)
                if not self.caught_up.is_set() and await self._at_end(consumer, tps):
                    self.caught_up.set()
                    gc.freeze()
                    log.info("post_feed_caught_up", topic=self.topic, size=len(self.watchlist))
                self.refresh_gauges()
        finally:
            # With the broker away aiokafka's stop waits out its in-flight fetch (tens of
            # seconds): a post being stopped does not wait that long.
            # aiokafka's stop can also raise the CancelledError of a fetch it cancelled itself.
            try:
                await asyncio.wait_for(consumer.stop(), _STOP_WAIT_S)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise  # this task is being cancelled: not aiokafka's own
                log.warning("post_feed_stop_unclean", topic=self.topic)
            except (TimeoutError, KafkaError, OSError):
                log.warning("post_feed_stop_unclean", topic=self.topic)

    async def _position(self, consumer: AIOKafkaConsumer, tps: list[TopicPartition]) -> None:
        """Seek each partition to the stored offset, or rebuild from the beginning if unsafe."""
        stored = self.store.offsets(self.topic)
        starts = await consumer.beginning_offsets(tps)
        staleness = self.staleness_seconds()
        too_old = staleness is not None and staleness > REBUILD_AFTER_S
        below = any(tp.partition in stored and stored[tp.partition] < starts[tp] for tp in tps)
        if stored and (too_old or below):
            log.warning("post_store_rebuild", topic=self.topic, too_old=too_old, below=below)
            self.store.reset()
            async with self.gate.write():
                for entry in list(self.watchlist.entries()):
                    self.watchlist.remove(entry.alert_id)
                self.flags.clear()
                self.document_feed.reset()
            stored = {}
        for tp in tps:
            if tp.partition in stored:
                consumer.seek(tp, stored[tp.partition])
            else:
                await consumer.seek_to_beginning(tp)

    async def _catch_up(self, consumer: AIOKafkaConsumer, tps: list[TopicPartition]) -> None:
        """Far behind the feed (``catch_up_min`` records or more): read up to its end through
        librdkafka (``catch_up.py``), then seek this consumer to the positions reached."""
        assert self.catch_up_min is not None
        ends = await consumer.end_offsets(tps)  # read_committed: the last stable offsets
        starts = {tp: await consumer.position(tp) for tp in tps}
        behind = sum(max(0, ends[tp] - starts[tp]) for tp in tps)
        if behind < self.catch_up_min:
            return
        log.info("post_catch_up", topic=self.topic, behind=behind)
        consumer.pause(*tps)

        async def apply(batch: dict[TopicPartition, Sequence[Any]]) -> None:
            self.last_contact_ms = int(self._clock() * 1000)  # a fetch answered: in contact
            await self.apply_async(batch)

        try:
            reached = await catch_up(
                self.settings,
                self.topic,
                {tp.partition: starts[tp] for tp in tps},
                apply,
                self._stopping,
            )
        except (KafkaException, OSError) as error:  # aiokafka reads on from the store's offsets
            log.warning("post_catch_up_failed", topic=self.topic, error=str(error))
            stored = self.store.offsets(self.topic)
            reached = {tp.partition: stored.get(tp.partition, starts[tp]) for tp in tps}
        finally:
            consumer.resume(*tps)
        for tp in tps:
            consumer.seek(tp, reached[tp.partition])
        log.info("post_catch_up_done", topic=self.topic, fetched=self.fetched)

    def _note_contact(self, consumer: AIOKafkaConsumer, tps: list[TopicPartition]) -> None:
        """A fetch response from the broker (new data or not) counts as contact with the feed."""
        for tp in tps:
            polled = consumer.last_poll_timestamp(tp)
            if polled is not None and polled != self._polls.get(tp):
                self._polls[tp] = polled
                self.last_contact_ms = int(self._clock() * 1000)

    async def _at_end(self, consumer: AIOKafkaConsumer, tps: list[TopicPartition]) -> bool:
        """True once every partition's position reached its last stable offset."""
        for tp in tps:
            stable = consumer.last_stable_offset(tp)
            if stable is None or await consumer.position(tp) < stable:
                return False
        return True

    def apply(self, batch: dict[TopicPartition, Sequence[Any]]) -> None:
        """Fold a fetched batch per alert id, apply it to the watchlist, then store it."""
        staged = self._stage(batch)
        with self.gate.write_blocking():
            self._update_watchlist(staged)
        plan = self._store(staged)
        if plan.adds or plan.removes:  # documents change in memory once their rows committed
            with self.gate.write_blocking():
                self.document_feed.apply(plan)

    async def apply_async(self, batch: dict[TopicPartition, Sequence[Any]]) -> None:
        """``apply`` from the event loop: waits for running screenings without blocking it."""
        staged = self._stage(batch)
        async with self.gate.write():
            self._update_watchlist(staged)
        plan = self._store(staged)
        if plan.adds or plan.removes:
            async with self.gate.write():
                self.document_feed.apply(plan)

    def _stage(self, batch: dict[TopicPartition, Sequence[Any]]) -> _Staged:
        now_ms = int(self._clock() * 1000)
        changes: dict[str, Change] = {}
        entries: dict[str, Entry | None] = {}
        offsets: dict[tuple[str, int], int] = {}
        counts: dict[str, int] = {}
        staged = _Staged(now_ms, changes, entries, offsets, counts, {}, {}, [], [], {})
        for tp, fetched in batch.items():
            if fetched:
                offsets[(tp.topic, tp.partition)] = fetched[-1].offset + 1
            self.fetched += len(fetched)
            for run, documents in self._runs(fetched):
                if documents is not None:
                    self._fold_headed(run, documents, staged)
                else:
                    self._stage_run(run, staged)
        return staged

    def _runs(
        self, fetched: Sequence[Any]
    ) -> Iterator[tuple[Sequence[Any], list[DocumentRecord] | None]]:
        """A partition's records in order, as runs of travel documents read from their
        ``fl-doc`` header and runs of other records (``feed_documents.headed_runs``).

        Only while bootstrapping without signature checks: the header is not signed
        (docs/signing.md), so with a trust file every payload is verified and decoded.
        """
        if self.verifier is not None or self.caught_up.is_set():
            return iter([(fetched, None)])
        return headed_runs(fetched)

    def _fold_headed(
        self, records: Sequence[Any], documents: list[DocumentRecord], staged: _Staged
    ) -> None:
        """Stage a run of travel documents read from their headers (as ``_fold_document``)."""
        entries, changes, staged_docs = staged.entries, staged.changes, staged.documents
        red = 0
        for doc in documents:
            alert_id = doc.alert_id
            entries.pop(alert_id, None)
            if doc.tlp == "RED":  # never delivered by a node: a post never holds one anyway
                staged_docs[alert_id] = None
                changes[alert_id] = Change(alert_id, doc.version)
                red += 1
                continue
            staged_docs[alert_id] = doc
            changes.pop(alert_id, None)
        counts = staged.counts
        counts["document"] = counts.get("document", 0) + len(records) - red
        if red:
            counts["red_dropped"] = counts.get("red_dropped", 0) + red

    def _stage_run(self, fetched: Sequence[Any], staged: _Staged) -> None:
        """Stage records through the full path: routing headers, messages, signatures."""
        entries, counts = staged.entries, staged.counts
        every = [RouteHeaders.from_kafka(r.headers) for r in fetched]
        records, routes = self._messages(fetched, every, staged)
        verdicts = self._verify(records, routes)
        for i, record in enumerate(records):
            verdict = verdicts[i] if verdicts is not None else None
            if verdict is not None and verdict.reason is not None:
                outcome = self._refuse(record, verdict)
            else:
                outcome = self._fold(record, routes[i], staged)
                if outcome == "upsert":
                    alert_id = record.key.decode("utf-8", "replace")
                    entry = entries[alert_id]
                    assert entry is not None  # an upsert stages its entry
                    staged.flags[alert_id] = flag_of(routes[i], entry.action)
            counts[outcome] = counts.get(outcome, 0) + 1

    def _messages(
        self, records: Sequence[Any], routes: list[RouteHeaders], staged: _Staged
    ) -> tuple[Sequence[Any], list[RouteHeaders]]:
        """Take the message records (``fl-msg`` header) out of a partition's batch: stage
        their writes, count them; returns the alert records and their routes."""
        if not any(r.extra and MESSAGE_HEADER in r.extra for r in routes):
            return records, routes  # the common case: alerts only
        alerts: list[Any] = []
        alert_routes: list[RouteHeaders] = []
        for record, route in zip(records, routes, strict=True):
            kind = route.extra.get(MESSAGE_HEADER) if route.extra else None
            if kind is None:
                alerts.append(record)
                alert_routes.append(route)
                continue
            try:
                outcome, statement = feed_message(kind, record.value, staged.now_ms)
                staged.statements.append(statement)
            except QuarantineError as error:  # counted and skipped: never stops the feed
                outcome = error.quarantine_reason
                log.warning(
                    "post_message_skipped", topic=self.topic, offset=record.offset,
                    kind=kind[:40], reason=outcome,
                )  # fmt: skip
            staged.counts[outcome] = staged.counts.get(outcome, 0) + 1
        return alerts, alert_routes

    def _verify(
        self, records: Sequence[Any], routes: Sequence[RouteHeaders]
    ) -> list[Verdict | None] | None:
        """Each record's signature verdict; None for a tombstone (the hub derives those
        unsigned, docs/signing.md "Limits"), and None for all when checks are off."""
        if self.verifier is None:
            return None
        return self.verifier.verify_records(records, [r.org for r in routes])

    def _refuse(self, record: Any, verdict: Verdict) -> str:
        """Count and log (alert id and offset only) a record whose signature is refused.

        It never reaches the watchlist or the store; what the post held for that alert id
        stays as it was (an altered version must not withdraw the genuine one either).
        """
        reason = verdict.reason.value if verdict.reason is not None else "bad_signature"
        alert_id = record.key.decode("utf-8", "replace") if record.key is not None else None
        log.warning(
            "post_signature_refused", topic=self.topic, alert_id=alert_id,
            offset=record.offset, reason=reason, key_id=verdict.key_id,
        )  # fmt: skip
        self.metrics.signature_refused.labels(self.metrics.post, reason).inc()
        return "signature_refused"

    def close(self) -> None:
        """Stop the verification threads."""
        if self.verifier is not None:
            self.verifier.close()

    def _update_watchlist(self, staged: _Staged) -> None:
        counts = staged.counts
        for alert_id, entry in staged.entries.items():
            if entry is None:
                held = self.watchlist.get(alert_id)
                if held is not None:
                    staged.removed[alert_id] = held.version
                self.watchlist.remove(alert_id)
                if self.flags.pop(alert_id, None) is not None:
                    staged.unflagged.append(alert_id)
            elif not self.watchlist.upsert(entry):
                staged.changes.pop(alert_id, None)  # older than the post holds: keep the newer
                staged.flags.pop(alert_id, None)
                counts["stale"] = counts.get("stale", 0) + 1
        for alert_id, flag in staged.flags.items():
            if flag is not None:
                self.flags[alert_id] = flag
            elif self.flags.pop(alert_id, None) is not None:
                staged.unflagged.append(alert_id)

    def _store(self, staged: _Staged) -> DocumentPlan:
        contact = str(self.last_contact_ms or staged.now_ms)
        plan = self.document_feed.plan(staged.documents)
        staged.removed.update(plan.removed)
        if plan.stale:
            staged.counts["stale"] = staged.counts.get("stale", 0) + plan.stale
        statements = list(staged.statements) + plan.statements()
        puts = [(a, f.country, f.action, f.reason) for a, f in staged.flags.items() if f]
        if puts:
            statements.append((_FLAG_PUT, puts))
        if staged.unflagged:
            statements.append((_FLAG_DROP, [(a,) for a in staged.unflagged]))
        if self.receipts is not None:
            # The watchlist's changes and the documents' upserts never share an alert id.
            changed = staged.changes | plan.changes
            receipts = self.receipts.statement(changed, staged.removed, staged.now_ms)
            if receipts is not None:
                statements.append(receipts)
        self.store.apply(
            staged.changes.values(), staged.offsets, {_META_CONTACT: contact}, statements
        )
        for outcome, n in staged.counts.items():
            self.metrics.records.labels(self.metrics.post, outcome).inc(n)
        return plan

    def _fold(self, record: Any, route: RouteHeaders, staged: _Staged) -> str:
        """Stage one record; returns its outcome for the records counter."""
        now_ms, changes, entries = staged.now_ms, staged.changes, staged.entries
        if record.key is None:
            log.warning("post_record_without_key", topic=self.topic, offset=record.offset)
            return "rejected"
        alert_id = record.key.decode("utf-8", "replace")
        if record.value is None:
            changes[alert_id] = Change(alert_id, route.version)
            entries[alert_id] = None
            staged.documents[alert_id] = None  # a tombstone does not say its kind
            return "tombstone"
        if route.kind == "TRAVEL_DOCUMENT":
            return self._fold_document(record, route, alert_id, now_ms, staged)
        try:
            entry = entry_of(record.value, route)
        except DecodeError as error:
            # The post cannot write to quarantine (it reads only its own feed): count and log.
            log.warning(
                "post_record_rejected",
                alert_id=alert_id,
                offset=record.offset,
                reason=error.quarantine_reason,
            )
            return "rejected"
        if entry is None:
            changes[alert_id] = Change(alert_id)
            entries[alert_id] = None
            return "red_dropped"
        changes[alert_id] = Change(
            alert_id, entry.version, record.value, entry.org, entry.linked,
            entry_to_snapshot(entry),
        )  # fmt: skip
        held = self.watchlist.get(alert_id)
        if held is None or held.version != entry.version:
            # A version held already (a flag put on or lifted re-delivers it) is no delivery:
            # its timestamps are the first delivery's, minutes old.
            self.metrics.delivered(route, now_ms)
        entries[alert_id] = entry
        return "upsert"

    def _fold_document(
        self, record: Any, route: RouteHeaders, alert_id: str, now_ms: int, staged: _Staged
    ) -> str:
        """Stage a travel-document record for the document index (not the watchlist)."""
        try:
            doc = decode_document(record.value, org=route.org)
        except DecodeError as error:
            log.warning(
                "post_record_rejected", alert_id=alert_id, offset=record.offset,
                reason=error.quarantine_reason,
            )  # fmt: skip
            return "rejected"
        staged.entries.pop(alert_id, None)
        if doc is None or route.tlp == "RED" or doc.tlp == "RED":  # a CANCEL, or never held
            staged.documents[alert_id] = None
            staged.changes[alert_id] = Change(alert_id, route.version)
            return "red_dropped" if doc is not None else "tombstone"
        staged.documents[alert_id] = doc
        staged.changes.pop(alert_id, None)
        if self.caught_up.is_set():  # a bootstrap's millions of old records time nothing
            self.metrics.delivered(route, now_ms)
        return "document"
