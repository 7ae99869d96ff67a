"""Delivery receipts at a post: one outbox row per committed change, none when turned off."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from aiokafka import TopicPartition

from gateway.contract.messages import Receipt, decode_as
from gateway.kafka.headers import RouteHeaders
from gateway.post import PostService
from gateway.settings import Settings
from tests.support.post import person_alert


def _apply(service: PostService, records: list[tuple[int, str, bytes | None]]) -> None:
    headers = RouteHeaders(kind="WANTED_PERSON", org="INTERPOL", tlp="GREEN", version=1)
    batch = [
        SimpleNamespace(offset=o, key=k.encode(), value=v, headers=headers.to_kafka())
        for o, k, v in records
    ]
    service.feed.apply({TopicPartition(service.topic, 0): batch})


def _receipts(service: PostService) -> list[Receipt]:
    rows = [r for r in service.outbox.next_batch(100) if r.kind == "receipt"]
    assert all(r.topic == "fl.up.FRA" for r in rows)
    assert all(
        r.key == f"{decode_as(Receipt, 'receipt', r.value).alert_id}:CDG".encode() for r in rows
    )
    return [decode_as(Receipt, "receipt", r.value) for r in rows]


def test_receipts_name_each_committed_version_and_removal(tmp_path: Path) -> None:
    """An upsert's receipt names its version; a tombstone's the version it removed; an older
    version the post refused gets none."""
    service = PostService(Settings(data_dir=tmp_path), "FRA", "CDG")
    _apply(
        service,
        [(0, "INTERPOL:P-1", person_alert(1, version=2)), (1, "INTERPOL:P-2", person_alert(2))],
    )
    _apply(service, [(2, "INTERPOL:P-1", person_alert(1, version=1))])  # stale: not committed
    _apply(service, [(3, "INTERPOL:P-2", None)])
    got = [(r.alert_id, r.version, r.removed, r.country, r.post_id) for r in _receipts(service)]
    assert got == [
        ("INTERPOL:P-1", 2, False, "FRA", "CDG"),
        ("INTERPOL:P-2", 1, False, "FRA", "CDG"),
        ("INTERPOL:P-2", 1, True, "FRA", "CDG"),
    ]
    service.close()


def test_receipts_can_be_turned_off(tmp_path: Path) -> None:
    """With receipts=False (FRONTLINE_RECEIPTS=false) the feed writes no receipt rows."""
    service = PostService(Settings(data_dir=tmp_path, receipts=False), "FRA", "CDG")
    _apply(service, [(0, "INTERPOL:P-1", person_alert(1))])
    assert len(service.watchlist) == 1
    assert service.outbox.pending() == 0
    service.close()
