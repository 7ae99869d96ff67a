"""A national topic that refuses the hub's writes: nothing is recorded as delivered that is not."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiokafka import TopicPartition

from connectors.registry import get_connector
from connectors.runtime.publisher import Publisher
from gateway.hub.service import HubService
from gateway.kafka.eos import TopicRefusedError
from gateway.kafka.topic_names import TopicNames
from gateway.settings import Settings
from tests.support.hub import COUNTRIES, SAMPLE, TOPOLOGY, create_hub_topics
from tests.support.kafka import committed_offsets, limit_message_bytes, read_all

pytestmark = pytest.mark.integration


def delivered_to(audit: list[Any]) -> dict[str, set[tuple[str, int]]]:
    """(alert id, version) pairs each country was told of by DELIVERED audit records."""
    out: dict[str, set[tuple[str, int]]] = {c: set() for c in COUNTRIES}
    for record in audit:
        entry = orjson.loads(record.value)
        if entry["action"] in {"DELIVERED", "UPDATED"}:
            for country in entry["recipients"]:
                out.setdefault(country, set()).add((entry["alert_id"], entry["version"]))
    return out


async def test_topic_refusing_writes_stops_the_hub_and_audit_matches(
    bootstrap: str, prefix: str, tmp_path: Path
) -> None:
    """FRA's topic refuses records over 600 bytes: the hub stops naming it, commits nothing of the
    failed transactions, and the audit never says DELIVERED for a record FRA's topic lacks."""
    topology = tmp_path / "topology.toml"
    topology.write_text(TOPOLOGY, encoding="utf-8")
    settings = Settings(
        bootstrap_servers=bootstrap, topic_prefix=prefix, topology_file=topology,
        commit_interval_ms=50,
    )  # fmt: skip
    await create_hub_topics(settings, TOPOLOGY)
    names = TopicNames(prefix)
    await limit_message_bytes(bootstrap, names.ncb("FRA"), 600)
    service = HubService(settings, hub_id="test-hub")
    task = asyncio.create_task(service.run())
    await asyncio.wait_for(service.engine.ready.wait(), 30)
    async with Publisher(settings, get_connector("INTERPOL")) as publisher:
        await publisher.publish(SAMPLE.read_bytes(), "interpol.json")
    ingress = await read_all(bootstrap, names.ingress("INTERPOL"), 5)
    assert len(ingress) == 5
    try:
        with pytest.raises(TopicRefusedError) as caught:
            await asyncio.wait_for(asyncio.shield(task), 40)
    finally:
        if not task.done():
            service.stop()
            await asyncio.wait_for(task, 30)
    assert names.ncb("FRA") in caught.value.message
    assert "max.message.bytes" in (caught.value.hint or "")
    audit = await read_all(bootstrap, names.audit, quiet_s=1.0)
    told = delivered_to(audit)
    for country in COUNTRIES:
        held = {
            (r.key.decode(), int(dict(r.headers)["fl-version"]))
            for r in await read_all(bootstrap, names.ncb(country), quiet_s=0.3)
            if r.value is not None
        }
        assert told[country] <= held, f"{country}: audited as delivered but absent"
    # The refused alerts' input offsets were not committed: a restart reads them again.
    committed = await committed_offsets(bootstrap, f"{prefix}hub")
    ends = {TopicPartition(r.topic, r.partition) for r in ingress}
    last = {tp: max(r.offset for r in ingress if (r.topic, r.partition) == tp) for tp in ends}
    assert any(committed.get(tp, 0) <= last[tp] for tp in ends)
