"""Connectors on the real broker: fixtures in, exact ingress and quarantine contents out."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.registry import get_connector
from connectors.runtime.metrics import ConnectorMetrics
from connectors.runtime.publisher import Publisher
from connectors.synthetic import get_generator
from gateway.contract.codec import decode
from gateway.errors import SetupError
from gateway.kafka.headers import RouteHeaders
from gateway.kafka.quarantine import QuarantineRecord
from tests.support.ingress import connector_settings, ingress_topics
from tests.support.kafka import read_all

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).parents[1] / "fixtures" / "connectors"


async def test_sample_and_broken_fixtures_land_exactly(
    bootstrap: str, prefix: str, tmp_path: Path
) -> None:
    """The INTERPOL sample gives 5 decodable ingress records; each broken fixture one quarantine."""
    names = await ingress_topics(bootstrap, prefix, "INTERPOL")
    connector = get_connector("INTERPOL")
    metrics = ConnectorMetrics()
    broken = sorted((FIXTURES / "interpol" / "broken").iterdir())
    async with Publisher(
        connector_settings(bootstrap, prefix, tmp_path), connector, metrics=metrics
    ) as pub:
        report = await pub.publish(connector.sample_path().read_bytes(), "interpol.json")
        for path in broken:
            report.stats.merge((await pub.publish(path.read_bytes(), path.name)).stats)
    total = report.stats.total
    assert (total.records_in, total.published, total.quarantined) == (
        5 + len(broken),
        5,
        len(broken),
    )
    assert all(s.balanced for s in report.stats.by_kind.values())
    assert metrics.value("INTERPOL", "WANTED_PERSON", "published") == 5

    ingress = await read_all(bootstrap, names.ingress("INTERPOL"), 5)
    assert len(ingress) == 5
    for record in ingress:
        assert record.value is not None
        alert = decode(record.value)
        headers = RouteHeaders.from_kafka(record.headers)
        assert record.key == alert.envelope.alert_id.encode()
        assert headers.version == alert.envelope.version
        assert (headers.kind, headers.org) == ("WANTED_PERSON", "INTERPOL")
        assert headers.ts_connector is not None
        assert headers.ts_issued == int(alert.envelope.issued_at.timestamp() * 1000)

    quarantine = await read_all(bootstrap, names.quarantine, len(broken))
    assert len(quarantine) == len(broken)
    by_source = {q.source.split("#")[0]: q for q in
                 (QuarantineRecord.from_kafka(r.value, r.headers) for r in quarantine)}  # fmt: skip
    assert set(by_source) == {p.name for p in broken}
    not_json = by_source["not_json.json"]
    assert not_json.stage == "split"
    assert not_json.reasons[0].code == "bad_json"
    assert not_json.original == (FIXTURES / "interpol" / "broken" / "not_json.json").read_bytes()
    assert by_source["summary_only.json"].reasons[0].path == "arrest_warrants"
    assert all(q.org == "INTERPOL" and q.component == "connector" for q in by_source.values())


async def test_rerun_publishes_same_keys_and_versions(
    bootstrap: str, prefix: str, tmp_path: Path
) -> None:
    """Publishing the same export twice writes the same (key, version) pairs again, no new ones."""
    names = await ingress_topics(bootstrap, prefix, "INTERPOL")
    connector = get_connector("INTERPOL")
    payload = connector.sample_path().read_bytes()
    settings = connector_settings(bootstrap, prefix, tmp_path)
    for _ in range(2):
        async with Publisher(settings, connector) as pub:
            await pub.publish(payload, "interpol.json")
    records = await read_all(bootstrap, names.ingress("INTERPOL"), 10)
    assert len(records) == 10
    pairs = [(r.key, RouteHeaders.from_kafka(r.headers).version) for r in records]
    assert len(set(pairs)) == 5
    assert all(pairs.count(p) == 2 for p in pairs)


async def test_generated_payload_publishes_every_record(
    bootstrap: str, prefix: str, tmp_path: Path
) -> None:
    """A generated payload of 3,000 records is fully acknowledged across several batches."""
    names = await ingress_topics(bootstrap, prefix, "INTERPOL")
    connector = get_connector("INTERPOL")
    payload = get_generator(connector.org).generate(random.Random(3), 3000, datetime.now(UTC))
    settings = connector_settings(bootstrap, prefix, tmp_path)
    async with Publisher(settings, connector, batch_size=500) as pub:
        report = await pub.publish(payload, "generated.json", keep_results=True)
    assert report.stats.total.published == 3000
    assert [r.index for r in report.results] == list(range(3000))
    records = await read_all(bootstrap, names.ingress("INTERPOL"), 3000)
    assert len(records) == 3000


async def test_missing_topics_is_a_setup_error(bootstrap: str, prefix: str, tmp_path: Path) -> None:
    """Without its ingress and quarantine topics a run stops with a fix, before publishing."""
    connector = get_connector("INTERPOL")
    with pytest.raises(SetupError, match="missing topics") as info:
        async with Publisher(connector_settings(bootstrap, prefix, tmp_path), connector):
            pass
    assert info.value.hint is not None
    assert "topics apply" in info.value.hint
