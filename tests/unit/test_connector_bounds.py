"""Inputs a connector bounds: an intake body past its limit, records too large for a topic."""

from __future__ import annotations

import hashlib
import json
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from prometheus_client import CollectorRegistry
from pydantic import SecretStr

from connectors.base import RawRecord, process_record
from connectors.registry import get_connector
from connectors.runtime.metrics import ConnectorMetrics
from connectors.runtime.publisher import Publisher
from connectors.runtime.serve import MAX_BODY_BYTES, create_app
from connectors.runtime.watch import DirectoryWatcher, Ledger, ledger_path
from connectors.runtime.workers import Limits, to_ready
from gateway.kafka.quarantine import PREFIX_BYTES, Q_SHA256, Q_SIZE, record_size
from gateway.settings import Settings
from tests.support.connectors import FakeProducer

TOKEN = "bounds-token-for-tests-only"  # noqa: S105  # a test value, not a secret
CHUNK = 1024 * 1024


async def _post(
    body: AsyncIterator[bytes] | bytes, tmp_path: Path, headers: dict[str, str] | None = None
) -> tuple[httpx.Response, FakeProducer]:
    producer = FakeProducer()
    publisher = Publisher(
        Settings(topic_prefix="b.", data_dir=tmp_path), get_connector("INTERPOL"),
        producer=producer, metrics=ConnectorMetrics(CollectorRegistry()),
    )  # fmt: skip
    await publisher.start()
    transport = httpx.ASGITransport(app=create_app(publisher, SecretStr(TOKEN)))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
            answer = await client.post(
                "/records", content=body,
                headers={"Authorization": f"Bearer {TOKEN}", **(headers or {})},
            )  # fmt: skip
    finally:
        await publisher.stop()
    return answer, producer


async def test_chunked_body_past_the_limit_stops_reading_with_bounded_memory(
    tmp_path: Path,
) -> None:
    """A 1,000 MiB chunked POST is answered 413 after about 16 MiB read, peak memory bounded."""
    pulled = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal pulled
        block = b"x" * CHUNK
        for _ in range(1000):
            pulled += 1
            yield block

    tracemalloc.start()
    try:
        answer, producer = await _post(chunks(), tmp_path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert answer.status_code == 413
    assert answer.json()["error"] == "too_large"
    assert pulled <= MAX_BODY_BYTES // CHUNK + 2
    assert peak < 3 * MAX_BODY_BYTES
    assert producer.sent == []


async def test_declared_length_past_the_limit_is_refused_unread(tmp_path: Path) -> None:
    """A Content-Length over the limit is answered 413 before a byte of the body is read."""
    pulled = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal pulled
        pulled += 1
        yield b"x"

    answer, producer = await _post(
        chunks(), tmp_path, headers={"Content-Length": str(MAX_BODY_BYTES + 1)}
    )
    assert answer.status_code == 413
    assert pulled == 0
    assert producer.sent == []


async def test_body_at_the_limit_is_read_and_quarantined(tmp_path: Path) -> None:
    """A body of exactly the limit is accepted and ends as one bounded quarantine record."""
    body = b"\xff" * MAX_BODY_BYTES
    answer, producer = await _post(body, tmp_path)
    assert answer.status_code == 200
    assert answer.json()["summary"]["quarantined"] == 1
    ((_, _, value, headers),) = producer.sent
    assert value is not None
    assert len(value) == PREFIX_BYTES
    assert dict(headers)[Q_SIZE] == str(MAX_BODY_BYTES).encode()
    assert dict(headers)[Q_SHA256] == hashlib.sha256(body).hexdigest().encode()


def test_oversized_alert_becomes_a_bounded_too_large_quarantine() -> None:
    """An alert over the ingress limit is quarantined too_large with its native bytes."""
    connector = get_connector("INTERPOL")
    data = connector.sample_path().read_bytes()
    record = next(iter(connector.split(data, "s.json")))
    outcome = process_record(connector, record)
    small = to_ready(outcome, 0, 0.0, Limits(ingress=2_000, quarantine=100_000))
    assert small.published
    tight = to_ready(outcome, 0, 0.0, Limits(ingress=600, quarantine=100_000))
    assert not tight.published
    assert tight.result.reasons[0].code == "too_large"
    assert tight.value == record.data  # small enough to keep whole: replayable
    assert tight.key == b"INTERPOL:s.json#0"


def test_too_large_record_fits_a_smaller_quarantine_limit() -> None:
    """A quarantine topic limit of 200 kB still takes the bounded record of a 500 kB one."""
    connector = get_connector("INTERPOL")
    record = RawRecord("INTERPOL", "big.json", 0, b"{" + b"a" * 500_000)
    outcome = process_record(connector, record)
    ready = to_ready(outcome, 0, 0.0, Limits(ingress=1_048_576, quarantine=200_000))
    assert not ready.published
    assert len(ready.value) == PREFIX_BYTES
    assert record_size(ready.key, ready.value, ready.headers) + 1024 <= 200_000
    assert record.data.startswith(ready.value)


def test_reasons_quoting_the_input_are_bounded() -> None:
    """A reason whose path is an input's field name (ECO's unknown_field) is cut short."""
    connector = get_connector("ECO")
    payload = connector.sample_path().read_bytes()
    at = payload.index(b"\n") + 1
    record = RawRecord("ECO", "eco.txt", 0, payload[:at] + b"Z" * 500_000 + b": x\n" + payload[at:])
    outcome = process_record(connector, record)
    ready = to_ready(outcome, 0, 0.0)
    assert not ready.published
    assert all(len(r.path) <= 120 and len(r.message) <= 300 for r in ready.result.reasons)
    assert record_size(ready.key, ready.value, ready.headers) < 1_048_576


async def test_watcher_publishes_a_file_with_an_oversized_notice(tmp_path: Path) -> None:
    """--watch takes a file whose third notice is 1.1 MB: 3 published, 1 too_large, ledgered."""
    sample = json.loads(get_connector("INTERPOL").sample_path().read_bytes())
    notices = sample["_embedded"]["notices"][:4]
    notices[2]["distinguishing_marks"] = "Tattoo " * 160_000
    sample["_embedded"]["notices"] = notices
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "mixed.json").write_bytes(json.dumps(sample).encode())
    producer = FakeProducer()
    publisher = Publisher(
        Settings(topic_prefix="b.", data_dir=tmp_path), get_connector("INTERPOL"),
        producer=producer, metrics=ConnectorMetrics(CollectorRegistry()),
    )  # fmt: skip
    ledger = Ledger(ledger_path(Settings(data_dir=tmp_path), "INTERPOL"))
    async with publisher:
        watcher = DirectoryWatcher(publisher, inbox, ledger, interval=0.01)
        await watcher.poll_once()
        assert [p.name for p in await watcher.poll_once()] == ["mixed.json"]
    assert ledger.count() == 1
    ledger.close()
    assert len(producer.on("b.ingress.interpol")) == 3
    ((_, _, value, headers),) = producer.on("b.quarantine")
    assert value is not None
    assert len(value) == PREFIX_BYTES
    assert int(dict(headers)[Q_SIZE]) > 1_100_000
