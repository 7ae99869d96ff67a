"""Two hub instances: a way-back record naming what the other instance committed a moment
ago waits for this instance's view instead of being quarantined (issue 16)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from gateway.contract.messages import HitAck, HitOutcome, HitReport, Message, encode_message
from gateway.hub.hits import SideStore
from gateway.hub.metrics import HubMetrics
from gateway.hub.policy.decide import load_policy
from gateway.hub.service import HubProcessor
from gateway.hub.state import ChangelogReader, StateStore
from gateway.kafka.eos import Output
from gateway.kafka.topic_names import TopicNames
from gateway.settings import Settings
from gateway.topology import load_topology
from tests.support.alerts import make_alert
from tests.support.hub import flat_outputs

pytestmark = pytest.mark.integration

ALERT = "INTERPOL:VIEW-1"  # originating country FRA (the sample's)
REPORTED = datetime(2027, 1, 15, 8, 0, tzinfo=UTC)


@dataclass
class Hubs:
    """Instance A routes and writes its changelog to the broker; instance B reads it."""

    names: TopicNames
    a: HubProcessor
    b: HubProcessor
    reader: ChangelogReader
    producer: AIOKafkaProducer
    bootstrap: str

    @property
    def inbox(self) -> TopicPartition:
        return TopicPartition(self.names.hub_inbox, 0)

    @property
    def interpol(self) -> TopicPartition:
        return TopicPartition(self.names.ingress("INTERPOL"), 0)

    async def on_a(self, tp: TopicPartition, record: Any) -> list[Output]:
        """A processes and commits the record; its changelog records reach the broker."""
        outputs = flat_outputs(self.a.process(tp, [record]))
        self.a.committed(tp)
        for out in outputs:
            if out.topic == self.names.hub_state:
                await self.producer.send_and_wait(
                    out.topic, out.value, key=out.key, headers=out.headers
                )
        return outputs


def _record(value: bytes | None, headers: list[tuple[str, bytes]], offset: int = 0) -> Any:
    return SimpleNamespace(offset=offset, value=value, headers=headers, timestamp=1, key=None)


def _msg(message: Message, offset: int = 0) -> Any:
    value, headers = encode_message(message)
    return _record(value, headers, offset)


def _hit(alert_id: str = ALERT) -> HitReport:
    return HitReport(
        hit_id="H-VIEW-1", alert_id=alert_id, alert_version=1, org="INTERPOL", tlp="GREEN",
        country="DEU", post_id="DEU-FRA", outcome=HitOutcome.ARRESTED, reported_at=REPORTED,
    )  # fmt: skip


def _quarantined(outputs: list[Output], names: TopicNames) -> list[Output]:
    return [o for o in outputs if o.topic == names.quarantine]


@pytest.fixture
async def hubs(bootstrap: str, prefix: str) -> AsyncIterator[Hubs]:
    names = TopicNames(prefix)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(names.hub_state, 1, 1)])
    finally:
        await admin.close()
    settings = Settings(bootstrap_servers=bootstrap, topic_prefix=prefix)
    policy, topology = load_policy(), load_topology()
    a = HubProcessor(policy=policy, topology=topology, names=names,
                     store=StateStore(names.hub_state), hub_id="a")  # fmt: skip
    store, side = StateStore(names.hub_state), SideStore(names.hub_state)
    reader = ChangelogReader(settings, store, side.restore)
    b = HubProcessor(policy=policy, topology=topology, names=names, store=store,
                     reader=reader, side=side, hub_id="b", metrics=HubMetrics())  # fmt: skip
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await reader.start()
    await producer.start()
    try:
        await reader.catch_up()
        yield Hubs(names, a, b, reader, producer, bootstrap)
    finally:
        await producer.stop()
        await reader.stop()


async def test_a_hit_on_an_alert_the_other_instance_just_routed_is_forwarded(hubs: Hubs) -> None:
    """B's view lacks an alert A committed a moment ago: the hit's batch is ready once B's
    tail has read it, and the hit goes to the issuer's outbound topic, not to quarantine."""
    await hubs.on_a(hubs.interpol, _record(make_alert(ALERT), []))
    batch = [_msg(_hit())]
    assert hubs.b.store.committed(ALERT) is None  # what used to quarantine it
    assert await hubs.b.prepare(hubs.inbox, batch)
    out = flat_outputs(hubs.b.process(hubs.inbox, batch))
    assert [o.topic for o in out if o.topic.startswith(hubs.names.outbound(""))] == [
        hubs.names.outbound("INTERPOL")
    ]
    assert not _quarantined(out, hubs.names)


async def test_a_hit_waits_while_an_open_transaction_hides_the_alert(hubs: Hubs) -> None:
    """A transaction opened on the changelog before the alert's commit hides the alert from
    read_committed readers: the hit is held (not quarantined) until that transaction ends,
    then forwarded."""
    other = AIOKafkaProducer(
        bootstrap_servers=hubs.bootstrap, transactional_id=f"{hubs.names.hub_state}-zombie"
    )
    await other.start()
    try:
        await other.begin_transaction()
        await other.send_and_wait(hubs.names.hub_state, b"{}", key=b"ZOMBIE:1")
        await hubs.on_a(hubs.interpol, _record(make_alert(ALERT), []))
        batch = [_msg(_hit())]
        assert not await hubs.b.prepare(hubs.inbox, batch)
        assert not await hubs.b.prepare(hubs.inbox, batch)  # still open: still held
        await other.abort_transaction()
    finally:
        await other.stop()
    assert await hubs.b.prepare(hubs.inbox, batch)
    assert hubs.b.metrics is not None
    waits = hubs.b.metrics.registry.get_sample_value("frontline_hub_view_waits_total")
    assert waits == 1.0  # one batch held, counted once however often it was read again
    out = flat_outputs(hubs.b.process(hubs.inbox, batch))
    assert any(o.topic == hubs.names.outbound("INTERPOL") for o in out)
    assert not _quarantined(out, hubs.names)


async def test_a_hit_on_an_alert_nobody_routed_is_quarantined_once_the_view_is_complete(
    hubs: Hubs,
) -> None:
    """A hit naming an alert no instance ever routed is held once, then (every commit made
    before it was read being in view) quarantined as unknown_alert."""
    batch = [_msg(_hit("INTERPOL:NEVER-ROUTED"))]
    assert not await hubs.b.prepare(hubs.inbox, batch)
    assert await hubs.b.prepare(hubs.inbox, batch)
    out = flat_outputs(hubs.b.process(hubs.inbox, batch))
    [quarantined] = _quarantined(out, hubs.names)
    assert b"unknown_alert" in b"".join(v for _, v in quarantined.headers)


async def test_an_acknowledgement_of_a_hit_the_other_instance_forwarded_reaches_the_country(
    hubs: Hubs,
) -> None:
    """A forwarded the hit (it owns the inbox); B, owning the organization's ingress
    partition, gets the acknowledgement before its tail read A's record of the hit: the
    acknowledgement waits for the view and goes to the reporting country, not to quarantine."""
    await hubs.on_a(hubs.interpol, _record(make_alert(ALERT), []))
    await hubs.on_a(hubs.inbox, _msg(_hit()))
    ack = HitAck(
        hit_id="H-VIEW-1", alert_id=ALERT, org="INTERPOL", instructions="hold and call",
        acked_at=REPORTED, acked_by="duty-officer",
    )  # fmt: skip
    batch = [_msg(ack)]
    assert await hubs.b.prepare(hubs.interpol, batch)
    out = flat_outputs(hubs.b.process(hubs.interpol, batch))
    assert [o.topic for o in out if o.topic.startswith(hubs.names.ncb(""))] == [
        hubs.names.ncb("DEU")
    ]
    assert not _quarantined(out, hubs.names)
