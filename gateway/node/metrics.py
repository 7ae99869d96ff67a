"""Prometheus metrics of the national nodes, in a container over its own registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

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
        # The way back (docs/twoway.md): hits, decisions, receipts, flags, acknowledgements.
        self.up_records = Counter(
            "frontline_node_up_records_total",
            "Records of the up topics (hits, decisions, receipts, flags) by outcome.",
            ["country", "outcome"],
            registry=self.registry,
        )
        self.hits = Counter(
            "frontline_node_hits_total",
            "Hits reported by the country's posts, by outcome and what the node did "
            "(pending, confirmed, false_match, duplicate).",
            ["country", "outcome", "result"],
            registry=self.registry,
        )
        self.decisions = Counter(
            "frontline_node_hit_decisions_total",
            "The bureau's decisions on hits (applied, or ignored: unknown or settled hit).",
            ["country", "decision", "result"],
            registry=self.registry,
        )
        self.awaiting = Gauge(
            "frontline_node_hits_awaiting_decision",
            "Hits of the country's posts waiting for the bureau's decision.",
            ["country"],
            registry=self.registry,
        )
        self.receipts = Counter(
            "frontline_node_receipts_total",
            "Delivery receipts of the country's posts (counted, repeated, or superseded: older "
            "than the alert's newest versions kept).",
            ["country", "result"],
            registry=self.registry,
        )
        self.summaries = Counter(
            "frontline_node_receipt_summaries_total",
            "Receipt summaries sent to the hub.",
            ["country"],
            registry=self.registry,
        )
        self.flags = Counter(
            "frontline_node_flags_total",
            "Flags set or lifted by the country's bureau.",
            ["country", "state"],
            registry=self.registry,
        )
        self.messages = Counter(
            "frontline_node_messages_total",
            "Messages on the national topic (incoming hits, acknowledgements) by result.",
            ["country", "kind", "result"],
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
