"""Publishes a connector's outcomes: alerts to ``<prefix>ingress.<org>``, refusals to quarantine.

One idempotent producer (acks=all) per run. Sends are batched: each record's ``send()`` is
queued and the delivery futures are awaited together, so the producer fills whole batches.
A run returns counts per kind that always balance: records in = published + quarantined.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, Literal, Protocol, Self

import structlog
from aiokafka.errors import KafkaError

from connectors.base import Accepted, Connector, Outcome, process
from connectors.metrics import ConnectorMetrics
from gateway.errors import FrontlineError, SetupError
from gateway.headers import H
from gateway.kafka import make_admin, make_producer
from gateway.quarantine import Reason
from gateway.settings import Settings
from gateway.topic_names import TopicNames

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


def _result(outcome: Outcome, index: int) -> RecordResult:
    if isinstance(outcome, Accepted):
        env = outcome.alert.envelope
        return RecordResult(
            index, outcome.record.source, "published", outcome.kind.value,
            alert_id=env.alert_id, version=env.version, msg_type=env.msg_type.value,
        )  # fmt: skip
    q = outcome.quarantine
    return RecordResult(
        index, q.source, "quarantined", outcome.kind, stage=q.stage, reasons=q.reasons
    )


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
    ) -> None:
        self.settings = settings
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
        self._org_bytes = connector.org.encode()

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

    async def stop(self) -> None:
        """Flush and stop the producer."""
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
        admin = make_admin(self.settings)
        try:
            await admin.start()
            existing = set(await admin.list_topics())
        except KafkaError as exc:
            raise SetupError(
                f"cannot reach the Kafka broker: {type(exc).__name__}",
                hint="check FRONTLINE_BOOTSTRAP_SERVERS or start one with `frontline broker up`",
            ) from exc
        finally:
            await admin.close()
        missing = sorted({self.ingress_topic, self.quarantine_topic} - existing)
        if missing:
            raise SetupError(
                f"missing topics: {', '.join(missing)}",
                hint="create them with `frontline topics apply` (the broker does not auto-create)",
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
        return await self.publish_outcomes(
            process(self.connector, payload, source, now=now), keep_results=keep_results
        )

    async def publish_outcomes(
        self, outcomes: Iterable[Outcome], *, keep_results: bool = False
    ) -> RunReport:
        """Write already-computed outcomes (the pipeline may run lazily inside the iterable)."""
        if self._producer is None:
            raise SetupError("the publisher is not started", hint="use `async with Publisher(...)`")
        async with self._lock:  # one payload at a time keeps per-source order and counts exact
            report = RunReport(RunStats(payloads=1))
            pending: list[tuple[asyncio.Future[Any], Outcome, float, int]] = []
            iterator = iter(outcomes)
            index = 0
            while True:
                started = time.perf_counter()
                outcome = next(iterator, None)
                if outcome is None:
                    break
                future = await self._send(outcome)
                pending.append((future, outcome, started, index))
                index += 1
                if index % 256 == 0:
                    await asyncio.sleep(0)  # let the producer's sender task ship full batches
                if len(pending) >= self._batch_size:
                    await self._settle(pending, report, keep_results)
                    pending = []
            await self._settle(pending, report, keep_results)
            return report

    async def _send(self, outcome: Outcome) -> asyncio.Future[Any]:
        assert self._producer is not None  # checked by publish_outcomes
        try:
            if isinstance(outcome, Accepted):
                env = outcome.alert.envelope
                # Built by hand (not RouteHeaders.to_kafka): this runs once per record.
                headers = [
                    (H.KIND, outcome.kind.value.encode()),
                    (H.ORG, self._org_bytes),
                    (H.TLP, env.tlp.value.encode()),
                    (H.STATUS, env.status.value.encode()),
                    (H.MSG_TYPE, env.msg_type.value.encode()),
                    (H.VERSION, str(env.version).encode()),
                    (H.TS_ISSUED, str(int(env.issued_at.timestamp() * 1000)).encode()),
                    (H.TS_CONNECTOR, str(int(time.time() * 1000)).encode()),
                ]
                return await self._producer.send(
                    self.ingress_topic, outcome.value, key=outcome.key, headers=headers
                )
            q = outcome.quarantine
            return await self._producer.send(
                self.quarantine_topic, q.original, key=q.key(), headers=q.headers()
            )
        except KafkaError as exc:
            raise PublishError(
                f"the producer refused a write: {type(exc).__name__}",
                hint="check the broker and the topics, then run again (re-runs are idempotent)",
            ) from exc

    async def _settle(
        self,
        pending: list[tuple[asyncio.Future[Any], Outcome, float, int]],
        report: RunReport,
        keep_results: bool,
    ) -> None:
        if not pending:
            return
        try:
            for future, *_ in pending:  # one batch acknowledges many futures at once
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
        for _, outcome, started, index in pending:
            if isinstance(outcome, Accepted):
                key: tuple[str, Literal["published", "quarantined"]] = (
                    outcome.kind.value,
                    "published",
                )
            else:
                key = (outcome.kind, "quarantined")
            counts[key] = counts.get(key, 0) + 1
            latency.observe(done - started)
            if keep_results:
                report.results.append(_result(outcome, index))
        for (kind, result), n in counts.items():
            report.stats.add(kind, result, n)
            self.metrics.count(org, kind, result, n)
        log.debug("connector.batch_delivered", org=org, records=len(pending))
