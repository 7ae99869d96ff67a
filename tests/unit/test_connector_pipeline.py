"""The shared connector pipeline, registry and publisher, with no broker (a fake producer)."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from connectors.base import (
    Accepted,
    Connector,
    ConnectorError,
    Outcome,
    RawRecord,
    Refused,
    process,
)
from connectors.registry import (
    CONNECTOR_MODULES,
    all_connectors,
    get_connector,
    load_connectors,
    unavailable_connectors,
)
from connectors.runtime.metrics import ConnectorMetrics
from connectors.runtime.publisher import Publisher, RunStats
from connectors.synthetic import get_generator
from gateway.contract import AnyAlert, Org
from gateway.contract.codec import decode
from gateway.errors import ConfigError
from gateway.kafka.clock import now_ms
from gateway.kafka.headers import RouteHeaders
from gateway.kafka.quarantine import QuarantineRecord
from gateway.settings import Settings
from tests.support.connectors import FakeProducer

NOW = datetime.now(UTC)


class BrokenConnector(Connector):
    """A connector whose parser has bugs, to prove the pipeline contains them."""

    org: ClassVar[str] = "INTERPOL"
    format_name: ClassVar[str] = "broken"
    description: ClassVar[str] = "raises on purpose"
    extensions: ClassVar[tuple[str, ...]] = (".x",)
    sample_file: ClassVar[str] = "none"

    def split(self, payload: bytes, source: str) -> Iterator[RawRecord]:
        if payload == b"explode":
            raise RuntimeError("bug in split")
        for i, line in enumerate(payload.split(b"\n")):
            yield RawRecord(self.org, source, i, line)

    def to_alert(self, record: RawRecord) -> AnyAlert:
        if record.data == b"keyerror":
            raise KeyError("secret personal value")
        if record.data == b"model":
            from gateway.contract import Envelope  # noqa: PLC0415  # local to this branch

            Envelope.model_validate({"alert_id": 1})
        if record.data == b"wrongtype":
            return "not an alert"  # type: ignore[return-value]  # why: a buggy mapper
        raise ConnectorError.one("parse", "x", "bad", "bad record")


def test_registry_lists_every_organization() -> None:
    """The registry names a module for each organization of the contract."""
    assert set(CONNECTOR_MODULES) == {o.value for o in Org}


def test_get_connector_is_case_insensitive_and_rejects_unknown() -> None:
    """'interpol' finds the INTERPOL connector; an unknown name is a ConfigError with a hint."""
    assert get_connector("interpol").org == "INTERPOL"
    with pytest.raises(ConfigError) as info:
        get_connector("NOPOL")
    assert info.value.hint is not None
    assert "INTERPOL" in info.value.hint


def test_all_connectors_loads_every_organization() -> None:
    """With every module importable, all_connectors gives one connector per organization."""
    assert [c.org for c in all_connectors()] == [o.value for o in CONNECTOR_MODULES]
    assert unavailable_connectors() == {}


def test_all_connectors_raises_on_a_connector_that_fails_to_import(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A connector module that fails to import is a ConfigError naming it, never left out."""
    broken = dict(CONNECTOR_MODULES)
    broken[Org.ECO] = ("connectors.no_such_module", "EcoConnector")
    monkeypatch.setattr("connectors.registry.CONNECTOR_MODULES", broken)
    with pytest.raises(ConfigError, match="ECO connector cannot be loaded") as info:
        all_connectors()
    assert info.value.hint is not None
    found, missing = load_connectors()
    assert list(missing) == ["ECO"]
    assert "ECO" not in {c.org for c in found}
    assert len(found) == len(CONNECTOR_MODULES) - 1


def test_connector_bugs_become_quarantine_reasons() -> None:
    """Exceptions in split or map are refusals with internal_error, never raised, never leaked."""
    connector = BrokenConnector()
    (split_failure,) = process(connector, b"explode", "src")
    assert isinstance(split_failure, Refused)
    assert split_failure.quarantine.stage == "split"
    assert split_failure.quarantine.original == b"explode"
    outcomes = list(process(connector, b"keyerror\nmodel\nwrongtype\nother", "src"))
    assert [o.quarantine.reasons[0].code for o in outcomes if isinstance(o, Refused)] == [
        "internal_error", "string_type", "internal_error", "bad",
    ]  # fmt: skip
    assert all("secret" not in r.message for o in outcomes if isinstance(o, Refused)
               for r in o.quarantine.reasons)  # fmt: skip
    assert [o.quarantine.source for o in outcomes if isinstance(o, Refused)] == [
        "src#0", "src#1", "src#2", "src#3",
    ]  # fmt: skip


def _available() -> list[Connector]:
    return all_connectors()


@pytest.mark.parametrize("connector", _available(), ids=lambda c: c.org)
def test_every_sample_is_fully_accepted(connector: Connector) -> None:
    """Each organization's shipped sample documents a format the connector accepts entirely."""
    outcomes = list(process(connector, connector.sample_path().read_bytes(), "sample"))
    assert outcomes
    refused = [o.quarantine.reasons for o in outcomes if isinstance(o, Refused)]
    assert refused == []


@pytest.mark.parametrize("connector", _available(), ids=lambda c: c.org)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fraction=st.floats(min_value=0.01, max_value=0.99))
def test_cut_export_never_vanishes(connector: Connector, fraction: float) -> None:
    """An export cut anywhere still yields at least one outcome: nothing disappears silently."""
    payload = connector.sample_path().read_bytes()
    cut = payload[: max(1, int(len(payload) * fraction))]
    if cut.strip():
        assert list(process(connector, cut, "cut", now=NOW))


@pytest.mark.parametrize("connector", _available(), ids=lambda c: c.org)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=300))
def test_arbitrary_bytes_end_in_quarantine_with_reasons(connector: Connector, data: bytes) -> None:
    """For every connector, any bytes give outcomes only, each refusal with a coded reason."""
    for outcome in process(connector, data, "fuzz", now=NOW):
        assert isinstance(outcome, Accepted | Refused)
        if isinstance(outcome, Refused):
            assert outcome.quarantine.reasons
            assert all(r.code for r in outcome.quarantine.reasons)


@pytest.mark.parametrize("connector", _available(), ids=lambda c: c.org)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cut=st.integers(min_value=0), flips=st.lists(st.tuples(st.integers(0), st.integers(0, 255))))
def test_mutated_samples_never_crash(
    connector: Connector, cut: int, flips: list[tuple[int, int]]
) -> None:
    """Truncated or byte-flipped samples are accepted or refused with reasons, never raised."""
    sample = bytearray(connector.sample_path().read_bytes())
    for position, value in flips:
        sample[position % len(sample)] = value
    data = bytes(sample[: cut % (len(sample) + 1)])
    for outcome in process(connector, data, "mutant", now=NOW):
        assert isinstance(outcome, Accepted | Refused)
        if isinstance(outcome, Refused):
            assert outcome.quarantine.reasons


def _publisher(producer: FakeProducer, **kwargs: Any) -> Publisher:
    settings = Settings(topic_prefix="u.")
    return Publisher(settings, get_connector("INTERPOL"), producer=producer, **kwargs)


async def test_published_alerts_carry_ingest_then_connector_time() -> None:
    """Every published alert says when its export arrived and when the connector sent it."""
    producer = FakeProducer()
    before = now_ms()
    async with _publisher(producer) as pub:
        await pub.publish(get_connector("INTERPOL").sample_path().read_bytes(), "sample.json")
    for _, _, _, headers in producer.on("u.ingress.interpol"):
        route = RouteHeaders.from_kafka(headers)
        assert route.ts_ingest is not None
        assert route.ts_connector is not None
        assert before <= route.ts_ingest <= route.ts_connector


async def test_publisher_routes_alerts_and_refusals() -> None:
    """Alerts go to ingress keyed by alert_id; refusals go to quarantine with their reasons."""
    producer = FakeProducer()
    metrics = ConnectorMetrics(CollectorRegistry())
    connector = get_connector("INTERPOL")
    payload = connector.sample_path().read_bytes()
    async with _publisher(producer, metrics=metrics, batch_size=2) as pub:
        report = await pub.publish(payload, "sample.json", keep_results=True)
        broken = await pub.publish(b"{nope", "bad.json", keep_results=True)
    assert producer.started
    assert producer.stopped
    ingress = producer.on("u.ingress.interpol")
    assert len(ingress) == 5
    for _, key, value, headers in ingress:
        assert value is not None
        alert = decode(value)
        assert key == alert.envelope.alert_id.encode()
        route = RouteHeaders.from_kafka(headers)
        assert (route.kind, route.org, route.version) == (
            "WANTED_PERSON", "INTERPOL", alert.envelope.version,
        )  # fmt: skip
        assert route.msg_type == alert.envelope.msg_type.value
        assert route.tlp == alert.envelope.tlp.value
    (quarantined,) = producer.on("u.quarantine")
    record = QuarantineRecord.from_kafka(quarantined[2], quarantined[3])
    assert (record.stage, record.reasons[0].code, record.original) == (
        "split",
        "bad_json",
        b"{nope",
    )
    assert quarantined[1] == b"INTERPOL:bad.json"
    assert report.stats.total.published == 5
    assert [r.alert_id for r in report.results][:1] == ["INTERPOL:2021/75051"]
    assert broken.results[0].as_json()["reasons"][0]["code"] == "bad_json"
    assert metrics.value("INTERPOL", "WANTED_PERSON", "published") == 5
    assert metrics.value("INTERPOL", "UNKNOWN", "quarantined") == 1


async def test_counts_balance_per_kind() -> None:
    """Records in equals published plus quarantined, per kind and in total."""
    producer = FakeProducer()
    connector = get_connector("INTERPOL")
    payload = get_generator(connector.org).generate(random.Random(5), 250, NOW)
    stats = RunStats()
    async with _publisher(producer, batch_size=64) as pub:
        stats.merge((await pub.publish(payload, "gen")).stats)
        stats.merge((await pub.publish(b"[1, 2]", "ints")).stats)
    assert stats.payloads == 2
    assert stats.by_kind["WANTED_PERSON"].published == 250
    assert stats.by_kind["UNKNOWN"].quarantined == 2
    assert all(s.balanced for s in stats.by_kind.values())
    assert stats.total.records_in == len(producer.sent) == 252


async def test_publish_before_start_is_a_setup_error() -> None:
    """Publishing with a publisher that was never started fails with a clear fix."""
    from gateway.errors import SetupError  # noqa: PLC0415  # used by this test only

    with pytest.raises(SetupError):
        await Publisher(Settings(), get_connector("INTERPOL")).publish(b"{}", "x")


async def test_delivery_failure_is_a_publish_error() -> None:
    """A write the broker does not acknowledge stops the run with a retriable PublishError."""
    from aiokafka.errors import KafkaTimeoutError  # noqa: PLC0415  # used by this test only

    from connectors.runtime.publisher import PublishError  # noqa: PLC0415  # used by this test only

    class FailingProducer(FakeProducer):
        async def send(
            self,
            topic: str,
            value: bytes | None = None,
            key: bytes | None = None,
            *,
            headers: list[tuple[str, bytes]] | None = None,
        ) -> asyncio.Future[Any]:
            future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            future.set_exception(KafkaTimeoutError())
            return future

    async with _publisher(FailingProducer()) as pub:
        with pytest.raises(PublishError) as info:
            await pub.publish(get_connector("INTERPOL").sample_path().read_bytes(), "s")
    assert info.value.retriable


def test_outcome_types_are_exhaustive() -> None:
    """Outcome is exactly Accepted or Refused, the two things a record can become."""
    assert set(Outcome.__args__) == {Accepted, Refused}


@pytest.mark.parametrize("connector", _available(), ids=lambda c: c.org)
def test_records_map_the_same_from_bytes_alone(connector: Connector) -> None:
    """What split pre-parsed is only a shortcut: each record maps the same from its bytes."""
    from dataclasses import replace  # noqa: PLC0415  # used by this test only

    for record in connector.split(connector.sample_path().read_bytes(), "sample"):
        assert connector.to_alert(replace(record, parsed=None)) == connector.to_alert(record)


async def test_worker_processes_publish_what_inline_publishes() -> None:
    """With --workers the same records go to the same topics, keys, values and order."""
    connector = get_connector("INTERPOL")
    payload = get_generator(connector.org).generate(random.Random(8), 1300, NOW)
    broken = b'[{"entity_id": "bad"}]'
    sent: list[list[tuple[str, bytes | None, bytes | None]]] = []
    counts = []
    for workers in (1, 2):
        producer = FakeProducer()
        async with _publisher(producer, workers=workers) as pub:
            report = await pub.publish(payload, "gen", now=NOW, keep_results=True)
            await pub.publish(broken, "broken", now=NOW)
        sent.append([(topic, key, value) for topic, key, value, _ in producer.sent])
        counts.append(report.stats.total)
        assert [r.index for r in report.results] == list(range(1300))
    assert sent[0] == sent[1]
    assert counts[0] == counts[1]
    assert sent[1][-1][0] == "u.quarantine"
