"""The post's SQLite store and the feed logic that fills it, without a broker."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka import TopicPartition
from prometheus_client import CollectorRegistry

from gateway.contract import WantedPersonAlert
from gateway.contract.codec import encode
from gateway.kafka.headers import RouteHeaders
from gateway.post import PostFeed, PostMetrics, PostStore
from gateway.post.screening import PersonQuery, Watchlist, screen_person
from gateway.post.store import Change
from gateway.settings import Settings

EXAMPLE = Path(__file__).resolve().parents[2] / "schemas" / "examples" / "wanted_person.json"
TOPIC = "fl.post.FRA.CDG"


def payload(alert_id: str, family: str, *, version: int = 1, tlp: str = "AMBER") -> bytes:
    """An encoded wanted-person alert built from the shipped example."""
    data = json.loads(EXAMPLE.read_text())
    data["envelope"].update(alert_id=alert_id, version=version, tlp=tlp)
    data["subject"]["family_name"] = family
    return encode(WantedPersonAlert.model_validate(data))


def record(offset: int, key: str, value: bytes | None, **headers: Any) -> SimpleNamespace:
    """A ConsumerRecord look-alike as the feed reads it."""
    route = RouteHeaders(
        kind="WANTED_PERSON", org="INTERPOL", tlp=headers.get("tlp", "AMBER"), status="ACTUAL",
        msg_type="ALERT", version=1, ts_issued=1000, ts_connector=1100, ts_hub=1200, ts_node=1300,
    )  # fmt: skip
    return SimpleNamespace(offset=offset, key=key.encode(), value=value, headers=route.to_kafka())


def make_feed(tmp_path: Path, registry: CollectorRegistry | None = None) -> PostFeed:
    """A feed over a fresh store and watchlist, never started."""
    store = PostStore(tmp_path / "post.sqlite")
    metrics = PostMetrics(registry or CollectorRegistry(), "FRA.CDG")
    return PostFeed(Settings(data_dir=tmp_path), TOPIC, store, Watchlist(), metrics)


def test_store_keeps_records_and_offsets_across_reopen(tmp_path: Path) -> None:
    """Records and offsets written in one batch are read back after reopening the file."""
    store = PostStore(tmp_path / "s.sqlite")
    store.apply([Change("A:1", 1, b"x", "INTERPOL", ("B:2",))], {(TOPIC, 0): 5}, {"k": "v"})
    store.close()
    again = PostStore(tmp_path / "s.sqlite")
    assert [r.alert_id for r in again.records()] == ["A:1"]
    held = next(again.records())
    assert (held.org, held.linked) == ("INTERPOL", ("B:2",))
    assert again.offsets(TOPIC) == {0: 5}
    assert again.meta("k") == "v"
    again.apply([Change("A:1")], {(TOPIC, 0): 6})
    assert again.count() == 0
    again.reset()
    assert again.offsets(TOPIC) == {}


def test_failed_batch_writes_nothing(tmp_path: Path) -> None:
    """A batch that fails midway leaves neither its records nor its offsets behind."""
    store = PostStore(tmp_path / "s.sqlite")
    bad = Change("A:2", 1, object())  # type: ignore[arg-type]  # why: SQLite cannot bind it
    with pytest.raises(sqlite3.Error):
        store.apply([Change("A:1", 1, b"x"), bad], {(TOPIC, 0): 9})
    assert store.count() == 0
    assert store.offsets(TOPIC) == {}


def test_feed_batch_updates_watchlist_store_and_metrics(tmp_path: Path) -> None:
    """Upserts stay, a tombstone and a RED record remove, garbage is counted as rejected."""
    registry = CollectorRegistry()
    feed = make_feed(tmp_path, registry)
    tp = TopicPartition(TOPIC, 0)
    feed.apply({tp: [
        record(0, "A:1", payload("A:1", "ERIKSSON")),
        record(1, "A:2", payload("A:2", "KARLSSON")),
        record(2, "A:3", payload("A:3", "NILSSON")),
        record(3, "A:2", None),
        record(4, "A:3", payload("A:3", "NILSSON", version=2, tlp="RED"), tlp="RED"),
        record(5, "A:4", b"garbage"),
    ]})  # fmt: skip
    assert sorted(e.alert_id for e in feed.watchlist.entries()) == ["A:1"]
    assert [r.alert_id for r in feed.store.records()] == ["A:1"]
    assert feed.store.offsets(TOPIC) == {0: 6}
    value = registry.get_sample_value
    assert value("frontline_post_records_total", {"post": "FRA.CDG", "outcome": "rejected"}) == 1
    assert value("frontline_post_records_total", {"post": "FRA.CDG", "outcome": "red_dropped"}) == 1
    hop = {"hop": "hub", "org": "INTERPOL", "kind": "WANTED_PERSON"}
    assert value("frontline_post_hop_latency_seconds_count", hop) == 3
    assert value("frontline_post_hop_latency_seconds_sum", hop) == pytest.approx(0.3)


def test_restart_restores_watchlist_from_store(tmp_path: Path) -> None:
    """A new feed over the same store answers screenings before reading any Kafka record."""
    feed = make_feed(tmp_path)
    feed.apply({TopicPartition(TOPIC, 0): [record(0, "A:1", payload("A:1", "ERIKSSON"))]})
    feed.store.close()
    again = make_feed(tmp_path)
    assert again.restore() == 1
    hits = screen_person(again.watchlist, PersonQuery(name="Anna Maria Eriksson"))
    assert [h.subject_id for h in hits] == ["A:1"]
    assert again.staleness_seconds() is not None


def test_older_version_does_not_replace_newer(tmp_path: Path) -> None:
    """A version older than the held one changes neither the watchlist nor the store."""
    feed = make_feed(tmp_path)
    tp = TopicPartition(TOPIC, 0)
    feed.apply({tp: [record(0, "A:1", payload("A:1", "ERIKSSON", version=3))]})
    feed.apply({tp: [record(1, "A:1", payload("A:1", "OLDNAME", version=2))]})
    entry = feed.watchlist.get("A:1")
    assert entry is not None
    assert entry.version == 3
    assert [r.version for r in feed.store.records()] == [3]


def test_staleness_is_none_before_any_contact(tmp_path: Path) -> None:
    """A post that never reached its feed reports no staleness and a -1 gauge."""
    registry = CollectorRegistry()
    feed = make_feed(tmp_path, registry)
    feed.refresh_gauges()
    assert feed.staleness_seconds() is None
    assert registry.get_sample_value("frontline_post_staleness_seconds", {"post": "FRA.CDG"}) == -1


class FakeConsumer:
    """The three consumer calls positioning uses, recording where each partition starts."""

    def __init__(self, log_start: int) -> None:
        self.log_start = log_start
        self.positions: dict[int, int | str] = {}

    async def beginning_offsets(self, tps: list[TopicPartition]) -> dict[TopicPartition, int]:
        return dict.fromkeys(tps, self.log_start)

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.positions[tp.partition] = offset

    async def seek_to_beginning(self, tp: TopicPartition) -> None:
        self.positions[tp.partition] = "beginning"


@pytest.mark.parametrize(
    ("log_start", "contact_age_s", "expected"),
    [
        (0, 60, {0: 1, 1: "beginning"}),  # resume where the store stopped
        (5, 60, {0: "beginning", 1: "beginning"}),  # offset compacted away: rebuild
        (0, 7 * 24 * 3600, {0: "beginning", 1: "beginning"}),  # tombstones may be gone: rebuild
    ],
)
async def test_restart_resumes_or_rebuilds(
    tmp_path: Path, log_start: int, contact_age_s: float, expected: dict[int, int | str]
) -> None:
    """A restart resumes at the stored offsets unless a deletion may have been missed."""
    feed = make_feed(tmp_path)
    feed.apply({TopicPartition(TOPIC, 0): [record(0, "A:1", payload("A:1", "ERIKSSON"))]})
    assert feed.last_contact_ms is None  # no fetch happened: the clock below sets the age
    feed.last_contact_ms = int((time.time() - contact_age_s) * 1000)
    consumer = FakeConsumer(log_start)
    tps = [TopicPartition(TOPIC, 0), TopicPartition(TOPIC, 1)]
    await feed._position(consumer, tps)  # a stand-in consumer (aiokafka is untyped)
    assert consumer.positions == expected
    rebuilt = expected[0] == "beginning"
    assert (len(feed.watchlist), feed.store.count()) == ((0, 0) if rebuilt else (1, 1))


def test_store_of_an_older_layout_starts_again(tmp_path: Path) -> None:
    """A store file written by an older layout is emptied rather than misread."""
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE records (alert_id TEXT PRIMARY KEY, headers TEXT)")
        db.execute("INSERT INTO records VALUES ('A:1', '[]')")
    store = PostStore(path)
    assert store.count() == 0
    store.apply([Change("A:2", 1, b"x", "INTERPOL")], {(TOPIC, 0): 1})
    assert [r.alert_id for r in store.records()] == ["A:2"]


def test_route_of_reads_what_the_post_needs() -> None:
    """Routing headers parse in one pass; a malformed timestamp counts as missing."""
    route = RouteHeaders.from_kafka(
        [("fl-org", b"EUROPOL"), ("fl-tlp", b"RED"), ("fl-linked", b"A:1,B:2"),
         ("fl-ts-hub", b"12"), ("fl-ts-node", b"x"), ("other", b"y")]
    )  # fmt: skip
    assert route == RouteHeaders(
        org="EUROPOL", tlp="RED", linked=("A:1", "B:2"), ts_hub=12, extra={"other": "y"}
    )
