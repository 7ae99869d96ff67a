"""The node's way back without a broker: hit states, flags on headers, receipt summaries, and
the national topic's message records never routed as alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from aiokafka import TopicPartition

from gateway.contract.enums import Org, Tlp
from gateway.contract.messages import (
    Flag,
    FlagAction,
    HitDecision,
    HitDecisionKind,
    HitOutcome,
    HitReport,
    encode_message,
)
from gateway.kafka.headers import H, headers_to_dict
from gateway.kafka.topic_names import TopicNames
from gateway.node.flags import with_flag
from gateway.node.hits import AUTO_DECIDER, HitStatus, auto_decision, fold_up_records
from gateway.node.metrics import NodeMetrics
from gateway.node.receipts import ReceiptBook
from gateway.node.service import NodeProcessor
from gateway.topology import parse_topology
from tests.support.node import TOPOLOGY

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def _hit(hit_id: str, outcome: HitOutcome = HitOutcome.ARRESTED) -> HitReport:
    return HitReport(
        hit_id=hit_id, alert_id="INTERPOL:N-1", alert_version=1, org=Org.INTERPOL,
        tlp=Tlp.GREEN, country="FRA", post_id="CDG", outcome=outcome, reported_at=NOW,
    )  # fmt: skip


def _record(offset: int, key: str, message: object) -> SimpleNamespace:
    value, headers = encode_message(message)  # type: ignore[arg-type]
    return SimpleNamespace(offset=offset, key=key.encode(), value=value, headers=headers)


def _decision(hit_id: str, kind: HitDecisionKind, by: str = "duty") -> HitDecision:
    return HitDecision(hit_id=hit_id, country="FRA", decision=kind, decided_at=NOW, decided_by=by)


def test_fold_settles_each_hit_once() -> None:
    """A re-sent hit, a second decision and another country's hit change nothing in the fold."""
    records = [
        _record(0, "A", _hit("A")),
        _record(1, "A", _hit("A")),
        _record(2, "A", _decision("A", HitDecisionKind.DISMISSED)),
        _record(3, "A", _decision("A", HitDecisionKind.CONFIRMED)),
        _record(4, "B", _hit("B", HitOutcome.FALSE_MATCH)),
        _record(5, "C", _hit("C").model_copy(update={"country": "DEU"})),
        _record(6, "D", _hit("D")),
        _record(7, "D", auto_decision(_hit("D"), NOW)),
    ]
    book = fold_up_records(records, "FRA")
    assert {k: e.status for k, e in book.entries.items()} == {
        "A": HitStatus.DISMISSED, "B": HitStatus.FALSE_MATCH, "D": HitStatus.CONFIRMED,
    }  # fmt: skip
    assert book.get("D").decision.decided_by == AUTO_DECIDER  # type: ignore[union-attr]
    assert book.pending() == []


def test_with_flag_sets_and_clears_the_three_headers() -> None:
    """A flag adds fl-flag-country/action/reason once; no flag (or unflag) removes them."""
    flag = Flag(alert_id="X", country="FRA", action=FlagAction.LOCATE, reason="why", at=NOW, by="d")
    base = [(H.KIND, b"WANTED_PERSON"), (H.FLAG_ACTION, b"INFORM")]
    flagged = headers_to_dict(with_flag(base, flag))
    assert (flagged[H.FLAG_COUNTRY], flagged[H.FLAG_ACTION], flagged[H.FLAG_REASON]) == (
        "FRA", "LOCATE", "why",
    )  # fmt: skip
    assert with_flag(base, None) == [(H.KIND, b"WANTED_PERSON")]
    assert with_flag(base, flag.model_copy(update={"flagged": False})) == [
        (H.KIND, b"WANTED_PERSON")
    ]


def test_summary_counts_only_intended_posts() -> None:
    """received counts the holders among the intended posts; last_at is the latest of them."""
    held = {"CDG": NOW, "MENTON": NOW + timedelta(seconds=5), "FRLEH": NOW + timedelta(hours=1)}
    summary = ReceiptBook.summarize(("X", 2, False), "FRA", held, ("CDG", "MENTON"))
    assert (summary.intended, summary.received) == (2, 2)
    assert summary.last_at == NOW + timedelta(seconds=5)
    unknown = ReceiptBook.summarize(("X", 2, False), "FRA", held, None)
    assert (unknown.intended, unknown.received) == (0, 3)


def test_national_topic_messages_are_not_routed_as_alerts() -> None:
    """An incoming hit produces nothing, an unknown fl-msg kind is quarantined, no crash."""
    names = TopicNames("fl.")
    processor = NodeProcessor(names, parse_topology(TOPOLOGY).countries, NodeMetrics())
    tp = TopicPartition(names.ncb("FRA"), 0)
    incoming = _record(0, "hit:H-1", _hit("H-1").model_copy(update={"country": "DEU"}))
    odd = SimpleNamespace(offset=1, key=b"z", value=b"{}", headers=[("fl-msg", b"weird")])
    out = processor.process(tp, [incoming, odd])
    assert [o.topic for o in out] == [names.quarantine]
    assert b"unknown_message" in b"".join(v for _, v in out[0].headers)


def test_confirm_of_a_pending_hit_forwards_it_in_the_same_batch() -> None:
    """A hit and its confirming decision in one batch forward the hit once to the hub inbox."""
    names = TopicNames("fl.")
    processor = NodeProcessor(names, parse_topology(TOPOLOGY).countries, NodeMetrics())
    tp = TopicPartition(names.up("FRA"), 0)
    confirm = _decision("H-1", HitDecisionKind.CONFIRMED)
    out = processor.process(tp, [_record(0, "H-1", _hit("H-1")), _record(1, "H-1", confirm),
                                 _record(2, "H-1", confirm)])  # fmt: skip
    assert [(o.topic, o.key) for o in out] == [(names.hub_inbox, b"H-1")]
    processor.committed(tp)
    registry = processor.metrics.registry
    assert (
        registry.get_sample_value(
            "frontline_node_hits_total",
            {"country": "FRA", "outcome": "ARRESTED", "result": "pending"},
        )
        == 1
    )
    awaiting = registry.get_sample_value(
        "frontline_node_hits_awaiting_decision", {"country": "FRA"}
    )
    assert awaiting == 0
