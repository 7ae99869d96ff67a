"""The hub service: every ingress topic in, each alert to the national nodes allowed to see it.

:class:`HubProcessor` plugs the pure decisions of :mod:`gateway.hub.route` into the
exactly-once engine (:mod:`gateway.kafka.eos`): per ingress record it writes deliveries (payload
unchanged, routing attributes in headers), tombstones, the review hold, the state changelog
entry, the audit record and any quarantine record, all in the input partition's transaction.
Timers (expiry) and reviewers' decisions run in ``tick`` of the partition that owns the alert.
:func:`run_hub` wires settings, topology, policy, state restore, metrics and signals.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
from collections.abc import Sequence
from typing import Any

import structlog
from aiokafka import TopicPartition

from gateway.contract.messages import Flag, HitAck, HitReport, ReceiptSummary, message_kind
from gateway.contract.trust import TrustStore, Verdict
from gateway.errors import SetupError
from gateway.hub.audit import Action, audit_record
from gateway.hub.facts import DecisionCache
from gateway.hub.hits import (
    Msg,
    SideStore,
    forward_ack,
    forward_flag,
    forward_hit,
    quarantine_message,
)
from gateway.hub.metrics import BatchCounts, HubMetrics
from gateway.hub.policy.decide import Policy, load_policy
from gateway.hub.receipts import record_summary, stale_after_s, stale_versions
from gateway.hub.review import DecisionTail
from gateway.hub.route import (
    Effects,
    Inbound,
    expire,
    refuse_signature,
    review_verdict,
    route,
)
from gateway.hub.state import ChangelogReader, Owner, StateStore
from gateway.hub.view import ViewGate
from gateway.kafka import clock
from gateway.kafka.clients import make_admin
from gateway.kafka.eos import EosEngine, Fanout, Mode, Output
from gateway.kafka.headers import H
from gateway.kafka.quarantine import MAX_RECORD_BYTES, QuarantineRecord, Reason
from gateway.kafka.signatures import BatchVerifier, load_trust
from gateway.kafka.topic_names import TopicNames
from gateway.kafka.waiting import wait_for_topics
from gateway.settings import Settings
from gateway.signals import run_until_signalled
from gateway.topology import Topology, load_topology

__all__ = ["HubProcessor", "HubService", "hub_topics", "run_hub"]

log = structlog.get_logger(__name__)

# Room kept for the headers the hub adds to a delivery (routing attributes, linked ids):
# an ingress value larger than MAX_RECORD_BYTES minus this could never be delivered at the
# broker's default limit, so it is quarantined as too_large instead of stopping the hub.
DELIVERY_MARGIN = 32 * 1024
MAX_DELIVERABLE = MAX_RECORD_BYTES - DELIVERY_MARGIN


def hub_topics(topology: Topology, names: TopicNames) -> dict[str, list[str]]:
    """The topics the hub reads and writes, by role (checked before it starts).

    ``internal`` holds the hub's own topics and those of the way back (``hub.inbox``, which it
    reads, and every organization's ``outbound`` topic, which it writes).
    """
    return {
        "ingress": [names.ingress(o.code) for o in topology.organizations],
        "ncb": [names.ncb(c.code) for c in topology.countries],
        "internal": [
            names.quarantine,
            names.audit,
            names.review,
            names.hub_state,
            names.review_decisions,
            names.hub_inbox,
            *(names.outbound(o.code) for o in topology.organizations),
        ],
    }


class HubProcessor:
    """The hub's exactly-once ``Processor``: route, revoke, hold, audit, expire, release."""

    def __init__(
        self,
        *,
        policy: Policy,
        topology: Topology,
        names: TopicNames,
        store: StateStore,
        reader: ChangelogReader | None = None,
        decisions: DecisionTail | None = None,
        metrics: HubMetrics | None = None,
        hub_id: str = "hub",
        trust: TrustStore | None = None,
        side: SideStore | None = None,
    ) -> None:
        self.policy = policy
        self.names = names
        self.store = store
        self.side = side if side is not None else SideStore(store.changelog_topic)
        self._inbox = names.hub_inbox
        self.reader = reader
        # Holds a way-back batch naming what another instance committed a moment ago.
        waits = metrics.view_waits.inc if metrics is not None else None
        self.gate = ViewGate(reader, store, self.side, self._inbox, waits) if reader else None
        self.decisions = decisions
        self.metrics = metrics
        self.hub_id = hub_id
        self.candidates = frozenset(c.code for c in topology.countries)
        self._org_of = {names.ingress(o.code): o.code for o in topology.organizations}
        self._ncb = {c: names.ncb(c) for c in self.candidates}
        self._audit_topic = names.audit
        self._review_topic = names.review
        self._quarantine_topic = names.quarantine
        self.decision_cache = DecisionCache()  # policy decisions, reused across records
        # With a trust file every ingress value's signature is verified before routing.
        self.verifier = BatchVerifier(trust) if trust is not None else None
        # Counts become metrics only when their transaction commits (aborts are re-read).
        self._staged: dict[TopicPartition, BatchCounts] = {}

    # -- engine callbacks ----------------------------------------------------------------

    async def on_assigned(self, partitions: frozenset[TopicPartition]) -> None:
        """Catch the state up with the changelog before any record of these partitions; from
        then on this instance is their entries' only writer, so the tail skips them."""
        if self.reader is not None:
            applied = await self.reader.catch_up()
            self.reader.own((tp.topic, tp.partition) for tp in partitions)
            log.info("hub_state_caught_up", applied=applied, entries=len(self.store))

    def on_revoked(self, partitions: frozenset[TopicPartition]) -> None:
        """Nothing to keep: committed state stays for linking (the tail now keeps these
        partitions' entries fresh too); staged state is gone."""
        if self.reader is not None:
            self.reader.disown((tp.topic, tp.partition) for tp in partitions)
        for tp in partitions:
            if self.gate is not None:
                self.gate.forget(tp)
            self.store.abort((tp.topic, tp.partition))
            self.side.abort((tp.topic, tp.partition))
            self._staged.pop(tp, None)

    async def prepare(self, tp: TopicPartition, records: Sequence[Any]) -> bool:
        """Hold back a way-back batch naming an alert or a hit not in this instance's view
        yet, until the view holds every commit made before it was read (:mod:`.view`)."""
        return True if self.gate is None else await self.gate.ready(tp, records)

    def process(self, tp: TopicPartition, records: Sequence[Any]) -> list[Output | Fanout]:
        """Route a batch of one ingress partition's records (or the hub inbox's messages)."""
        started = time.perf_counter()
        owner: Owner = (tp.topic, tp.partition)
        now_ms = clock.now_ms()
        outputs: list[Output | Fanout] = []
        if tp.topic == self._inbox:
            for record in records:
                self._message(owner, "", record, outputs, now_ms=now_ms)
            return outputs
        org = self._org_of.get(tp.topic, tp.topic.rsplit(".", 1)[-1].upper())
        counts = self._counts(tp)
        store, policy, candidates, hub = self.store, self.policy, self.candidates, self.hub_id
        cache = self.decision_cache
        kinds = [message_kind(r.headers) for r in records]
        verdicts = self._verify(org, records, kinds)
        for i, record in enumerate(records):
            if kinds[i] is not None:  # a message (hit-ack) on the ingress topic, not an alert
                self._message(owner, org, record, outputs, now_ms=now_ms, kind=kinds[i])
                continue
            inbound = Inbound(
                topic_org=org, owner=owner, offset=record.offset, value=record.value,
                headers=record.headers, timestamp_ms=record.timestamp,
            )  # fmt: skip
            verdict = verdicts[i] if verdicts is not None else None
            if verdict is not None and verdict.reason is not None:
                effects = self._refuse(inbound, verdict, now_ms)
            else:
                effects = route(
                    inbound, store, policy, now_ms, candidates=candidates, hub=hub,
                    decisions=cache,
                )  # fmt: skip
            if effects.quarantine is None and len(record.value or b"") > MAX_DELIVERABLE:
                effects = _too_large(inbound, now_ms, hub)  # (route only reads the store)
            self._emit(effects, owner, outputs)
            counts.add(effects, org)
        if self.metrics is not None and records:
            elapsed = time.perf_counter() - started
            self.metrics.processing.observe(elapsed / len(records))
            self.metrics.latency.observe(max(0.0, now_ms - records[-1].timestamp) / 1000)
        return outputs

    def _verify(
        self, org: str, records: Sequence[Any], kinds: Sequence[str | None]
    ) -> list[Verdict | None] | None:
        """Each alert record's signature verdict (None for a tombstone, quarantined as today,
        and for a message record); None when signature checks are off."""
        if self.verifier is None:
            return None
        signed = [(i, r) for i, r in enumerate(records) if r.value is not None and kinds[i] is None]
        verdicts: list[Verdict | None] = [None] * len(records)
        found = self.verifier.verify_all([(org, r.value, r.headers) for _, r in signed])
        for (i, _), verdict in zip(signed, found, strict=True):
            verdicts[i] = verdict
        return verdicts

    def _message(
        self, owner: Owner, org: str, record: Any, out: list[Output | Fanout], *, now_ms: int,
        kind: str | None = None,
    ) -> None:  # fmt: skip
        """One way-back record: a hit, flag or receipt summary from the hub inbox (``org``
        empty), or an acknowledgement from ``org``'s ingress topic; written with its audit."""
        msg = Msg(
            topic_org=org, owner=owner, offset=record.offset,
            kind=kind if kind is not None else message_kind(record.headers), value=record.value,
            headers=record.headers or (), timestamp_ms=record.timestamp,
        )  # fmt: skip
        names, hub = self.names, self.hub_id
        if org and msg.kind == HitAck.kind:
            reply = forward_ack(msg, self.side, names=names, now_ms=now_ms, hub=hub)
        elif org:
            reply = quarantine_message(
                msg, "unexpected_message", f"{msg.kind} is not read from an ingress topic",
                now_ms, hub,
            )  # fmt: skip
        elif msg.kind == HitReport.kind:
            reply = forward_hit(
                msg, self.store, self.side, names=names, now_ms=now_ms, hub=hub,
                countries=self.candidates,
            )  # fmt: skip
        elif msg.kind == Flag.kind:
            reply = forward_flag(msg, self.store, names=names, now_ms=now_ms, hub=hub)
        elif msg.kind == ReceiptSummary.kind:
            reply = record_summary(msg, self.store, self.side, now_ms=now_ms, hub=hub)
        else:
            reply = quarantine_message(
                msg, "unexpected_message", f"{msg.kind} is not read from the hub inbox",
                now_ms, hub,
            )  # fmt: skip
        if reply.quarantine is not None:
            q = reply.quarantine.bounded()
            out.append(Output(self._quarantine_topic, q.key(), q.original, q.headers()))
        out.extend(reply.records)
        for key, value in reply.state:
            out.append(self.side.stage(owner, key, value))
        audit_key = (reply.alert_id or msg.source).encode()
        out.extend(Output(self._audit_topic, audit_key, audit) for audit in reply.audits)
        self._counts(TopicPartition(*owner)).add_reply(reply, org)

    def _refuse(self, rec: Inbound, verdict: Verdict, now_ms: int) -> Effects:
        """The quarantine of a refused signature, logged by source and key id only."""
        reason = verdict.reason.value if verdict.reason is not None else "bad_signature"
        log.warning(
            "hub_signature_refused", org=rec.topic_org, reason=reason, key_id=verdict.key_id,
            source=f"{rec.owner[0]}[{rec.owner[1]}]@{rec.offset}",
        )  # fmt: skip
        return refuse_signature(
            rec, reason, now_ms, key_id=verdict.key_id, hub=self.hub_id,
            policy_version=self.policy.version,
        )  # fmt: skip

    def close(self) -> None:
        """Stop the verification threads."""
        if self.verifier is not None:
            self.verifier.close()

    def tick(self, tp: TopicPartition, now_ms: int) -> list[Output | Fanout]:
        """Expire due alerts and apply reviewers' decisions on alerts this partition owns."""
        owner: Owner = (tp.topic, tp.partition)
        outputs: list[Output | Fanout] = []
        if tp.topic == self._inbox:
            return outputs
        for entry in self.store.due(owner, now_ms):
            if self.store.staged(owner, entry.alert_id) is not None:
                continue  # changed in the open transaction; its commit re-arms the timer
            effects = expire(entry, now_ms, self.hub_id)
            self._emit(effects, owner, outputs)
            self._counts(tp).add(effects, effects.org)
        if self.decisions is not None:
            for entry in self.store.held(owner):
                assert entry.held is not None
                if self.store.staged(owner, entry.alert_id) is not None:
                    continue  # a newer version is staged; the decision waits for the next tick
                verdict = self.decisions.pending(entry.alert_id, entry.held.version)
                if verdict is None:
                    continue
                effects = review_verdict(
                    entry, approve=verdict.approve, reviewer=verdict.reviewer,
                    note=verdict.note, now_ms=now_ms, hub=self.hub_id, policy=self.policy,
                    candidates=self.candidates,
                )  # fmt: skip
                self._emit(effects, owner, outputs)
                self._counts(tp).add(effects, effects.org)
        return outputs

    def committed(self, tp: TopicPartition) -> None:
        """Make the partition's staged state the committed view and count its records."""
        self.store.commit((tp.topic, tp.partition))
        self.side.commit((tp.topic, tp.partition))
        counts = self._staged.pop(tp, None)
        if counts is not None and self.metrics is not None:
            counts.flush(self.metrics)

    def aborted(self, tp: TopicPartition) -> None:
        """Forget the partition's staged state and counts; its records will be routed again."""
        self.store.abort((tp.topic, tp.partition))
        self.side.abort((tp.topic, tp.partition))
        self._staged.pop(tp, None)

    def _counts(self, tp: TopicPartition) -> BatchCounts:
        """The counts of the partition's open transaction, added to the metrics on commit."""
        counts = self._staged.get(tp)
        if counts is None:
            counts = self._staged[tp] = BatchCounts()
        return counts

    # -- effects to records --------------------------------------------------------------

    def _emit(self, effects: Effects, owner: Owner, out: list[Output | Fanout]) -> None:
        """Append the Kafka records of one decision, state and audit last."""
        key = effects.alert_id.encode() if effects.alert_id is not None else None
        if effects.quarantine is not None:
            q = effects.quarantine.bounded()  # too_large: a prefix, the size and a digest
            out.append(Output(self._quarantine_topic, q.key(), q.original, q.headers()))
        payload = effects.payload
        if key is not None:
            ncb = self._ncb
            if effects.deliveries:
                self._deliver(effects, key, out)
            if effects.tombstones:
                base = effects.tombstone_headers
                for country, reason in effects.tombstones.items():
                    topic = ncb.get(country)
                    if topic is not None:
                        out.append(Output(topic, key, None, [*base, (H.REASON, reason.encode())]))
            if effects.review_put is not None:
                out.append(Output(self._review_topic, key, payload, effects.review_put))
            elif effects.review_clear:
                out.append(Output(self._review_topic, key, None))
            if effects.state is not None:
                out.append(self.store.stage(owner, effects.state))
        audit_key = key if key is not None else f"{owner[0]}[{owner[1]}]".encode()
        out.append(Output(self._audit_topic, audit_key, effects.audit))

    def _deliver(self, effects: Effects, key: bytes, out: list[Output | Fanout]) -> None:
        """One Fanout record for the recipients sharing one header list (all but those told
        of linked alerts); the others get an Output with their own headers."""
        ncb, payload, shared = self._ncb, effects.payload, effects.shared_headers
        fanout: list[str] = []
        for country, headers in effects.deliveries.items():
            if headers is shared:
                fanout.append(ncb[country])
            else:
                out.append(Output(ncb[country], key, payload, headers))
        if fanout and shared is not None:
            out.append(Fanout(fanout, key, payload, shared))


def _too_large(rec: Inbound, now_ms: int, hub: str) -> Effects:
    """Quarantine (``too_large``) and audit an ingress value too large to deliver anywhere."""
    source = f"{rec.owner[0]}[{rec.owner[1]}]@{rec.offset}"
    size = len(rec.value or b"")
    reason = Reason(
        "", "too_large", f"{size} bytes: over the {MAX_DELIVERABLE} bytes a delivery may carry"
    )
    record = QuarantineRecord(
        org=rec.topic_org, stage="decode", component="hub", source=source, reasons=(reason,),
        original=rec.value or b"", ts_ms=now_ms,
    )  # fmt: skip
    audit = audit_record(
        alert_id=source, version=0, org=rec.topic_org, kind="UNKNOWN",
        action=Action.QUARANTINED, ts_ms=now_ms, hub=hub, reason="too_large", stage="decode",
        source=source,
    )  # fmt: skip
    return Effects(
        action=Action.QUARANTINED, audit=audit, alert_id=None, org=rec.topic_org,
        kind="UNKNOWN", quarantine=record, reason="too_large",
    )  # fmt: skip


async def _check_topics(settings: Settings, wanted: dict[str, list[str]]) -> None:
    """SetupError naming the missing topics, so a fresh cluster fails with the fix."""
    admin = make_admin(settings, request_timeout_ms=15_000)
    await admin.start()
    try:
        # Topics created a moment ago may not be in every broker's metadata yet.
        missing = await wait_for_topics(admin, [t for names in wanted.values() for t in names])
    finally:
        await admin.close()
    if missing:
        shown = ", ".join(missing[:6]) + (" ..." if len(missing) > 6 else "")
        raise SetupError(
            f"{len(missing)} topic(s) the hub needs do not exist: {shown}",
            hint="Create them with `frontline topics apply` (same FRONTLINE_TOPIC_PREFIX).",
        )


class HubService:
    """One hub instance: state restore, decision tail, the engine, metrics refresh."""

    def __init__(
        self,
        settings: Settings,
        *,
        mode: Mode = Mode.EXACTLY_ONCE,
        metrics: HubMetrics | None = None,
        topology: Topology | None = None,
        policy: Policy | None = None,
        hub_id: str | None = None,
        trust: TrustStore | None = None,
    ) -> None:
        self.settings = settings
        self.names = TopicNames(settings.topic_prefix)
        self.topology = topology or load_topology(settings.topology_file)
        self.policy = policy or load_policy(settings.policy_file)
        self.metrics = metrics or HubMetrics()
        self.hub_id = hub_id or f"{socket.gethostname()}:{os.getpid()}"
        topics = hub_topics(self.topology, self.names)
        self.store = StateStore(self.names.hub_state)
        self.side = SideStore(self.names.hub_state)
        self.reader = ChangelogReader(settings, self.store, self.side.restore)
        self.stale_ms = int(stale_after_s() * 1000)
        self.decisions = DecisionTail(settings, self.names.review_decisions)
        self.processor = HubProcessor(
            policy=self.policy, topology=self.topology, names=self.names, store=self.store,
            reader=self.reader, decisions=self.decisions, metrics=self.metrics,
            hub_id=self.hub_id, trust=trust or load_trust(settings.trust_file, "hub"),
            side=self.side,
        )  # fmt: skip
        self.engine = EosEngine(
            settings,
            app_id=f"{settings.topic_prefix}hub",
            topics=[*topics["ingress"], self.names.hub_inbox],
            processor=self.processor,
            mode=mode,
            on_transaction=self.metrics.transaction,
            output_topics=[*topics["ncb"], *topics["internal"]],
        )

    _stale_count = 0
    _next_way_back = 0.0

    def stop(self) -> None:
        """Finish the open transactions and return from ``run``."""
        self.engine.stop()

    async def run(self) -> None:
        """Check topics, restore state, then route until stopped."""
        await _check_topics(self.settings, hub_topics(self.topology, self.names))
        refresher = asyncio.create_task(self._refresh_gauges())
        tail: asyncio.Task[None] | None = None
        try:
            await self.reader.start()
            await self.decisions.start()
            started = time.perf_counter()
            restored = await self.reader.catch_up(wait_for_open=False)
            log.info(
                "hub_state_restored", applied=restored, entries=len(self.store),
                seconds=round(time.perf_counter() - started, 3),
            )  # fmt: skip
            # Other instances' commits reach this one's view (linking, the way back) within
            # the tail interval plus one read, not only at the next rebalance.
            tail = asyncio.create_task(self.reader.tail())
            await self.engine.run()
        finally:
            refresher.cancel()
            if tail is not None:
                tail.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await tail
            await self.decisions.stop()
            await self.reader.stop()
            self.processor.close()

    async def _refresh_gauges(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            for topic, lag in self.engine.lag().items():
                self.metrics.lag.labels(topic).set(lag)
            self.metrics.state_entries.set(len(self.store))
            owners = self.reader.owners
            self.metrics.held.set(self.store.held_count(owners))
            loop = asyncio.get_running_loop()
            if loop.time() >= self._next_way_back:
                started = loop.time()
                self._refresh_way_back(clock.now_ms())
                # A scan of a large state costs CPU: at most about 5 percent of it.
                self._next_way_back = loop.time() + 20 * (loop.time() - started)

    def _refresh_way_back(self, now_ms: int) -> None:
        """Hits awaiting acknowledgement, the oldest wait, and stale alert versions (logged by
        id so an operator can look them up; ids are never metric labels)."""
        metrics, side = self.metrics, self.side
        waiting = [
            int(v.get("reported", now_ms))
            for k, v in side.items("hit:")
            if side.committed(f"ack:{k[4:]}") is None
        ]
        metrics.hits_awaiting.set(len(waiting))
        metrics.oldest_awaiting.set(max(0, now_ms - min(waiting)) / 1000 if waiting else 0)
        # Each instance counts the alerts of the partitions it owns: the gauges add up.
        delivered = self.store.delivered_before(now_ms - self.stale_ms, self.reader.owners)
        stale = stale_versions(delivered, side, now_ms, self.stale_ms)
        if len(stale) != self._stale_count:
            self._stale_count = len(stale)
            if stale:
                shown = [f"{a}@{v}" for a, v in stale[:20]]
                log.warning("hub_versions_not_at_every_post", count=len(stale), versions=shown)
        metrics.stale_versions.set(len(stale))


async def run_hub(
    settings: Settings, *, mode: Mode = Mode.EXACTLY_ONCE, metrics: HubMetrics | None = None
) -> None:
    """Run a hub until SIGTERM or SIGINT, then finish the open transactions and exit."""
    service = HubService(settings, mode=mode, metrics=metrics)
    await run_until_signalled(service.run(), service.stop)
