"""Prometheus metrics of the national nodes, in a container over its own registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter

__all__ = ["NodeMetrics"]


class NodeMetrics:
    """Counters of the national nodes, by country, post, outcome and reason."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.records = Counter(
            "frontline_node_records_total",
            "Node-topic records by outcome (routed, revoked, quarantined).",
            ["country", "outcome"],
            registry=self.registry,
        )
        self.deliveries = Counter(
            "frontline_node_deliveries_total",
            "Alert versions written to border-post feeds.",
            ["country", "post", "kind"],
            registry=self.registry,
        )
        self.tombstones = Counter(
            "frontline_node_tombstones_total",
            "Tombstones written to border-post feeds, by reason.",
            ["country", "reason"],
            registry=self.registry,
        )
        self.signature_refused = Counter(
            "frontline_node_signature_refused_total",
            "Node-topic records quarantined because the trust file refuses their signature.",
            ["country", "reason"],
            registry=self.registry,
        )
        self.transactions = Counter(
            "frontline_node_transactions_total",
            "Transactions of the node, by result (committed, aborted).",
            ["result"],
            registry=self.registry,
        )

    def transaction(self, result: str, records: int) -> None:
        """The engine's per-transaction callback."""
        self.transactions.labels(result).inc()
