"""The national node: one country's node topic in, each alert to the feeds of its border posts.

:class:`NodeProcessor` plugs the rules of :mod:`gateway.node.route` into the exactly-once
engine (:mod:`gateway.kafka.eos`): per node-topic record it writes deliveries (payload bytes
unchanged, headers plus ``fl-ts-node``), tombstones and quarantine records in the input
partition's transaction. It keeps no state (see ``node_route`` for why none is needed), so a
restart or a rebalance restores nothing. One consumer group (``<prefix>node``) serves every
country, so ``node run FRA`` on one machine and ``node run --all`` elsewhere split the work.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import structlog
from aiokafka import TopicPartition

from gateway.contract.codec import decode_dict
from gateway.contract.trust import TrustStore, Verdict
from gateway.errors import DecodeError
from gateway.kafka.eos import EosEngine, Mode, Output
from gateway.kafka.headers import RouteHeaders
from gateway.kafka.quarantine import QuarantineRecord, Reason
from gateway.kafka.signatures import BatchVerifier, load_trust
from gateway.kafka.topic_names import TopicNames
from gateway.node.metrics import NodeMetrics
from gateway.node.route import decide
from gateway.settings import Settings
from gateway.signals import run_until_signalled
from gateway.topology import Country, Topology

__all__ = ["NodeProcessor", "NodeService", "run_node"]

log = structlog.get_logger(__name__)


class NodeProcessor:
    """The node's :class:`gateway.kafka.eos.Processor`: route each record to its country's posts."""

    def __init__(
        self,
        names: TopicNames,
        countries: Sequence[Country],
        metrics: NodeMetrics,
        *,
        clock: Any = time.time,
        trust: TrustStore | None = None,
    ) -> None:
        self.names = names
        self.metrics = metrics
        self._clock = clock
        self._by_topic = {names.ncb(c.code): c for c in countries}
        self._feeds = {c.code: {p.id: names.post(c.code, p.id) for p in c.posts} for c in countries}
        # Counts become metrics only when their transaction commits (aborts are re-read).
        self._staged: dict[TopicPartition, list[tuple[str, tuple[str, ...], int]]] = {}
        # With a trust file, a record whose originator's signature fails is quarantined here.
        self.verifier = BatchVerifier(trust) if trust is not None else None

    @property
    def topics(self) -> list[str]:
        """The node topics this processor reads."""
        return list(self._by_topic)

    async def on_assigned(self, partitions: frozenset[TopicPartition]) -> None:
        """Nothing to restore: routing depends on the record and the topology only."""

    def on_revoked(self, partitions: frozenset[TopicPartition]) -> None:
        """Drop counts of partitions no longer ours."""
        for tp in partitions:
            self._staged.pop(tp, None)

    def tick(self, tp: TopicPartition, now_ms: int) -> Sequence[Output]:
        """No timers: expiry is the hub's, which sends tombstones."""
        return ()

    def committed(self, tp: TopicPartition) -> None:
        """Publish the counts of the committed records."""
        m = self.metrics
        for name, labels, n in self._staged.pop(tp, ()):
            getattr(m, name).labels(*labels).inc(n)

    def aborted(self, tp: TopicPartition) -> None:
        """Forget the counts of the aborted records."""
        self._staged.pop(tp, None)

    def process(self, tp: TopicPartition, records: Sequence[Any]) -> Sequence[Output]:
        """Route a batch of one node-topic partition."""
        country = self._by_topic.get(tp.topic)
        if country is None:
            return ()
        now_ms = int(self._clock() * 1000)
        out: list[Output] = []
        staged = self._staged.setdefault(tp, [])
        routes = [RouteHeaders.from_kafka(r.headers) for r in records]
        verdicts = self._verify(records, routes)
        for i, record in enumerate(records):
            verdict = verdicts[i] if verdicts is not None else None
            if verdict is not None and verdict.reason is not None:
                out.append(self._refuse(tp, record, routes[i], verdict, now_ms))
                staged.append(("signature_refused", (country.code, verdict.reason.value), 1))
                outcome = "quarantined"
            else:
                outcome = self._route(country, tp, record, routes[i], now_ms, out, staged)
            staged.append(("records", (country.code, outcome), 1))
        return out

    def _verify(
        self, records: Sequence[Any], routes: Sequence[RouteHeaders]
    ) -> list[Verdict | None] | None:
        """Each record's signature verdict (None for a tombstone); None when checks are off."""
        if self.verifier is None:
            return None
        return self.verifier.verify_records(records, [r.org for r in routes])

    def _refuse(
        self, tp: TopicPartition, record: Any, headers: RouteHeaders, verdict: Verdict, now: int
    ) -> Output:
        """Quarantine a record whose signature fails: altered after its organization signed."""
        reason = verdict.reason.value if verdict.reason is not None else "bad_signature"
        source = f"{tp.topic}[{tp.partition}]@{record.offset}"
        log.warning(
            "node_signature_refused", source=source, org=headers.org, reason=reason,
            key_id=verdict.key_id,
        )  # fmt: skip
        detail = f"signature refused ({reason})"
        return self._quarantine_record(
            tp, record, headers, "signature", Reason("", reason, detail), now
        )

    def close(self) -> None:
        """Stop the verification threads."""
        if self.verifier is not None:
            self.verifier.close()

    def _route(  # noqa: PLR0917  # why: private helper fed by one loop, positional is clearer
        self,
        country: Country,
        tp: TopicPartition,
        record: Any,
        headers: RouteHeaders,
        now_ms: int,
        out: list[Output],
        staged: list[tuple[str, tuple[str, ...], int]],
    ) -> str:
        # Signature headers ride in ``extra`` and are copied unchanged onto every feed record.
        raw = headers._replace(ts_node=now_ms).to_kafka()
        decoded: dict[str, Any] | None = None
        kind = headers.kind
        if record.value is not None:
            try:
                decoded_kind, decoded = decode_dict(record.value)
            except DecodeError as error:
                out.append(self._quarantine(tp, record, headers, error, now_ms))
                log.warning(
                    "node_record_quarantined",
                    topic=tp.topic,
                    offset=record.offset,
                    reason=error.quarantine_reason,
                )
                return "quarantined"
            kind = decoded_kind.value
        decision = decide(
            country,
            kind,
            headers.org,
            decoded,
            header_tlp=headers.tlp,
            tombstone_reason=headers.reason,
        )
        feeds = self._feeds[country.code]
        for post in decision.deliver:
            out.append(Output(feeds[post], record.key, record.value, raw))
            staged.append(("deliveries", (country.code, post, kind or "unknown"), 1))
        if decision.tombstone:
            reason = decision.reason or "REVOKED"
            tomb = headers._replace(ts_node=now_ms, reason=reason).to_kafka()
            out.extend(Output(feeds[p], record.key, None, tomb) for p in decision.tombstone)
            staged.append(("tombstones", (country.code, reason), len(decision.tombstone)))
        return "routed" if decision.deliver else ("revoked" if decision.tombstone else "unwanted")

    def _quarantine(
        self, tp: TopicPartition, record: Any, headers: RouteHeaders, error: DecodeError, now: int
    ) -> Output:
        reason = Reason("", error.quarantine_reason, error.message)
        return self._quarantine_record(tp, record, headers, "decode", reason, now)

    def _quarantine_record(  # noqa: PLR0917  # why: private, one call shape
        self,
        tp: TopicPartition,
        record: Any,
        headers: RouteHeaders,
        stage: str,
        reason: Reason,
        now: int,
    ) -> Output:
        q = QuarantineRecord(
            org=headers.org,
            stage=stage,
            component="node",
            source=f"{tp.topic}[{tp.partition}]@{record.offset}",
            reasons=(reason,),
            original=record.value or b"",
            ts_ms=now,
        ).bounded()  # too_large: a prefix, the size and a digest
        return Output(self.names.quarantine, q.key(), q.original, q.headers())


class NodeService:
    """The national node(s) of some countries on one exactly-once engine."""

    def __init__(
        self,
        settings: Settings,
        topology: Topology,
        countries: Sequence[str],
        *,
        metrics: NodeMetrics | None = None,
        mode: Mode = Mode.EXACTLY_ONCE,
        trust: TrustStore | None = None,
    ) -> None:
        self.names = TopicNames(settings.topic_prefix)
        self.metrics = metrics or NodeMetrics()
        chosen = [topology.country(code) for code in countries]
        self.processor = NodeProcessor(
            self.names, chosen, self.metrics,
            trust=trust or load_trust(settings.trust_file, "node"),
        )  # fmt: skip
        self.engine = EosEngine(
            settings,
            app_id=f"{settings.topic_prefix}node",
            topics=self.processor.topics,
            processor=self.processor,
            mode=mode,
            on_transaction=self.metrics.transaction,
        )

    def stop(self) -> None:
        """Finish the open transactions and return from ``run``."""
        self.engine.stop()

    async def run(self) -> None:
        """Route until stopped."""
        log.info("node_started", topics=len(self.processor.topics))
        try:
            await self.engine.run()
        finally:
            self.processor.close()


async def run_node(
    settings: Settings,
    topology: Topology,
    countries: Sequence[str],
    *,
    metrics: NodeMetrics | None = None,
    mode: Mode = Mode.EXACTLY_ONCE,
) -> None:
    """Run national nodes until SIGTERM or SIGINT, then finish the open transactions."""
    service = NodeService(settings, topology, countries, metrics=metrics, mode=mode)
    await run_until_signalled(service.run(), service.stop)
