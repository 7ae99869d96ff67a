"""The hub's counters follow its transactions: a batch counts once, when it commits."""

from __future__ import annotations

from types import SimpleNamespace

from aiokafka import TopicPartition

from gateway.hub.metrics import HubMetrics
from gateway.hub.policy.decide import load_policy
from gateway.hub.service import HubProcessor
from gateway.hub.state import StateStore
from gateway.kafka.topic_names import TopicNames
from gateway.topology import load_topology
from tests.support.alerts import make_alert

TP = TopicPartition("fl.ingress.interpol", 0)


def _processor(metrics: HubMetrics) -> HubProcessor:
    names = TopicNames("fl.")
    return HubProcessor(
        policy=load_policy(), topology=load_topology(), names=names,
        store=StateStore(names.hub_state), metrics=metrics,
    )  # fmt: skip


def _records() -> list[SimpleNamespace]:
    value = make_alert("INTERPOL:M-1")
    return [SimpleNamespace(offset=0, value=value, headers=[], timestamp=1)]


def _delivered(metrics: HubMetrics) -> float:
    value = metrics.registry.get_sample_value(
        "frontline_hub_records_total",
        {"org": "INTERPOL", "kind": "WANTED_PERSON", "outcome": "DELIVERED"},
    )
    return value or 0.0


def test_aborted_transaction_is_not_counted() -> None:
    """An aborted transaction is not counted; its re-read batch counts once, on commit."""
    metrics = HubMetrics()
    processor = _processor(metrics)
    processor.process(TP, _records())
    assert _delivered(metrics) == 0  # nothing counted before the commit
    processor.aborted(TP)
    processor.process(TP, _records())  # the engine re-reads the aborted records
    processor.committed(TP)
    assert _delivered(metrics) == 1


def test_revoked_partition_counts_nothing() -> None:
    """Counts staged for a partition that is revoked before its commit are dropped."""
    metrics = HubMetrics()
    processor = _processor(metrics)
    processor.process(TP, _records())
    processor.on_revoked(frozenset({TP}))
    processor.committed(TP)
    assert _delivered(metrics) == 0
