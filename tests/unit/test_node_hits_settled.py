"""A running node keeps a settled hit as a small SettledHit (status and reporting post), not
its whole report: a node holds every hit of its up topic's retention, and in a steady soak the
reports were the node's largest growing population. What a settled hit is still needed for
keeps working: a re-sent report is a duplicate, a late decision is ignored, the issuer's
acknowledgement reaches the reporting post."""

from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime

from aiokafka import TopicPartition

from gateway.contract.enums import Org
from gateway.contract.messages import HitAck, HitDecision, HitDecisionKind, HitOutcome, HitReport
from gateway.kafka.topic_names import TopicNames
from gateway.node.hits import HitEntry, HitStatus, SettledHit
from gateway.node.metrics import NodeMetrics
from gateway.node.service import NodeProcessor
from gateway.topology import parse_topology
from tests.support.node import TOPOLOGY, hit, message_record

NOW = datetime(2025, 1, 1, tzinfo=UTC)
NAMES = TopicNames("fl.")


def _hit(hit_id: str, outcome: HitOutcome = HitOutcome.ARRESTED) -> HitReport:
    """A French post's report with the free text an officer may add."""
    return hit(hit_id, outcome).model_copy(
        update={"place": "Terminal 2E, gate K41", "note": "two companions, onward to Dakar"}
    )


def _processor() -> NodeProcessor:
    return NodeProcessor(NAMES, parse_topology(TOPOLOGY).countries, NodeMetrics())


def _decision(hit_id: str, kind: HitDecisionKind) -> HitDecision:
    return HitDecision(hit_id=hit_id, country="FRA", decision=kind, decided_at=NOW, decided_by="d")


def test_a_settled_hit_is_kept_small_and_a_pending_one_whole() -> None:
    """After commit, a confirmed and a false-match hit are SettledHits naming the post; a
    pending one keeps its report (a later CONFIRMED decision forwards it)."""
    processor = _processor()
    up = TopicPartition(NAMES.up("FRA"), 0)
    confirm = _decision("A", HitDecisionKind.CONFIRMED)
    processor.process(
        up,
        [
            message_record(0, "A", _hit("A")),
            message_record(1, "A", confirm),
            message_record(2, "B", _hit("B", HitOutcome.FALSE_MATCH)),
            message_record(3, "C", _hit("C")),
        ],
    )
    processor.committed(up)
    hits = processor.wayback.states["FRA"].hits
    assert hits["A"] == SettledHit(HitStatus.CONFIRMED, "CDG")
    assert hits["B"] == SettledHit(HitStatus.FALSE_MATCH, "CDG")
    assert isinstance(hits["C"], HitEntry)
    assert hits["C"].status is HitStatus.PENDING
    out = processor.process(up, [message_record(4, "C", _decision("C", HitDecisionKind.CONFIRMED))])
    assert [(o.topic, o.key) for o in out] == [(NAMES.hub_inbox, b"C")]


def test_a_settled_hit_still_ignores_resends_and_late_decisions_and_routes_its_ack() -> None:
    """A re-sent report and a second decision on a settled hit produce nothing; the issuer's
    acknowledgement on the national topic goes to the reporting post's feed."""
    processor = _processor()
    up = TopicPartition(NAMES.up("FRA"), 0)
    confirm = _decision("A", HitDecisionKind.CONFIRMED)
    processor.process(up, [message_record(0, "A", _hit("A")), message_record(1, "A", confirm)])
    processor.committed(up)
    late = processor.process(
        up, [message_record(2, "A", _hit("A")), message_record(3, "A", confirm)]
    )
    assert list(late) == []
    processor.committed(up)
    ack = HitAck(hit_id="A", alert_id="INTERPOL:N-1", org=Org.INTERPOL, instructions="Hold.",
                 acked_at=NOW, acked_by="ncb-lyon")  # fmt: skip
    ncb = TopicPartition(NAMES.ncb("FRA"), 0)
    out = processor.process(ncb, [message_record(0, "ack:A", ack)])
    assert [(o.topic, o.key) for o in out] == [(NAMES.post("FRA", "CDG"), b"ack:A")]


def test_a_thousand_settled_hits_cost_under_a_fifth_of_their_reports() -> None:
    """The node's memory for 1,000 confirmed hits, counted by tracemalloc, is under 20 % of
    what the whole reports and decisions would hold (under 400 bytes a hit, its id and
    the mapping's slot included)."""
    processor = _processor()
    up = TopicPartition(NAMES.up("FRA"), 0)
    records = []
    for i in range(1_000):
        confirm = _decision(f"H{i}", HitDecisionKind.CONFIRMED)
        records += [
            message_record(2 * i, f"H{i}", _hit(f"H{i}")),
            message_record(2 * i + 1, f"H{i}", confirm),
        ]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        processor.process(up, records)
        staged = tracemalloc.get_traced_memory()[0] - before  # whole entries, as staged
        processor.committed(up)
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    print(f"staged {staged / 1_000:.0f} B a hit, kept {kept / 1_000:.0f}")
    assert kept < 0.2 * staged, (kept, staged)
    assert kept / 1_000 < 400, kept / 1_000
