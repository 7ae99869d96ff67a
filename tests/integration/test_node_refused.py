"""A border-post feed that refuses the national node's writes: nothing is lost or doubled."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from gateway.contract import AlertKind
from gateway.kafka.document_header import DOCUMENT_HEADER, read_document_header
from gateway.kafka.eos import TopicRefusedError
from gateway.kafka.headers import RouteHeaders
from gateway.kafka.layout import apply_topics, plan_topics
from gateway.kafka.topic_names import TopicNames
from gateway.node.service import NodeService
from gateway.settings import Settings
from gateway.topology import parse_topology
from tests.support.alerts import make_alert
from tests.support.kafka import limit_message_bytes, read_all
from tests.support.node import send

pytestmark = pytest.mark.integration

# Paris CDG takes wanted persons and travel documents.
TOPOLOGY = """version = 1
[[organizations]]
code = "INTERPOL"
name = "INTERPOL"
kind = "global"
[[countries]]
code = "FRA"
name = "France"
  [[countries.posts]]
  id = "CDG"
  name = "Paris CDG"
  type = "AIRPORT"
  [countries.posts.subscribes]
  kinds = ["WANTED_PERSON", "TRAVEL_DOCUMENT"]
"""


async def _run(settings: Settings, *, until_held: int | None = None) -> None:
    """France's node until it stops by itself (a refused write), CDG's feed holds
    ``until_held`` records, or 20 s pass; then stopped cleanly."""
    service = NodeService(settings, parse_topology(TOPOLOGY), ["FRA"])
    task = asyncio.create_task(service.run())
    feed = TopicNames(settings.topic_prefix).post("FRA", "CDG")
    try:
        for _ in range(40):
            done, _ = await asyncio.wait({task}, timeout=0.5)
            if done:
                await task  # raises what stopped it
                return
            if until_held is not None:
                held = await read_all(str(settings.bootstrap_servers), feed, quiet_s=0.2)
                if len(held) >= until_held:
                    break
    finally:
        if not task.done():
            service.stop()
            await asyncio.wait_for(task, 30)


async def test_a_refused_post_feed_stops_the_node_and_a_restart_delivers_each_record_once(
    bootstrap: str, prefix: str, tmp_path: Path
) -> None:
    """CDG's feed refuses records over 200 bytes: the node stops naming the topic and the
    fix, the feed holds nothing; with the limit raised a restarted node delivers the wanted
    person and the stolen passport (with its fl-doc header) exactly once each."""
    path = tmp_path / "topology.toml"
    path.write_text(TOPOLOGY, encoding="utf-8")
    settings = Settings(
        bootstrap_servers=bootstrap, topic_prefix=prefix, topology_file=path, commit_interval_ms=50
    )
    results = await apply_topics(plan_topics(parse_topology(TOPOLOGY), settings), settings)
    assert all(r.ok for r in results)
    names = TopicNames(prefix)
    feed = names.post("FRA", "CDG")
    await limit_message_bytes(bootstrap, feed, 200)
    for alert_id, kind, subject in (
        ("INTERPOL:R-1", AlertKind.WANTED_PERSON, None),
        ("INTERPOL:SLTD-R-2", AlertKind.TRAVEL_DOCUMENT, {"document_number": "RF123456"}),
    ):
        headers = RouteHeaders(
            kind=kind.value, org="INTERPOL", tlp="GREEN", status="ACTUAL", msg_type="ALERT",
            version=1, ts_hub=1,
        ).to_kafka()  # fmt: skip
        value = make_alert(alert_id, kind=kind, subject=subject)
        await send(settings, names.ncb("FRA"), alert_id.encode(), value, headers)

    with pytest.raises(TopicRefusedError) as caught:
        await _run(settings)
    assert feed in caught.value.message
    assert "max.message.bytes" in (caught.value.hint or "")
    assert await read_all(bootstrap, feed, quiet_s=0.5) == []

    await limit_message_bytes(bootstrap, feed, 1_048_588)
    await _run(settings, until_held=2)
    held = await read_all(bootstrap, feed, quiet_s=0.5)
    assert sorted(r.key.decode() for r in held) == ["INTERPOL:R-1", "INTERPOL:SLTD-R-2"]
    doc = next(r for r in held if r.key == b"INTERPOL:SLTD-R-2")
    fields = read_document_header(dict(doc.headers)[DOCUMENT_HEADER])
    assert fields is not None
    assert fields.number == "RF123456"
