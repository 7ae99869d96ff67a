"""The exactly-once engine's loop: fetch, process, commit or abort per input partition.

See :mod:`gateway.kafka.eos` for the design; :class:`~gateway.kafka.eos.worker.Worker` holds
one partition's open transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
from aiokafka.errors import KafkaError, ProducerFenced

from gateway.errors import FrontlineError
from gateway.kafka import clock
from gateway.kafka.clients import make_consumer, make_producer
from gateway.kafka.eos.errors import REFUSED as _REFUSED
from gateway.kafka.eos.errors import PartitionFailingError, TopicRefusedError, unasked_cancel
from gateway.kafka.eos.errors import refused as _refused
from gateway.kafka.eos.producers import (
    ABORT_TIMEOUT_S,
    start_producer,
    stop_within,
    transactional_id,
)
from gateway.kafka.eos.records import Fanout, Mode, Output, Processor
from gateway.kafka.eos.worker import Worker, warm_up
from gateway.settings import Settings

__all__ = ["EosEngine"]

log = structlog.get_logger(__name__)

# How long the input may pause before an open transaction is committed early.
IDLE_COMMIT_S = 0.005
_MAX_FAILURES = 5  # consecutive aborts of one partition before the engine gives up


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
        self._workers: dict[TopicPartition, Worker] = {}
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
            max_poll_records=self.max_records,
            # ``consumer_overrides`` may bring its own assignor (the nodes assign whole countries)
            **({"partition_assignment_strategy": _round_robin()} | self._consumer_overrides),
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
        held: list[TopicPartition] = []  # batches the processor is not ready for: re-read next
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
                    await self._take(consumer, tp, records, held)
        async with self._lock:
            if loop.time() >= self._next_tick:
                self._next_tick = loop.time() + self.tick_interval
                now_ms = clock.now_ms()
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
            if held:
                consumer.resume(*(tp for tp in held if tp in consumer.assignment()))

    async def _take(
        self,
        consumer: AIOKafkaConsumer,
        tp: TopicPartition,
        records: Sequence[Any],
        held: list[TopicPartition],
    ) -> None:
        """Transform one partition's batch into its open transaction, or hold it back."""
        worker = self._workers.get(tp)
        if worker is None or not records or worker.failed:
            return  # revoked meanwhile (the next owner re-reads) or to be rewound
        try:
            if not await self.processor.prepare(tp, records):
                # Read again after this interval's commit; the part of the partition
                # already processed commits as usual.
                consumer.seek(tp, records[0].offset)
                consumer.pause(tp)
                held.append(tp)
                return
            await self._feed(worker, self.processor.process(tp, records))
        except Exception:  # why: any failure aborts and rewinds this partition only
            log.exception("eos_process_failed", topic=tp.topic, partition=tp.partition)
            worker.failed = True
        worker.next_offset = records[-1].offset + 1
        worker.records += len(records)

    async def _feed(self, worker: Worker, outputs: Sequence[Output | Fanout]) -> None:
        """Append outputs to the partition's open transaction (opened if need be)."""
        await worker.feed(outputs, self._partitions)

    async def _warm_up(self, producer: AIOKafkaProducer) -> None:
        await warm_up(producer, self.output_topics, self._partitions)

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
            for worker, result in zip(open_workers, results, strict=True):
                if unasked_cancel(result):  # a cancelled future inside the client, mid-abort
                    log.warning(
                        "eos_commit_cancelled",
                        topic=worker.tp.topic,
                        partition=worker.tp.partition,
                    )
                    worker.failed = True  # aborted and re-read at the next commit
                    continue
                if isinstance(result, BaseException):
                    raise result
            return
        await self._commit_at_least_once(consumer, open_workers)

    async def _commit_at_least_once(
        self, consumer: AIOKafkaConsumer, open_workers: list[Worker]
    ) -> None:
        """Await every send, then commit the offsets of the partitions fully delivered."""
        offsets: dict[TopicPartition, int] = {}
        delivered: list[Worker] = []
        refused: TopicRefusedError | None = None
        send_failed = False
        for worker in open_workers:
            if worker.failed:
                await self._abandon(consumer, worker, "processing failed")
                continue
            failure = await worker.send_all()
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
            worker.reset()
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
        await stop_within(old)
        new = await self._start_producer(None)
        self._shared = new
        for worker in self._workers.values():
            worker.producer = new

    async def _commit_txn(self, consumer: AIOKafkaConsumer, worker: Worker) -> None:
        """Send batches, await them all, add offsets, commit; on any failure abort, drop the
        staged state and rewind (a new producer after a failed send; stop if it never can)."""
        if worker.failed:
            await self._abandon(consumer, worker, "processing failed")
            return
        producer = worker.producer
        failure = await worker.send_all()
        if failure is None:
            try:
                if worker.next_offset is not None:
                    await producer.send_offsets_to_transaction(
                        {worker.tp: worker.next_offset}, self.app_id
                    )
                await producer.commit_transaction()
            except Exception as exc:  # why: whatever failed, abort and re-read
                failure = ("", exc)
            except asyncio.CancelledError as exc:
                if not unasked_cancel(exc):
                    raise
                failure = ("", exc)
        if failure is None:
            worker.failures = 0
            worker.reset()
            self.processor.committed(worker.tp)
            self._report("committed", worker)
            return
        topic, error = failure
        if isinstance(error, ProducerFenced):
            log.warning("eos_fenced", topic=worker.tp.topic, partition=worker.tp.partition)
            worker.reset()
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
        self, consumer: AIOKafkaConsumer, worker: Worker, error: str, *, renew: bool = False
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
        worker.reset()
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

    async def _renew(self, worker: Worker) -> None:
        """Close the partition's producer and start a new one with the same transactional id.

        The new producer's ``init_transactions`` bumps the epoch: the old producer is fenced,
        its open transaction aborted, and sequence numbers start again at zero.
        """
        await stop_within(worker.producer)
        await asyncio.sleep(min(5.0, 0.2 * 2 ** (worker.failures - 1)))
        worker.producer = await self._start_producer(worker.tp)
        log.info("eos_producer_renewed", topic=worker.tp.topic, partition=worker.tp.partition)

    async def _start_producer(self, tp: TopicPartition | None) -> AIOKafkaProducer:
        """A started, warmed-up producer (transactional for ``tp``), retried for a while."""
        tid = None if tp is None else transactional_id(self.app_id, tp)
        producer = await start_producer(self.settings, tid, self._producer_overrides)
        await self._warm_up(producer)
        return producer

    def _report(self, result: str, worker: Worker) -> None:
        if self._on_transaction is not None:
            self._on_transaction(result, worker.records)
        worker.records = 0

    async def _rewind(self, consumer: AIOKafkaConsumer, worker: Worker) -> None:
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

    async def _start_worker(self, tp: TopicPartition) -> Worker:
        if self.mode is Mode.AT_LEAST_ONCE:
            assert self._shared is not None
            return Worker(tp, self._shared, transactional=False)
        producer = make_producer(
            self.settings, transactional_id=transactional_id(self.app_id, tp),
            **self._producer_overrides,
        )  # fmt: skip
        await producer.start()  # init_transactions: fences a zombie, aborts its open txn
        await self._warm_up(producer)
        return Worker(tp, producer, transactional=True)

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
