"""The post's ring of latest watchlist changes, fed by the feed as it applies batches."""

from __future__ import annotations

from aiokafka import TopicPartition

from gateway.post import PostService
from gateway.post.changes import ChangeRing
from tests.support.alerts import make_alert
from tests.support.post import feed_record, service  # noqa: F401  # why: the shared fixture


def test_feed_notes_new_updated_and_revoked(service: PostService) -> None:  # noqa: F811  # why: fixture
    """A new alert, a newer version and a tombstone are noted in order; a stale one is not."""
    start = service.changes.seq
    tp = TopicPartition(service.topic, 0)
    service.feed.apply(
        {tp: [feed_record(2, "INTERPOL:N-1", make_alert("INTERPOL:N-1"), "WANTED_PERSON")]}
    )
    service.feed.apply(
        {tp: [feed_record(3, "INTERPOL:N-1", make_alert("INTERPOL:N-1", 2), "WANTED_PERSON")]}
    )
    service.feed.apply(
        {tp: [feed_record(4, "INTERPOL:N-1", make_alert("INTERPOL:N-1", 1), "WANTED_PERSON")]}
    )
    service.feed.apply({tp: [feed_record(5, "INTERPOL:2025-118422", None, "WANTED_PERSON")]})  # type: ignore[arg-type]  # why: a tombstone
    changes, forgotten = service.changes.since(start)
    assert [(c.change, c.alert_id, c.version) for c in changes] == [
        ("revoked", "INTERPOL:2025-118422", 1),
        ("updated", "INTERPOL:N-1", 2),
        ("new", "INTERPOL:N-1", 1),
    ]
    assert forgotten == 0
    assert changes[0].label == "ANNA MARIA ERIKSSON"
    assert service.changes.since(service.changes.seq) == ([], 0)


def test_ring_is_bounded_and_counts_what_it_forgot(service: PostService) -> None:  # noqa: F811  # why: fixture
    """Past its capacity the ring keeps the newest changes and says how many it dropped."""
    ring = ChangeRing(capacity=3)
    service.feed.changes = ring
    tp = TopicPartition(service.topic, 0)
    batch = [
        feed_record(10 + i, f"INTERPOL:B-{i}", make_alert(f"INTERPOL:B-{i}"), "WANTED_PERSON")
        for i in range(5)
    ]
    service.feed.apply({tp: batch})
    changes, forgotten = ring.since(0)
    assert [c.alert_id for c in changes] == ["INTERPOL:B-4", "INTERPOL:B-3", "INTERPOL:B-2"]
    assert forgotten == 0  # of one batch, only its last ``capacity`` alerts are looked at
    more = [feed_record(20, "INTERPOL:B-5", make_alert("INTERPOL:B-5"), "WANTED_PERSON")]
    service.feed.apply({tp: more})
    changes, forgotten = ring.since(0)
    assert [c.alert_id for c in changes] == ["INTERPOL:B-5", "INTERPOL:B-4", "INTERPOL:B-3"]
    assert forgotten == 1
