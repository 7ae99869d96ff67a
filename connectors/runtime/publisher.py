"""Publishes a connector's outcomes: alerts to ``<prefix>ingress.<org>``, refusals to quarantine.

One idempotent producer (acks=all) per run. Sends are batched: each record's ``send()`` is
queued and the delivery futures are awaited together, so the producer fills whole batches.
A run returns counts per kind that always balance: records in = published + quarantined.

At start the publisher reads both topics' ``max.message.bytes``; a record over its topic's
limit is quarantined bounded (reason ``too_large``, see :mod:`connectors.runtime.workers`) and the
rest of the payload flows.

With a signing key (``FRONTLINE_SIGNING_KEY``, ``settings.signing_key``), every published alert
carries its organization's signature headers (``fl-sig-key``, ``fl-sig``, ``fl-sig-ts``)
over the exact value bytes; quarantine records are not signed. The producer comes from
:func:`gateway.kafka.clients.make_producer`, so the SASL_SSL settings apply.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from collections.abc import AsyncIterator, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from datetime import datetime
from types import TracebackType
from typing import Any, Literal, Protocol, Self

import structlog
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaError

from connectors.base import (
    Connector,
    Outcome,
    RawRecord,
    Refused,
    process_record,
    split_records,
)
from connectors.runtime.metrics import ConnectorMetrics
from connectors.runtime.results import KindStats, RecordResult, RunReport, RunStats
from connectors.runtime.workers import (
    DEFAULT_LIMITS,
    Limits,
    Ready,
    init_worker,
    run_chunk,
    to_ready,
)
from gateway.contract.trust import Signer
from gateway.errors import FrontlineError, SetupError
from gateway.kafka.clients import make_admin, make_producer
from gateway.kafka.headers import H
from gateway.kafka.topic_names import TopicNames
from gateway.settings import Settings

__all__ = [
    "KindStats",
    "ProducerLike",
    "PublishError",
    "Publisher",
    "RecordResult",
    "RunReport",
    "RunStats",
]

log = structlog.get_logger(__name__)

_TOPIC_CHECKS = 40  # about ten seconds for a just-created topic to show up
_CHUNK = 500  # records per task handed to a worker process


class PublishError(FrontlineError):
    """The broker did not acknowledge a write; the run's records are not all delivered."""

    retriable = True


class ProducerLike(Protocol):
    """What the publisher needs of a producer (aiokafka's, or a fake in unit tests)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def send(
        self,
        topic: str,
        value: bytes | None = None,
        key: bytes | None = None,
        *,
        headers: list[tuple[str, bytes]] | None = None,
    ) -> asyncio.Future[Any]: ...


class Publisher:
    """Runs payloads through a connector's pipeline and writes every outcome to Kafka."""

    def __init__(
        self,
        settings: Settings,
        connector: Connector,
        *,
        metrics: ConnectorMetrics | None = None,
        producer: ProducerLike | None = None,
        batch_size: int = 2000,
        check_topics: bool = True,
        workers: int = 1,
    ) -> None:
        self.settings = settings
        # Loaded here, so a bad key (mode, format) stops the connector before it starts.
        self.signer = (
            None
            if settings.signing_key is None
            else Signer.from_file(settings.signing_key, connector.org)
        )
        self.connector = connector
        self.metrics = metrics if metrics is not None else ConnectorMetrics()
        topics = TopicNames(settings.topic_prefix)
        self.ingress_topic = topics.ingress(connector.org)
        self.quarantine_topic = topics.quarantine
        self._producer = producer
        self._own_producer = producer is None
        self._batch_size = batch_size
        self._check_topics = check_topics and producer is None
        self._lock = asyncio.Lock()
        self.workers = max(1, workers)
        self._pool: ProcessPoolExecutor | None = None
        self.limits = DEFAULT_LIMITS

    async def start(self) -> None:
        """Check the topics exist, then start the idempotent producer."""
        if self._check_topics:
            await self._ensure_topics()
        if self._producer is None:
            self._producer = make_producer(self.settings)
        try:
            await self._producer.start()
        except KafkaError as exc:
            raise SetupError(
                f"cannot reach the Kafka broker: {type(exc).__name__}",
                hint="check FRONTLINE_BOOTSTRAP_SERVERS or start one with `frontline broker up`",
            ) from exc
        if self.workers > 1 and self._pool is None:
            # spawn, not fork: the parent runs an event loop and client threads.
            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=init_worker,
                initargs=(self.connector.org, self.settings.signing_key),
            )

    async def stop(self) -> None:
        """Flush and stop the producer, and the worker processes if any."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._producer is not None:
            await self._producer.stop()
            if self._own_producer:
                self._producer = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _ensure_topics(self) -> None:
        wanted = {self.ingress_topic, self.quarantine_topic}
        admin = make_admin(self.settings)
        try:
            await admin.start()
            # A topic created a moment ago may take a few metadata rounds to be listed.
            for attempt in range(_TOPIC_CHECKS):
                missing = sorted(wanted - set(await admin.list_topics()))
                if not missing:
                    self.limits = await self._topic_limits(admin)
                    return
                if attempt < _TOPIC_CHECKS - 1:
                    await asyncio.sleep(0.25)
        except KafkaError as exc:
            raise SetupError(
                f"cannot reach the Kafka broker: {type(exc).__name__}",
                hint="check FRONTLINE_BOOTSTRAP_SERVERS or start one with `frontline broker up`",
            ) from exc
        finally:
            await admin.close()
        raise SetupError(
            f"missing topics: {', '.join(missing)}",
            hint="create them with `frontline topics apply` (the broker does not auto-create)",
        )

    async def _topic_limits(self, admin: AIOKafkaAdminClient) -> Limits:
        """Each topic's ``max.message.bytes``, capped by the producer's request limit."""
        found: dict[str, int] = {}
        responses = await admin.describe_configs(
            [
                ConfigResource(ConfigResourceType.TOPIC, name)
                for name in (self.ingress_topic, self.quarantine_topic)
            ]
        )
        for response in responses:
            for _code, _message, _type, name, entries in response.resources:
                for entry in entries:
                    if entry[0] == "max.message.bytes" and str(entry[1]).isdigit():
                        found[name] = int(entry[1])
        return Limits(
            ingress=min(DEFAULT_LIMITS.ingress, found.get(self.ingress_topic, 1 << 30)),
            quarantine=min(DEFAULT_LIMITS.quarantine, found.get(self.quarantine_topic, 1 << 30)),
        )

    async def publish(
        self,
        payload: bytes,
        source: str,
        *,
        now: datetime | None = None,
        keep_results: bool = False,
    ) -> RunReport:
        """Process one payload and wait until the broker acknowledged every write."""
        ingest = _now_ms()
        started = time.perf_counter()
        records = split_records(self.connector, payload, source)
        if isinstance(records, Refused):
            single = _single(records, started, self.limits)
            return await self._publish_ready(single, keep_results, ingest)
        if self._pool is None or len(records) <= _CHUNK:
            items = self._inline(records, now, started)
            return await self._publish_ready(items, keep_results, ingest)
        return await self._publish_ready(self._parallel(records, now), keep_results, ingest)

    async def publish_outcomes(
        self,
        outcomes: Iterable[Outcome],
        *,
        keep_results: bool = False,
        ingest_ms: int | None = None,
    ) -> RunReport:
        """Write outcomes computed elsewhere (the pipeline may run lazily inside the iterable).

        ``ingest_ms`` is when the payload reached the connector (default: now); it travels as
        ``fl-ts-ingest``, where end-to-end latency starts.
        """
        ingest = _now_ms() if ingest_ms is None else ingest_ms

        async def ready() -> AsyncIterator[Ready]:
            iterator = iter(outcomes)
            index = 0
            while True:
                started = time.perf_counter()
                outcome = next(iterator, None)
                if outcome is None:
                    return
                yield to_ready(outcome, index, started, self.limits, self.signer)
                index += 1

        return await self._publish_ready(ready(), keep_results, ingest)

    async def _inline(
        self, records: list[RawRecord], now: datetime | None, started: float
    ) -> AsyncIterator[Ready]:
        for index, record in enumerate(records):
            outcome = process_record(self.connector, record, now)
            yield to_ready(outcome, index, started, self.limits, self.signer)
            started = time.perf_counter()

    async def _parallel(
        self, records: list[RawRecord], now: datetime | None
    ) -> AsyncIterator[Ready]:
        loop = asyncio.get_running_loop()
        # What split pre-parsed stays here: workers map from the bytes, which pickle cheaply.
        tasks = [
            loop.run_in_executor(
                self._pool,
                run_chunk,
                [replace(r, parsed=None) for r in records[i : i + _CHUNK]],
                i,
                now,
                self.limits,
            )
            for i in range(0, len(records), _CHUNK)
        ]
        try:
            for task in tasks:
                for item in await task:
                    yield item
        finally:
            for task in tasks:
                task.cancel()

    async def _publish_ready(
        self, items: AsyncIterator[Ready], keep_results: bool, ingest_ms: int
    ) -> RunReport:
        if self._producer is None:
            raise SetupError("the publisher is not started", hint="use `async with Publisher(...)`")
        async with self._lock:  # one payload at a time keeps per-source order and counts exact
            report = RunReport(RunStats(payloads=1))
            pending: list[tuple[asyncio.Future[Any], Ready]] = []
            sent = 0
            async for item in items:
                pending.append((await self._send(item, ingest_ms), item))
                sent += 1
                if sent % 256 == 0:
                    await asyncio.sleep(0)  # let the producer's sender task ship full batches
                if len(pending) >= self._batch_size:
                    await self._settle(pending, report, keep_results)
                    pending = []
            await self._settle(pending, report, keep_results)
            return report

    async def _send(self, item: Ready, ingest_ms: int) -> asyncio.Future[Any]:
        assert self._producer is not None  # checked by _publish_ready
        try:
            if item.published:
                stamps = [
                    (H.TS_INGEST, str(ingest_ms).encode()),
                    (H.TS_CONNECTOR, str(_now_ms()).encode()),
                ]
                return await self._producer.send(
                    self.ingress_topic, item.value, key=item.key, headers=[*item.headers, *stamps]
                )
            return await self._producer.send(
                self.quarantine_topic, item.value, key=item.key, headers=item.headers
            )
        except KafkaError as exc:
            raise PublishError(
                f"the producer refused a write: {type(exc).__name__}",
                hint="check the broker and the topics, then run again (re-runs are idempotent)",
            ) from exc

    async def _settle(
        self, pending: list[tuple[asyncio.Future[Any], Ready]], report: RunReport, keep: bool
    ) -> None:
        if not pending:
            return
        try:
            for future, _ in pending:  # one batch acknowledges many futures at once
                if not future.done():
                    await future
                future.result()
        except KafkaError as exc:
            raise PublishError(
                f"the broker did not acknowledge a write: {type(exc).__name__}",
                hint="check the broker and the topics, then run again (re-runs are idempotent)",
            ) from exc
        done = time.perf_counter()
        org = self.connector.org
        counts: dict[tuple[str, Literal["published", "quarantined"]], int] = {}
        latency = self.metrics.parse_to_publish.labels(org=org)
        for _, item in pending:
            key = (item.kind, item.result.outcome)
            counts[key] = counts.get(key, 0) + 1
            latency.observe(done - item.started)
            if keep:
                report.results.append(item.result)
        for (kind, result), n in counts.items():
            report.stats.add(kind, result, n)
            self.metrics.count(org, kind, result, n)
        log.debug("connector.batch_delivered", org=org, records=len(pending))


async def _single(refused: Refused, started: float, limits: Limits) -> AsyncIterator[Ready]:
    yield to_ready(refused, 0, started, limits)  # a refusal is quarantined, never signed


def _now_ms() -> int:
    return int(time.time() * 1000)
