"""Oversized records on the real broker: each one quarantined bounded, the rest published."""

from __future__ import annotations

import hashlib
import json
import random
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from connectors.registry import get_connector
from connectors.runtime.publisher import Publisher
from connectors.runtime.serve import create_app
from connectors.synthetic import get_generator
from gateway.kafka.headers import headers_to_dict
from gateway.kafka.quarantine import PREFIX_BYTES, Q_SHA256, Q_SIZE, QuarantineRecord
from tests.support.ingress import connector_settings, ingress_topics
from tests.support.kafka import read_all

pytestmark = pytest.mark.integration

TOKEN = "oversize-token-for-tests-only"  # noqa: S105  # a test value, not a secret


def _mixed() -> tuple[bytes, bytes]:
    """Four INTERPOL notices, the third carrying a 1.1 MB field; and that notice's bytes."""
    sample = json.loads(get_connector("INTERPOL").sample_path().read_bytes())
    notices = sample["_embedded"]["notices"][:4]
    notices[2]["distinguishing_marks"] = "Tattoo " * 160_000  # 1.1 MB
    sample["_embedded"]["notices"] = notices
    sample["total"] = 4
    third = json.dumps(notices[2], ensure_ascii=False).encode()
    return json.dumps(sample, ensure_ascii=False).encode(), third


async def test_oversized_notice_is_quarantined_bounded_and_the_rest_flows(
    bootstrap: str, prefix: str, tmp_path: Path
) -> None:
    """Notices 1, 2 and 4 are published, notice 3 (1.1 MB) quarantined too_large; twice over."""
    names = await ingress_topics(bootstrap, prefix, "INTERPOL")
    connector = get_connector("INTERPOL")
    payload, _ = _mixed()
    for _ in range(2):  # a rerun behaves the same: no poison pill
        async with Publisher(connector_settings(bootstrap, prefix, tmp_path), connector) as pub:
            report = await pub.publish(payload, "mixed.json", keep_results=True)
        total = report.stats.total
        assert (total.records_in, total.published, total.quarantined) == (4, 3, 1)
        assert [r.outcome for r in report.results] == [
            "published", "published", "quarantined", "published",
        ]  # fmt: skip
    ingress = await read_all(bootstrap, names.ingress("INTERPOL"), 6)
    assert len(ingress) == 6
    quarantine = await read_all(bootstrap, names.quarantine, 2)
    assert len(quarantine) == 2
    for record in quarantine:
        q = QuarantineRecord.from_kafka(record.value, record.headers)
        assert q.reasons[0].code == "too_large"
        assert q.source == "mixed.json#2"
        headers = headers_to_dict(record.headers)
        size = int(headers[Q_SIZE])
        assert size > 1_100_000
        assert len(q.original) == PREFIX_BYTES
        assert headers[Q_SHA256] in q.reasons[0].message
        assert q.original.startswith(b"{")


async def test_truncated_two_megabyte_export_is_quarantined_bounded(
    bootstrap: str, prefix: str, tmp_path: Path
) -> None:
    """A 2 MB export cut short is refused whole: one bounded too_large record, size and digest."""
    names = await ingress_topics(bootstrap, prefix, "INTERPOL")
    connector = get_connector("INTERPOL")
    full = get_generator(connector.org).generate(random.Random(7), 3_000, datetime.now(UTC))
    assert len(full) > 2_000_000
    payload = full[:2_000_000]
    async with Publisher(connector_settings(bootstrap, prefix, tmp_path), connector) as pub:
        report = await pub.publish(payload, "cut.json")
    assert report.stats.total.quarantined == 1
    (record,) = await read_all(bootstrap, names.quarantine, 1)
    q = QuarantineRecord.from_kafka(record.value, record.headers)
    headers = headers_to_dict(record.headers)
    assert [r.code for r in q.reasons][:2] == ["too_large", "bad_json"]
    assert q.stage == "split"
    assert int(headers[Q_SIZE]) == len(payload)
    assert headers[Q_SHA256] == hashlib.sha256(payload).hexdigest()
    assert payload.startswith(q.original)


async def test_intake_quarantines_fifteen_megabytes_of_garbage(
    bootstrap: str, prefix: str, tmp_path: Path
) -> None:
    """15 MB of garbage POSTed to the intake is answered 200 with one quarantine, not 503."""
    names = await ingress_topics(bootstrap, prefix, "INTERPOL")
    publisher = Publisher(
        connector_settings(bootstrap, prefix, tmp_path), get_connector("INTERPOL")
    )
    application = create_app(publisher, SecretStr(TOKEN))
    garbage = random.Random(3).randbytes(15 * 1024 * 1024)
    await publisher.start()
    try:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
            answer = await client.post(
                "/records", content=garbage, headers={"Authorization": f"Bearer {TOKEN}"},
                timeout=60,
            )  # fmt: skip
    finally:
        await publisher.stop()
    assert answer.status_code == 200, answer.text
    assert answer.json()["summary"] == {"records_in": 1, "published": 0, "quarantined": 1}
    assert answer.json()["records"][0]["reasons"][0]["code"] == "too_large"
    (record,) = await read_all(bootstrap, names.quarantine, 1)
    assert int(headers_to_dict(record.headers)[Q_SIZE]) == len(garbage)
