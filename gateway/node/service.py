"""The national node: one country's node topic in, each alert to the feeds of its border posts.

:class:`NodeProcessor` plugs the rules of :mod:`gateway.node.route` into the exactly-once
engine (:mod:`gateway.kafka.eos`): per node-topic record it writes deliveries (payload bytes
unchanged, headers plus ``fl-ts-node``), tombstones and quarantine records in the input
partition's transaction. Records with an ``fl-msg`` header are messages, not alerts, and go
to :class:`gateway.node.wayback.WayBack`, which also reads the country's ``up`` topic (its
posts' hits and receipts, its bureau's decisions and flags) in the same engine.

Routing needs no state, but flags and receipts need to know how each alert was last routed,
and hits wait for decisions: that state is rebuilt, when partitions are assigned, by reading
them back (:mod:`gateway.node.restore`). One consumer group (``<prefix>node``) serves every
country, whatever subset each instance runs: ``node run FRA`` on one machine and several
``node run --all`` elsewhere share the work country by country
(:class:`gateway.node.assignor.CountryAssignor`: a country's national and ``up`` partitions
always go to one instance, since the way back's state is shared by them; the instance naming
the fewest countries keeps its own; the others take over when it dies).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import structlog
from aiokafka import TopicPartition
from aiokafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor

from gateway.contract.codec import decode_dict
from gateway.contract.messages import message_kind
from gateway.contract.trust import TrustStore, Verdict
from gateway.errors import DecodeError, QuarantineError
from gateway.kafka.eos import EosEngine, Mode, Output
from gateway.kafka.headers import RouteHeaders
from gateway.kafka.quarantine import QuarantineRecord, Reason
from gateway.kafka.signatures import BatchVerifier, load_trust
from gateway.kafka.topic_names import TopicNames
from gateway.node.assignor import CountryAssignor
from gateway.node.flags import with_flag
from gateway.node.metrics import NodeMetrics
from gateway.node.restore import read_back
from gateway.node.route import DOCUMENT_HEADER, decide, document_header
from gateway.node.wayback import AlertEntry, WayBack
from gateway.settings import Settings
from gateway.signals import run_until_signalled
from gateway.topology import Country, Topology

__all__ = ["ASSIGNORS", "NodeProcessor", "NodeService", "run_node"]

log = structlog.get_logger(__name__)

# The group's assignors, preferred first: a group of new and older instances (during a
# rolling upgrade) agrees on RoundRobin, which may split a country's partitions until the
# last older instance is gone.
ASSIGNORS = (CountryAssignor, RoundRobinPartitionAssignor)


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
        auto_confirm: bool = False,
        settings: Settings | None = None,
        app_id: str = "",
    ) -> None:
        self.names = names
        self.metrics = metrics
        self._clock = clock
        self._by_topic = {names.ncb(c.code): c for c in countries}
        self.wayback = WayBack(names, countries, auto_confirm=auto_confirm)
        # Where to read the state back from at start (None: start empty, as unit tests do).
        self._settings = settings
        self._app_id = app_id
        self._feeds = {c.code: {p.id: names.post(c.code, p.id) for p in c.posts} for c in countries}
        # Counts become metrics only when their transaction commits (aborts are re-read).
        self._staged: dict[TopicPartition, list[tuple[str, tuple[str, ...], int]]] = {}
        # With a trust file, a record whose originator's signature fails is quarantined here.
        self.verifier = BatchVerifier(trust) if trust is not None else None
        # One copy of each set of posts an entry names (a country has few), not one per entry.
        self._post_sets: dict[tuple[str, ...], tuple[str, ...]] = {}

    @property
    def topics(self) -> list[str]:
        """The node topics and ``up`` topics this processor reads."""
        return [*self._by_topic, *self.wayback.topics]

    def _one(self, posts: tuple[str, ...]) -> tuple[str, ...]:
        """The shared copy of ``posts``."""
        return self._post_sets.setdefault(posts, posts)

    def _country_code(self, topic: str) -> str | None:
        country = self._by_topic.get(topic)
        return country.code if country is not None else self.wayback.country_of_up(topic)

    async def on_assigned(self, partitions: frozenset[TopicPartition]) -> None:
        """Read the new partitions back: how each alert was routed, hits, flags, receipts."""
        if self._settings is None or not partitions:
            return
        ups = set(self.wayback.topics)
        started = time.monotonic()
        counted = 0

        def fold(tp: TopicPartition, record: Any, processed: bool) -> None:
            nonlocal counted
            counted += 1
            country = self._by_topic.get(tp.topic)
            if country is None:
                code = self.wayback.country_of_up(tp.topic)
                if code is not None:
                    self.wayback.replay_up(code, tp, record, processed)
            elif message_kind(record.headers) is None:
                self._replay_alert(country, tp, record)

        await read_back(self._settings, self._app_id, partitions, fold, to_end=ups)
        for code in {self._country_code(tp.topic) for tp in partitions} - {None}:
            self.metrics.awaiting.labels(code).set(self.wayback.awaiting(str(code)))
        log.info(
            "node_state_restored", partitions=len(partitions), records=counted,
            seconds=round(time.monotonic() - started, 3),
        )  # fmt: skip

    def _replay_alert(self, country: Country, tp: TopicPartition, record: Any) -> None:
        """Route a processed national-topic record again, keeping only how it was routed."""
        headers = RouteHeaders.from_kafka(record.headers)
        verdicts = self._verify([record], [headers])
        if verdicts is not None and verdicts[0] is not None and verdicts[0].reason is not None:
            return  # it was quarantined, never delivered: a flag must not deliver it either
        self._route(country, tp, record, headers, 0, [], [])
        self.wayback.committed(tp, country.code)

    def on_revoked(self, partitions: frozenset[TopicPartition]) -> None:
        """Drop counts of partitions no longer ours."""
        for tp in partitions:
            self._staged.pop(tp, None)
            self.wayback.revoked(tp)

    def tick(self, tp: TopicPartition, now_ms: int) -> Sequence[Output]:
        """Receipt summaries of the versions that became complete or waited long enough
        incomplete (expiry is the hub's)."""
        if self.wayback.country_of_up(tp.topic) is None:
            return ()
        return self.wayback.summaries(tp, self._staged.setdefault(tp, []), now_ms)

    def committed(self, tp: TopicPartition) -> None:
        """Publish the counts of the committed records and apply their state."""
        m = self.metrics
        for name, labels, n in self._staged.pop(tp, ()):
            getattr(m, name).labels(*labels).inc(n)
        code = self._country_code(tp.topic)
        if code is not None and self.wayback.committed(tp, code):
            m.awaiting.labels(code).set(self.wayback.awaiting(code))

    def aborted(self, tp: TopicPartition) -> None:
        """Forget the counts and state of the aborted records."""
        self._staged.pop(tp, None)
        self.wayback.aborted(tp)

    async def prepare(self, tp: TopicPartition, records: Sequence[Any]) -> bool:
        """Every batch is ready at once."""
        return True

    def process(self, tp: TopicPartition, records: Sequence[Any]) -> Sequence[Output]:
        """Route a batch of one node-topic partition, or handle one of an ``up`` topic."""
        country = self._by_topic.get(tp.topic)
        if country is None:
            return self._process_up(tp, records)
        now_ms = int(self._clock() * 1000)
        out: list[Output] = []
        staged = self._staged.setdefault(tp, [])
        routes = [RouteHeaders.from_kafka(r.headers) for r in records]
        verdicts = self._verify(records, routes)
        for i, record in enumerate(records):
            verdict = verdicts[i] if verdicts is not None else None
            kind = message_kind(record.headers)
            if kind is not None:
                outcome = self._message(country.code, tp, kind, record, routes[i], out, now_ms)
            elif verdict is not None and verdict.reason is not None:
                out.append(self._refuse(tp, record, routes[i], verdict, now_ms))
                staged.append(("signature_refused", (country.code, verdict.reason.value), 1))
                outcome = "quarantined"
            else:
                outcome = self._route(country, tp, record, routes[i], now_ms, out, staged)
            staged.append(("records", (country.code, outcome), 1))
        return out

    def _process_up(self, tp: TopicPartition, records: Sequence[Any]) -> Sequence[Output]:
        """Hits, decisions, receipts and flags of a country's ``up`` topic."""
        code = self.wayback.country_of_up(tp.topic)
        if code is None:
            return ()
        now_ms = int(self._clock() * 1000)
        out: list[Output] = []
        staged = self._staged.setdefault(tp, [])
        for record in records:
            try:
                out += self.wayback.on_up(code, tp, record, staged)
                outcome = "handled"
            except QuarantineError as error:
                out.append(self._quarantine(tp, record, RouteHeaders(), error, now_ms, "message"))
                log.warning(
                    "node_message_quarantined", topic=tp.topic, offset=record.offset,
                    reason=error.quarantine_reason,
                )  # fmt: skip
                outcome = "quarantined"
            staged.append(("up_records", (code, outcome), 1))
        return out

    def _message(  # noqa: PLR0917  # why: private helper fed by one loop, positional is clearer
        self,
        code: str,
        tp: TopicPartition,
        kind: str,
        record: Any,
        headers: RouteHeaders,
        out: list[Output],
        now_ms: int,
    ) -> str:
        """A message record on a national topic: never routed as an alert."""
        try:
            out += self.wayback.on_ncb_message(code, kind, record, self._staged[tp])
        except QuarantineError as error:
            out.append(self._quarantine(tp, record, headers, error, now_ms, "message"))
            log.warning(
                "node_message_quarantined", topic=tp.topic, offset=record.offset,
                reason=error.quarantine_reason,
            )  # fmt: skip
            return "quarantined"
        return "message"

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
            if kind == "TRAVEL_DOCUMENT" and (doc := document_header(decoded)) is not None:
                raw = [*raw, (DOCUMENT_HEADER, doc)]  # the post's index reads it undecoded
        decision = decide(
            country,
            kind,
            headers.org,
            decoded,
            header_tlp=headers.tlp,
            tombstone_reason=headers.reason,
        )
        feeds = self._feeds[country.code]
        alert_id = (record.key or b"").decode("utf-8", "replace")
        if decoded is not None:
            alert_id = str(decoded["envelope"].get("alert_id") or alert_id)
        flag = self.wayback.flag(country.code, alert_id)
        delivered = with_flag(raw, flag) if flag is not None else raw
        for post in decision.deliver:
            out.append(Output(feeds[post], record.key, record.value, delivered))
            staged.append(("deliveries", (country.code, post, kind or "unknown"), 1))
        if decision.tombstone:
            reason = decision.reason or "REVOKED"
            tomb = headers._replace(ts_node=now_ms, reason=reason).to_kafka()
            out.extend(Output(feeds[p], record.key, None, tomb) for p in decision.tombstone)
            staged.append(("tombstones", (country.code, reason), len(decision.tombstone)))
        version = int(decoded["envelope"].get("version") or 1) if decoded else headers.version
        entry = AlertEntry(
            record.key or b"", record.value if decision.deliver else None, raw, version,
            self._one(decision.deliver), self._one(decision.tombstone),
        )  # fmt: skip
        self.wayback.stage_alert(tp, alert_id, entry)
        return "routed" if decision.deliver else ("revoked" if decision.tombstone else "unwanted")

    def _quarantine(  # noqa: PLR0917  # why: private, one call shape
        self,
        tp: TopicPartition,
        record: Any,
        headers: RouteHeaders,
        error: QuarantineError,
        now: int,
        stage: str = "decode",
    ) -> Output:
        reason = Reason("", error.quarantine_reason, error.message)
        return self._quarantine_record(tp, record, headers, stage, reason, now)

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
        auto_confirm: bool = False,
    ) -> None:
        self.names = TopicNames(settings.topic_prefix)
        self.metrics = metrics or NodeMetrics()
        chosen = [topology.country(code) for code in countries]
        app_id = f"{settings.topic_prefix}node"
        self.processor = NodeProcessor(
            self.names, chosen, self.metrics,
            trust=trust or load_trust(settings.trust_file, "node"),
            auto_confirm=auto_confirm, settings=settings, app_id=app_id,
        )  # fmt: skip
        self.engine = EosEngine(
            settings,
            app_id=app_id,
            topics=self.processor.topics,
            processor=self.processor,
            mode=mode,
            on_transaction=self.metrics.transaction,
            # Whole countries to one instance; RoundRobin only while older instances remain.
            consumer_overrides={"partition_assignment_strategy": ASSIGNORS},
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
    auto_confirm: bool = False,
) -> None:
    """Run national nodes until SIGTERM or SIGINT, then finish the open transactions."""
    service = NodeService(
        settings, topology, countries, metrics=metrics, mode=mode, auto_confirm=auto_confirm
    )
    await run_until_signalled(service.run(), service.stop)
