"""A reusable consume-transform-produce engine with Kafka transactions (exactly-once).

The hub and the national node both run on it. A consumer group reads the input topics; for
every assigned input partition the engine owns one transactional producer whose id is
``f"{app_id}-{topic}-{partition}"``. aiokafka speaks the transaction APIs at version 0 only,
so there is no consumer-group fencing (KIP-447): a transactional id bound to the input
partition is what fences a zombie, because whoever owns the partition next initialises the
same id, which aborts the zombie's open transaction and bumps the epoch (as Faust does).

Per commit interval (``Settings.commit_interval_ms``) the engine fetches with ``getmany``,
hands each partition's records to :meth:`Processor.process`, appends the returned
:class:`Output` records to per-destination batches, then, per input partition and
concurrently, sends the batches, waits until the broker acknowledged every one of them,
then adds the input offsets with ``send_offsets_to_transaction`` and commits. aiokafka does
neither wait nor fail the transaction when a batch fails (its commit goes out while batches
are in flight), so the engine awaits each send itself: one failed send aborts the whole
transaction (outputs, state changelog, audit and input offsets alike), tells the processor to
drop the state it staged (:meth:`Processor.aborted`) and re-seeks the partition to its
committed offset. After a failed send the partition's producer is closed and a new one
initialised (a new epoch, sequence numbers from zero): an idempotent producer whose sequence
has a gap (a broker restarted, a batch lost) would otherwise fail every later batch with
``OutOfOrderSequenceNumber``. A send the broker can never accept (a record over the topic's
``max.message.bytes``, a missing write permission) stops the engine with
:class:`TopicRefusedError` naming the topic and the fix; nothing of it is committed.

``Mode.AT_LEAST_ONCE`` runs the same loop without transactions (one idempotent producer,
offsets committed after delivery); it exists for comparison and for relaxed deployments.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple, Protocol

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
from aiokafka.errors import KafkaError, ProducerFenced

from gateway.errors import FrontlineError
from gateway.kafka.clients import make_consumer, make_producer
from gateway.kafka.eos_errors import REFUSED as _REFUSED
from gateway.kafka.eos_errors import PartitionFailingError, TopicRefusedError
from gateway.kafka.eos_errors import refused as _refused
from gateway.kafka.partitioning import partition_for
from gateway.settings import Settings

__all__ = [
    "EosEngine",
    "Fanout",
    "Mode",
    "Output",
    "PartitionFailingError",
    "Processor",
    "TopicRefusedError",
    "partition_for",
]

log = structlog.get_logger(__name__)

# How long the input may pause before an open transaction is committed early.
IDLE_COMMIT_S = 0.005
# How long a new producer may wait for its output topics' metadata before its first send.
WARM_UP_S = 10.0
# How long an abort, a producer's close or a new producer's start may take before retrying.
ABORT_TIMEOUT_S = 15.0
START_TIMEOUT_S = 30.0
# How long the engine keeps re-creating a partition's producer before it gives up.
RENEW_DEADLINE_S = 120.0

Headers = list[tuple[str, bytes]]


class Mode(StrEnum):
    """Delivery guarantee: transactions per input partition, or plain idempotent sends."""

    EXACTLY_ONCE = "exactly-once"
    AT_LEAST_ONCE = "at-least-once"


class Output(NamedTuple):
    """One record to produce; ``value=None`` is a tombstone, ``partition=None`` hashes the key.

    A NamedTuple, not a dataclass: the hub builds a dozen per alert, so creation cost counts.
    """

    topic: str
    key: bytes | None
    value: bytes | None
    headers: Headers = []  # noqa: RUF012  # why: never mutated; a shared empty list is safe
    partition: int | None = None


class Fanout(NamedTuple):
    """One record (same key, value and headers) to each of ``topics``, key-hashed partitions.

    What a hub delivery is: one alert to a dozen national topics. Cheaper than a dozen
    :class:`Output` records, and the key's partition is computed once per partition count.
    """

    topics: Sequence[str]
    key: bytes | None
    value: bytes | None
    headers: Headers = []  # noqa: RUF012  # why: never mutated; a shared empty list is safe


class Processor(Protocol):
    """What an application plugs into the engine; every call runs on the event loop, one at a time.

    State changes made in ``process``/``tick`` must be staged per input partition and made
    visible only in ``committed``; ``aborted`` throws them away (the records are re-read).
    """

    async def on_assigned(self, partitions: frozenset[TopicPartition]) -> None:
        """New input partitions are ours (producers already fenced zombies): restore state."""

    def on_revoked(self, partitions: frozenset[TopicPartition]) -> None:
        """These input partitions are no longer ours (their last transaction has ended)."""

    def process(self, tp: TopicPartition, records: Sequence[Any]) -> Sequence[Output | Fanout]:
        """Transform a batch of one partition's ConsumerRecords into output records."""

    def tick(self, tp: TopicPartition, now_ms: int) -> Sequence[Output | Fanout]:
        """Timer work owned by this partition (e.g. expiry), run inside its transaction."""

    def committed(self, tp: TopicPartition) -> None:
        """The partition's transaction committed: apply its staged state."""

    def aborted(self, tp: TopicPartition) -> None:
        """The partition's transaction aborted: drop its staged state."""


_MAX_FAILURES = 5  # consecutive aborts of one partition before the engine gives up


@dataclass(slots=True)
class _Worker:
    """The open transaction (or at-least-once batch) of one input partition."""

    tp: TopicPartition
    producer: AIOKafkaProducer
    transactional: bool
    open: bool = False
    next_offset: int | None = None
    builders: dict[tuple[str, int], Any] = field(default_factory=dict)
    sent: list[tuple[str, asyncio.Future[Any]]] = field(default_factory=list)
    records: int = 0
    failed: bool = False
    failures: int = 0


class _Listener(ConsumerRebalanceListener):  # type: ignore[misc]  # why: aiokafka ships no types
    """Forwards rebalance events to the engine; aiokafka awaits these coroutines."""

    def __init__(self, engine: EosEngine) -> None:
        self._engine = engine

    async def on_partitions_revoked(self, revoked: Iterable[TopicPartition]) -> None:
        await self._engine._revoke(frozenset(revoked))

    async def on_partitions_assigned(self, assigned: Iterable[TopicPartition]) -> None:
        await self._engine._assign(frozenset(assigned))


class EosEngine:
    """Runs a :class:`Processor` over input topics with exactly-once (or at-least-once) output.

    ``app_id`` is the consumer group and the transactional id prefix. ``run()`` returns after
    ``stop()`` (or a fatal error), having committed or aborted every open transaction.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        app_id: str,
        topics: Sequence[str],
        processor: Processor,
        mode: Mode = Mode.EXACTLY_ONCE,
        commit_interval_ms: int | None = None,
        tick_interval_ms: int = 1000,
        max_records: int = 5000,
        on_transaction: Callable[[str, int], None] | None = None,
        consumer_overrides: dict[str, Any] | None = None,
        producer_overrides: dict[str, Any] | None = None,
        output_topics: Sequence[str] = (),
    ) -> None:
        self.settings = settings
        self.app_id = app_id
        self.topics = tuple(topics)
        self.processor = processor
        self.mode = mode
        self.commit_interval = (commit_interval_ms or settings.commit_interval_ms) / 1000
        self.tick_interval = tick_interval_ms / 1000
        self.max_records = max_records
        self._on_transaction = on_transaction
        self._consumer_overrides = consumer_overrides or {}
        self._producer_overrides = producer_overrides or {}
        self.output_topics = tuple(output_topics)
        self._workers: dict[TopicPartition, _Worker] = {}
        self._shared: AIOKafkaProducer | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._lock = asyncio.Lock()
        self._stopping = asyncio.Event()
        self._partitions: dict[str, int] = {}
        self._next_tick = 0.0
        self._fatal: FrontlineError | None = None
        self.ready = asyncio.Event()

    # -- public ---------------------------------------------------------------------------

    def stop(self) -> None:
        """Ask ``run()`` to finish the current interval, commit, close and return."""
        self._stopping.set()

    @property
    def assignment(self) -> frozenset[TopicPartition]:
        """The input partitions this instance currently owns."""
        return frozenset(self._workers)

    def lag(self) -> dict[str, int]:
        """Records not yet processed, per input topic (high watermark minus next offset)."""
        result: dict[str, int] = {}
        consumer = self._consumer
        if consumer is None:
            return result
        for tp, worker in list(self._workers.items()):
            high = consumer.highwater(tp)
            if high is None or worker.next_offset is None:
                continue
            result[tp.topic] = result.get(tp.topic, 0) + max(0, high - worker.next_offset)
        return result

    async def run(self) -> None:
        """Consume, transform and produce until ``stop()``."""
        consumer = make_consumer(
            self.settings,
            group_id=self.app_id,
            partition_assignment_strategy=_round_robin(),
            max_poll_records=self.max_records,
            **self._consumer_overrides,
        )
        self._consumer = consumer
        if self.mode is Mode.AT_LEAST_ONCE:
            self._shared = make_producer(self.settings, **self._producer_overrides)
            await self._shared.start()
            await self._warm_up(self._shared)
        consumer.subscribe(list(self.topics), listener=_Listener(self))
        try:
            await consumer.start()
        except BaseException:  # an unreachable broker: close what was opened, then report
            await consumer.stop()
            if self._shared is not None:
                await self._shared.stop()
            raise
        clean = False
        try:
            while not self._stopping.is_set():
                await self._cycle(consumer)
            clean = True
        finally:
            async with self._lock:
                if clean:  # a stop finishes the open transactions; a crash aborts them
                    try:
                        await self._commit_all(consumer)
                    except KafkaError:
                        pass
                    except FrontlineError as error:
                        self._fatal = self._fatal or error
                await self._close_workers(list(self._workers))
            await consumer.stop()
            if self._shared is not None:
                await self._shared.stop()
            self._consumer = None
        if self._fatal is not None:
            raise self._fatal

    # -- the loop --------------------------------------------------------------------------

    async def _cycle(self, consumer: AIOKafkaConsumer) -> None:
        """One commit interval: fetch and transform until it ends, then commit every partition."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.commit_interval
        pending = False
        while not self._stopping.is_set():
            remaining = deadline - loop.time()
            if remaining <= 0:
                break
            # Once something waits to be committed, a pause in the input commits it at once:
            # a trickle is delivered in milliseconds, a stream in one transaction per interval.
            wait = min(remaining, IDLE_COMMIT_S) if pending else remaining
            batch = await consumer.getmany(
                timeout_ms=max(1, int(wait * 1000)), max_records=self.max_records
            )
            if not batch:
                if pending:
                    break
                continue
            pending = True
            async with self._lock:
                for tp, records in batch.items():
                    worker = self._workers.get(tp)
                    if worker is None or not records or worker.failed:
                        continue  # revoked meanwhile (the next owner re-reads) or to be rewound
                    try:
                        await self._feed(worker, self.processor.process(tp, records))
                    except Exception:  # why: any failure aborts and rewinds this partition only
                        log.exception("eos_process_failed", topic=tp.topic, partition=tp.partition)
                        worker.failed = True
                    worker.next_offset = records[-1].offset + 1
                    worker.records += len(records)
        async with self._lock:
            if loop.time() >= self._next_tick:
                self._next_tick = loop.time() + self.tick_interval
                now_ms = int(time.time() * 1000)
                for tp, worker in list(self._workers.items()):
                    if worker.failed:
                        continue
                    try:
                        outputs = self.processor.tick(tp, now_ms)
                        if outputs:
                            await self._feed(worker, outputs)
                    except Exception:  # why: any failure aborts and rewinds this partition only
                        log.exception("eos_tick_failed", topic=tp.topic, partition=tp.partition)
                        worker.failed = True
            await self._commit_all(consumer)

    async def _feed(self, worker: _Worker, outputs: Sequence[Output | Fanout]) -> None:
        """Open the partition's transaction if needed and append outputs to its batches."""
        if not worker.open:
            if worker.transactional:
                await worker.producer.begin_transaction()
            worker.open = True
        builders = worker.builders
        counts = self._partitions
        # Consecutive records mostly share a key (one alert's deliveries, state and audit):
        # its partition for the last partition count seen is remembered here.
        last: tuple[bytes | None, int, int] = (None, 0, 0)
        for out in outputs:
            key, value, headers = out.key, out.value, out.headers
            if type(out) is Fanout:
                topics, fixed = out.topics, None
            else:
                topics, fixed = (out.topic,), out.partition  # type: ignore[union-attr]  # why: an Output here
            for topic in topics:
                partition = fixed
                if partition is None:
                    count = counts.get(topic)
                    if count is None:
                        count = await self._partition_count(worker.producer, topic)
                    if key is None:
                        partition = 0
                    elif key is last[0] and count == last[1]:
                        partition = last[2]
                    else:
                        partition = partition_for(key, count)
                        last = (key, count, partition)
                slot = (topic, partition)
                builder = builders.get(slot)
                if builder is not None and builder.append(
                    key=key, value=value, timestamp=None, headers=headers
                ):
                    continue
                await self._append_new(worker, slot, key, value, headers)

    async def _append_new(
        self,
        worker: _Worker,
        slot: tuple[str, int],
        key: bytes | None,
        value: bytes | None,
        headers: Headers,
    ) -> None:
        """Send the slot's full batch (if any), start a new one and append the record to it."""
        producer = worker.producer
        full = worker.builders.get(slot)
        if full is not None:
            sent = await producer.send_batch(full, slot[0], partition=slot[1])
            worker.sent.append((slot[0], sent))
        builder = worker.builders[slot] = producer.create_batch()
        if not builder.append(key=key, value=value, timestamp=None, headers=headers):
            raise KafkaError(f"one record for {slot[0]} exceeds max_batch_size")

    async def _warm_up(self, producer: AIOKafkaProducer) -> None:
        """Learn every known output topic's partitions in one metadata round, not one per topic.

        Each producer otherwise asks for metadata again at its first send to each topic (and
        the answer lists every topic asked so far). A topic that cannot be found is left for
        the first send to it to report, as without the warm-up.
        """
        if not self.output_topics:
            return
        asked = asyncio.gather(
            *(producer.partitions_for(t) for t in self.output_topics), return_exceptions=True
        )
        try:
            found = await asyncio.wait_for(asked, WARM_UP_S)
        except TimeoutError:
            return
        for topic, parts in zip(self.output_topics, found, strict=True):
            if isinstance(parts, (set, frozenset)) and parts:
                self._partitions.setdefault(topic, len(parts))

    async def _partition_count(self, producer: AIOKafkaProducer, topic: str) -> int:
        """Partitions of an output topic, asked once (waits for metadata; raises if missing)."""
        parts = await producer.partitions_for(topic)
        self._partitions[topic] = len(parts)
        return len(parts)

    async def _flush_builders(self, worker: _Worker) -> None:
        for (topic, partition), builder in worker.builders.items():
            sent = await worker.producer.send_batch(builder, topic, partition=partition)
            worker.sent.append((topic, sent))
        worker.builders.clear()

    async def _send_all(self, worker: _Worker) -> tuple[str, BaseException] | None:
        """Send the open batches and wait for every send; the first failure (topic, error).

        Every future is awaited even after a failure, so no batch of this transaction is still
        in flight when it is aborted.
        """
        failure: tuple[str, BaseException] | None = None
        try:
            await self._flush_builders(worker)
        except Exception as error:  # why: a send refused before it left; the rest settles first
            failure = ("", error)
        results = await asyncio.gather(*(f for _, f in worker.sent), return_exceptions=True)
        for (topic, _), result in zip(worker.sent, results, strict=True):
            if isinstance(result, BaseException) and failure is None:
                failure = (topic, result)
        return failure

    async def _commit_all(self, consumer: AIOKafkaConsumer) -> None:
        """Commit every open partition (concurrently); abort and rewind those that fail."""
        open_workers = [w for w in self._workers.values() if w.open or w.failed]
        if not open_workers:
            return
        if self.mode is Mode.EXACTLY_ONCE:
            results = await asyncio.gather(
                *(self._commit_txn(consumer, w) for w in open_workers), return_exceptions=True
            )
            # Every partition's commit or abort has ended; now the first error stops the loop.
            for result in results:
                if isinstance(result, BaseException):
                    raise result
            return
        await self._commit_at_least_once(consumer, open_workers)

    async def _commit_at_least_once(
        self, consumer: AIOKafkaConsumer, open_workers: list[_Worker]
    ) -> None:
        """Await every send, then commit the offsets of the partitions fully delivered."""
        offsets: dict[TopicPartition, int] = {}
        delivered: list[_Worker] = []
        refused: TopicRefusedError | None = None
        send_failed = False
        for worker in open_workers:
            if worker.failed:
                await self._abandon(consumer, worker, "processing failed")
                continue
            failure = await self._send_all(worker)
            if failure is not None:
                topic, error = failure
                if isinstance(error, _REFUSED):
                    refused = refused or _refused(topic, error)
                send_failed = True
                await self._abandon(consumer, worker, type(error).__name__)
                continue
            delivered.append(worker)
            if worker.next_offset is not None:
                offsets[worker.tp] = worker.next_offset
        if offsets:
            try:
                await consumer.commit(offsets)
            except KafkaError:
                # The outputs are out already; the records will be processed again.
                log.warning("eos_offset_commit_failed", partitions=len(offsets))
        for worker in delivered:
            worker.failures = 0
            self._reset(worker)
            self.processor.committed(worker.tp)
            self._report("committed", worker)
        if refused is not None:
            self._fatal = self._fatal or refused
            raise refused
        if send_failed:
            await self._renew_shared()

    async def _renew_shared(self) -> None:
        """At-least-once: replace the shared idempotent producer after a failed send."""
        old = self._shared
        if old is None:
            return
        with contextlib.suppress(KafkaError, TimeoutError):
            await asyncio.wait_for(old.stop(), ABORT_TIMEOUT_S)
        new = await self._start_producer(None)
        self._shared = new
        for worker in self._workers.values():
            worker.producer = new

    async def _commit_txn(self, consumer: AIOKafkaConsumer, worker: _Worker) -> None:
        """Send batches, await them all, add offsets, commit; on any failure abort, drop the
        staged state and rewind (a new producer after a failed send; stop if it never can)."""
        if worker.failed:
            await self._abandon(consumer, worker, "processing failed")
            return
        producer = worker.producer
        failure = await self._send_all(worker)
        if failure is None:
            try:
                if worker.next_offset is not None:
                    await producer.send_offsets_to_transaction(
                        {worker.tp: worker.next_offset}, self.app_id
                    )
                await producer.commit_transaction()
            except Exception as exc:  # why: whatever failed, abort and re-read
                failure = ("", exc)
        if failure is None:
            worker.failures = 0
            self._reset(worker)
            self.processor.committed(worker.tp)
            self._report("committed", worker)
            return
        topic, error = failure
        if isinstance(error, ProducerFenced):
            log.warning("eos_fenced", topic=worker.tp.topic, partition=worker.tp.partition)
            self._reset(worker)
            self.processor.aborted(worker.tp)
            self._report("aborted", worker)
            await self._close_workers([worker.tp], fenced=True)
            return
        refused = isinstance(error, _REFUSED)
        await self._abandon(consumer, worker, type(error).__name__, renew=not refused)
        if refused:
            fatal = _refused(topic, error)
            self._fatal = self._fatal or fatal
            raise fatal

    async def _abandon(
        self, consumer: AIOKafkaConsumer, worker: _Worker, error: str, *, renew: bool = False
    ) -> None:
        """Abort the partition's transaction, drop its staged state and re-read its records.

        ``renew`` (after a failed send or commit) replaces the partition's producer: a new
        one fences the old epoch, so whatever the abort could not finish is aborted too.
        """
        log.warning(
            "eos_transaction_failed",
            topic=worker.tp.topic,
            partition=worker.tp.partition,
            error=error,
        )
        if worker.open and worker.transactional:
            with contextlib.suppress(KafkaError, TimeoutError):
                await asyncio.wait_for(worker.producer.abort_transaction(), ABORT_TIMEOUT_S)
        self._reset(worker)
        self.processor.aborted(worker.tp)
        self._report("aborted", worker)
        worker.failures += 1
        if renew and worker.transactional:
            await self._renew(worker)
        await self._rewind(consumer, worker)
        if worker.failures > _MAX_FAILURES:
            raise PartitionFailingError(
                f"{worker.tp.topic}[{worker.tp.partition}] failed {worker.failures} times: {error}",
                hint="Read the log lines before this one; fix the broker or the failing code.",
            )

    async def _renew(self, worker: _Worker) -> None:
        """Close the partition's producer and start a new one with the same transactional id.

        The new producer's ``init_transactions`` bumps the epoch: the old producer is fenced,
        its open transaction aborted, and sequence numbers start again at zero.
        """
        with contextlib.suppress(KafkaError, TimeoutError):
            await asyncio.wait_for(worker.producer.stop(), ABORT_TIMEOUT_S)
        await asyncio.sleep(min(5.0, 0.2 * 2 ** (worker.failures - 1)))
        worker.producer = await self._start_producer(worker.tp)
        log.info("eos_producer_renewed", topic=worker.tp.topic, partition=worker.tp.partition)

    async def _start_producer(self, tp: TopicPartition | None) -> AIOKafkaProducer:
        """A started producer (transactional for ``tp``), retried until RENEW_DEADLINE_S."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + RENEW_DEADLINE_S
        delay = 0.5
        while True:
            producer = make_producer(
                self.settings,
                transactional_id=None if tp is None else f"{self.app_id}-{tp.topic}-{tp.partition}",
                **self._producer_overrides,
            )
            try:
                await asyncio.wait_for(producer.start(), START_TIMEOUT_S)
            except (KafkaError, TimeoutError) as error:
                with contextlib.suppress(KafkaError, TimeoutError):
                    await asyncio.wait_for(producer.stop(), ABORT_TIMEOUT_S)
                if loop.time() + delay > deadline:
                    where = "the shared producer" if tp is None else f"{tp.topic}[{tp.partition}]"
                    raise PartitionFailingError(
                        f"Could not start a producer for {where}: {type(error).__name__}",
                        hint="Check that the brokers run and answer, then start again.",
                    ) from error
                log.warning("eos_producer_start_failed", error=type(error).__name__)
                await asyncio.sleep(delay)
                delay = min(5.0, delay * 2)
                continue
            await self._warm_up(producer)
            return producer

    def _reset(self, worker: _Worker) -> None:
        worker.open = False
        worker.failed = False
        worker.builders.clear()
        worker.sent.clear()

    def _report(self, result: str, worker: _Worker) -> None:
        if self._on_transaction is not None:
            self._on_transaction(result, worker.records)
        worker.records = 0

    async def _rewind(self, consumer: AIOKafkaConsumer, worker: _Worker) -> None:
        """Seek back to the committed offset so the aborted records are processed again."""
        try:
            committed = await consumer.committed(worker.tp)
        except KafkaError:
            committed = None
        if worker.tp not in consumer.assignment():
            return
        if committed is None:
            await consumer.seek_to_beginning(worker.tp)
        else:
            consumer.seek(worker.tp, committed)
        worker.next_offset = committed

    # -- rebalancing -----------------------------------------------------------------------

    async def _assign(self, assigned: frozenset[TopicPartition]) -> None:
        """Create (and fence with) one producer per new partition, then let the app restore."""
        async with self._lock:
            new = [tp for tp in assigned if tp not in self._workers]
            try:
                workers = await asyncio.gather(*(self._start_worker(tp) for tp in new))
            except KafkaError:
                log.exception("eos_assign_failed")
                self.stop()
                return
            for worker in workers:
                self._workers[worker.tp] = worker
            try:
                await self.processor.on_assigned(frozenset(new))
            except Exception:
                log.exception("eos_restore_failed")
                self.stop()
                return
            log.info("eos_assigned", partitions=len(new), owned=len(self._workers))
            self.ready.set()

    async def _start_worker(self, tp: TopicPartition) -> _Worker:
        if self.mode is Mode.AT_LEAST_ONCE:
            assert self._shared is not None
            return _Worker(tp, self._shared, transactional=False)
        producer = make_producer(
            self.settings,
            transactional_id=f"{self.app_id}-{tp.topic}-{tp.partition}",
            **self._producer_overrides,
        )
        await producer.start()  # init_transactions: fences a zombie, aborts its open txn
        await self._warm_up(producer)
        return _Worker(tp, producer, transactional=True)

    def _fail(self, error: FrontlineError) -> None:
        """Remember a fatal error raised in a rebalance callback and stop the loop."""
        self._fatal = self._fatal or error
        self.stop()

    async def _revoke(self, revoked: frozenset[TopicPartition]) -> None:
        """Finish the revoked partitions' transactions and close their producers."""
        async with self._lock:
            mine = [tp for tp in revoked if tp in self._workers]
            if not mine:
                return
            consumer = self._consumer
            for tp in mine:
                worker = self._workers[tp]
                if (worker.open or worker.failed) and consumer is not None:
                    try:
                        if worker.transactional:
                            await self._commit_txn(consumer, worker)
                        else:
                            await self._commit_all(consumer)
                    except FrontlineError as error:  # aiokafka would only log it
                        self._fail(error)
            await self._close_workers(mine)
            self.processor.on_revoked(frozenset(mine))

    async def _close_workers(self, tps: Sequence[TopicPartition], *, fenced: bool = False) -> None:
        for tp in tps:
            worker = self._workers.pop(tp, None)
            if worker is None:
                continue
            if worker.open and worker.transactional and not fenced:
                with contextlib.suppress(KafkaError):
                    await worker.producer.abort_transaction()
                self.processor.aborted(tp)
            if worker.transactional:
                with contextlib.suppress(KafkaError):
                    await worker.producer.stop()


def _round_robin() -> tuple[Any, ...]:
    """The RoundRobin assignor (the Sticky one can get a group stuck: aiokafka issue #1176)."""
    return (RoundRobinPartitionAssignor,)
