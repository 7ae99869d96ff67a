"""The node's per-version receipt bookkeeping stays bounded under endless revisions (soak)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from types import SimpleNamespace

from aiokafka import TopicPartition

from gateway.contract.messages import Receipt, encode_message
from gateway.kafka.topic_names import TopicNames
from gateway.node.receipts import KEEP_VERSIONS, VersionMap
from gateway.node.wayback import AlertEntry, WayBack
from gateway.topology import parse_topology
from tests.support.node import TOPOLOGY

NAMES = TopicNames("fl.")
NCB = TopicPartition(NAMES.ncb("FRA"), 0)
UP = TopicPartition(NAMES.up("FRA"), 0)
AT = datetime(2027, 1, 1, tzinfo=UTC)
POSTS = ("CDG", "MENTON")


def _receipt(alert_id: str, version: int, post: str, offset: int) -> SimpleNamespace:
    receipt = Receipt(
        alert_id=alert_id, version=version, removed=False, country="FRA", post_id=post, at=AT
    )
    value, headers = encode_message(receipt)
    key = f"{alert_id}:{post}".encode()
    return SimpleNamespace(offset=offset, key=key, value=value, headers=headers)


def _revise(way: WayBack, alert_id: str, version: int, now_ms: int) -> int:
    """Route one version to both posts, then count both posts' receipts and tick."""
    entry = AlertEntry(alert_id.encode(), b"v", [], version, POSTS, ())
    way.stage_alert(NCB, alert_id, entry)
    way.committed(NCB, "FRA")
    for i, post in enumerate(POSTS):
        way.on_up("FRA", UP, _receipt(alert_id, version, post, i), [])
    sent = len(way.summaries(UP, [], now_ms))
    way.committed(UP, "FRA")
    return sent


def test_receipts_and_summaries_keep_only_the_newest_versions() -> None:
    """50 versions of 20 alerts leave at most KEEP_VERSIONS entries per alert in every book."""
    way = WayBack(NAMES, parse_topology(TOPOLOGY).countries, summary_after_ms=0)
    alerts = [f"INTERPOL:B-{i}" for i in range(20)]
    sent = 0
    for version in range(1, 51):
        for alert_id in alerts:
            sent += _revise(way, alert_id, version, version * 1000)
    bound = len(alerts) * KEEP_VERSIONS
    assert len(way.states["FRA"].receipts.held) <= bound
    assert len(way._reported["FRA"]) <= bound
    assert len(way._first["FRA"]) <= bound
    assert sent == 1000  # every version was summarized complete (nothing stuck waiting)
    assert not way._waiting.get(UP)


def test_a_receipt_older_than_the_kept_versions_is_not_counted() -> None:
    """A late receipt for a version older than the newest kept is counted superseded, no more."""
    way = WayBack(NAMES, parse_topology(TOPOLOGY).countries, summary_after_ms=0)
    for version in range(1, KEEP_VERSIONS + 2):
        _revise(way, "INTERPOL:B-1", version, version * 1000)
    counts: list[tuple[str, tuple[str, ...], int]] = []
    way.on_up("FRA", UP, _receipt("INTERPOL:B-1", 1, "CDG", 9), counts)
    assert counts == [("receipts", ("FRA", "superseded"), 1)]
    assert way.summaries(UP, [], 99_000) == []


def test_version_map_drops_the_oldest_version_of_an_alert_only() -> None:
    """Adding a fifth version of one alert drops its oldest; other alerts keep theirs."""
    book: VersionMap[int] = VersionMap()
    book[("B", 1, False)] = 1
    for version in range(1, KEEP_VERSIONS + 2):
        book[("A", version, False)] = version
    assert ("A", 1, False) not in book
    assert ("A", KEEP_VERSIONS + 1, False) in book
    assert book.get(("B", 1, False)) == 1
    assert len(book) == KEEP_VERSIONS + 1


def test_a_complete_version_settles_the_alerts_older_versions() -> None:
    """Once a version is complete at every intended post, the books keep none of the alert's
    older versions (about one version per alert, not KEEP_VERSIONS), a repeated receipt of an
    older version is counted superseded, and an older version waiting for its summary is
    dropped from the wait instead of waiting for ever."""
    way = WayBack(NAMES, parse_topology(TOPOLOGY).countries, summary_after_ms=60_000)
    alerts = [f"INTERPOL:S-{i}" for i in range(20)]
    for version in range(1, 51):
        for alert_id in alerts:
            _revise(way, alert_id, version, version * 1000)
    assert len(way.states["FRA"].receipts.held) == len(alerts)
    assert len(way._reported["FRA"]) == len(alerts)
    counts: list[tuple[str, tuple[str, ...], int]] = []
    way.on_up("FRA", UP, _receipt("INTERPOL:S-1", 50, "CDG", 7), counts)  # a repeat: kept
    way.on_up("FRA", UP, _receipt("INTERPOL:S-1", 49, "CDG", 8), counts)
    assert ("receipts", ("FRA", "superseded"), 1) in counts
    # Version 51 reaches one post of two (waiting for its summary), then 52 completes.
    entry = AlertEntry(b"INTERPOL:S-2", b"v", [], 51, POSTS, ())
    way.stage_alert(NCB, "INTERPOL:S-2", entry)
    way.committed(NCB, "FRA")
    way.on_up("FRA", UP, _receipt("INTERPOL:S-2", 51, "CDG", 9), [])
    assert way.summaries(UP, [], 60_000) == []
    way.committed(UP, "FRA")
    _revise(way, "INTERPOL:S-2", 52, 61_000)
    assert way.summaries(UP, [], 200_000) == []
    assert not way._waiting.get(UP)


def _footprint(book: VersionMap[bool]) -> int:
    """Bytes of the map's containers (its outer dict, each alert's entries, their pairs)."""
    inner = book._by_alert.values()
    return sys.getsizeof(book._by_alert) + sum(
        sys.getsizeof(v) + sum(sys.getsizeof(p) for p in v) for v in inner
    )


def test_a_revised_alert_keeps_the_same_footprint() -> None:
    """Endless revisions of a constant population, each settled, keep the map's size constant
    (CPython 3.11 grows a one-entry dict that gains one key and loses one at every turn from 8
    to 16 slots, for good, after five turns: per-alert entries must not be such a dict)."""
    book: VersionMap[bool] = VersionMap()
    alerts = [f"INTERPOL:F-{i}" for i in range(200)]

    def revise(version: int) -> None:
        for alert_id in alerts:
            book[(alert_id, version, False)] = True
            book.settle(alert_id, version)

    for version in range(1, 3):
        revise(version)
    early = _footprint(book)
    for version in range(3, 40):
        revise(version)
    assert len(book) == len(alerts)
    assert _footprint(book) == early
