"""The exercise's way back, live: officers report hits, originators acknowledge, bureaux flag.

- **Hits.** Of the planted travellers a screening finds, a share is reported through the
  post's API (``POST /hits`` with the screening's ``screening_id``), the outcomes taken in
  turn so every :class:`HitOutcome` occurs, ``FALSE_MATCH`` included. The nodes run with
  ``--auto-confirm``.
- **Acknowledgements.** :class:`Originators` reads the organizations' outbound topics and,
  a realistic delay after each hit arrives, writes a ``hit-ack`` to that organization's
  ingress topic as its connector principal (what ``frontline hits ack`` does).
- **Flags.** When traffic stops, a few delivered wanted-person alerts are flagged at a
  node (a ``flag`` on ``fl.up.<ISO3>``, what ``frontline node flag`` does).

What reached whom is checked afterwards, from the broker, by :mod:`gateway.simulate.waycheck`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from gateway.contract.messages import (
    FlagAction,
    HitAck,
    HitOutcome,
    HitReport,
    decode_as,
    encode_message,
    message_kind,
)
from gateway.errors import QuarantineError
from gateway.hub.hits import ack_key
from gateway.kafka.access import node_principal
from gateway.kafka.clients import make_consumer, make_producer
from gateway.kafka.clock import now_ms
from gateway.kafka.reading import partitions_of
from gateway.kafka.topic_names import TopicNames
from gateway.node.bureau import publish_flag
from gateway.simulate.secure import Network

__all__ = ["Originators", "ReportedHit", "SentFlag", "WayBack", "flag_alerts"]

log = structlog.get_logger(__name__)

# Follow-up instructions an issuing bureau might send back, by what the officer did.
_INSTRUCTIONS = {
    HitOutcome.ARRESTED: "Hold the person; extradition request follows within 24 h.",
    HitOutcome.DETAINED: "Keep the person until our liaison officer calls the post.",
    HitOutcome.REFUSED_ENTRY: "Noted. Send the travel route and companions to our bureau.",
    HitOutcome.ENTRY_ALLOWED_REPORTED: "Thank you; report any further crossing at once.",
    HitOutcome.OBJECT_SEIZED: "Keep the object sealed; our investigator will collect it.",
    HitOutcome.NOT_EXECUTED: "Understood. Report the person's whereabouts if known.",
}


@dataclass(frozen=True)
class ReportedHit:
    """A hit the exercise reported at a post, as the post stored it."""

    hit_id: str
    alert_id: str
    version: int
    org: str
    country: str
    post: str  # ISO3.POST
    outcome: HitOutcome
    reported_ms: int


@dataclass(frozen=True)
class SentFlag:
    """A flag the exercise's bureau set on an alert delivered to its country."""

    alert_id: str
    org: str
    country: str


@dataclass
class WayBack:
    """Which found travellers are reported, and every hit reported so far."""

    share: float
    seed: int
    hits: list[ReportedHit] = field(default_factory=list)
    refused: int = 0  # the post answered no (the alert left its watchlist meanwhile)
    _rng: random.Random = field(init=False)
    _outcomes: itertools.cycle[HitOutcome] = field(init=False)
    _chosen: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._outcomes = itertools.cycle(list(HitOutcome))

    def choose(self, *, always: bool = False) -> HitOutcome | None:
        """The outcome to report for the next found traveller, or None to report nothing.

        The first found travellers are all reported, one per outcome, so even a short
        exercise reports every outcome; after that a ``share`` of them (and ``always``).
        """
        if self.share <= 0:
            return None
        first = self._chosen < len(HitOutcome)
        if not first and not always and self._rng.random() >= self.share:
            return None
        self._chosen += 1
        return next(self._outcomes)

    def note(self, post: str, answer: dict[str, Any] | None) -> None:
        """Keep a report the post stored (``POST /hits``'s answer)."""
        if answer is None:
            self.refused += 1
            return
        report = HitReport.model_validate({k: v for k, v in answer.items() if k != "status"})
        self.hits.append(ReportedHit(
            hit_id=report.hit_id, alert_id=report.alert_id, version=report.alert_version,
            org=report.org.value, country=report.country, post=post, outcome=report.outcome,
            reported_ms=int(report.reported_at.timestamp() * 1000),
        ))  # fmt: skip

    def forwarded(self) -> list[ReportedHit]:
        """The hits that go past the reporting country (every outcome but FALSE_MATCH)."""
        return [h for h in self.hits if h.outcome is not HitOutcome.FALSE_MATCH]

    def by_outcome(self) -> dict[str, int]:
        """Hits reported per outcome, every outcome named."""
        counts = dict.fromkeys((o.value for o in HitOutcome), 0)
        for hit in self.hits:
            counts[hit.outcome.value] += 1
        return counts


class Originators:
    """The issuing organizations' own systems: each hit on their outbound topic is
    acknowledged ``delay_s`` after it arrived, on the organization's ingress topic, written
    with its connector principal."""

    def __init__(self, net: Network, orgs: list[str], delay_s: float) -> None:
        self.net = net
        self.orgs = orgs
        self.delay_s = delay_s
        self.names = TopicNames(net.base.topic_prefix)
        self.acked: dict[str, int] = {}  # hit id -> when its ack was written (ms)
        self.seen: dict[str, float] = {}  # hit id -> monotonic time it arrived
        self._due: list[tuple[float, HitReport]] = []
        self._producers: dict[str, AIOKafkaProducer] = {}
        self._task: asyncio.Task[None] | None = None
        self._consumer: Any = None

    async def start(self) -> None:
        """Read every outbound topic from its start, in the background."""
        consumer = make_consumer(self.net.admin, group_id=None, enable_auto_commit=False)
        await consumer.start()
        tps: list[TopicPartition] = []
        for org in self.orgs:
            tps += await partitions_of(consumer, self.names.outbound(org))
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        self._consumer = consumer
        self._task = asyncio.create_task(self._loop())

    def pending(self) -> int:
        """Hits seen and not acknowledged yet."""
        return len(self._due)

    async def _loop(self) -> None:
        while True:
            batches = await self._consumer.getmany(timeout_ms=200)
            for records in batches.values():
                for record in records:
                    self._on_record(record)
            now = time.monotonic()
            ready = [d for d in self._due if d[0] <= now]
            self._due = [d for d in self._due if d[0] > now]
            for _, report in ready:
                try:
                    await self._ack(report)
                except KafkaError:  # one failed ack is retried, never kills the loop
                    log.warning("ack_failed", hit_id=report.hit_id, exc_info=True)
                    self._due.append((time.monotonic() + 1.0, report))

    def _on_record(self, record: Any) -> None:
        if message_kind(record.headers) != HitReport.kind:
            return  # flags, also on the outbound topics
        try:
            report = decode_as(HitReport, HitReport.kind, record.value)
        except QuarantineError:
            return
        if report.hit_id in self.seen:
            return  # acknowledge once; the accounting counts copies
        self.seen[report.hit_id] = time.monotonic()
        self._due.append((time.monotonic() + self.delay_s, report))

    async def _ack(self, report: HitReport) -> None:
        org = report.org.value
        producer = self._producers.get(org)
        if producer is None:
            producer = make_producer(self.net.connector(org))
            await producer.start()
            self._producers[org] = producer
        ack = HitAck(
            hit_id=report.hit_id, alert_id=report.alert_id, org=report.org,
            instructions=_INSTRUCTIONS.get(report.outcome, "Noted."),
            acked_at=datetime.now(UTC), acked_by=f"exercise-{org.lower()}",
        )  # fmt: skip
        value, headers = encode_message(ack)
        await producer.send_and_wait(
            self.names.ingress(org), value, key=ack_key(report.hit_id).encode(), headers=headers
        )
        self.acked[report.hit_id] = now_ms()

    async def stop(self) -> None:
        """Stop reading and close every producer."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._consumer is not None:
            await self._consumer.stop()
        for producer in self._producers.values():
            await producer.stop()


async def flag_alerts(
    net: Network, choices: list[tuple[str, str, str]], reason: str = "exercise: not executed here"
) -> list[SentFlag]:
    """Flag each (alert id, organization, country) at that country's node, as its bureau."""
    sent = []
    for alert_id, org, country in choices:
        settings = net.settings(node_principal(country))
        await publish_flag(
            settings, country, alert_id, flagged=True, reason=reason,
            action=FlagAction.INFORM, by="exercise",
        )  # fmt: skip
        sent.append(SentFlag(alert_id, org, country))
    return sent
