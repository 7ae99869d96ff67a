"""Prometheus metrics of the hub, in a container over its own registry so tests read them."""

from __future__ import annotations

from collections import Counter as Tally
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

if TYPE_CHECKING:
    from gateway.hub.hits import Reply
    from gateway.hub.route import Effects

__all__ = ["BatchCounts", "HubMetrics"]


class HubMetrics:
    """Counters by organization, kind, outcome and reason; never an alert id as a label."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.records = Counter(
            "frontline_hub_records_total",
            "Ingress records by outcome (DELIVERED, DENIED, DUPLICATE, STALE, HELD, ...).",
            ["org", "kind", "outcome"],
            registry=self.registry,
        )
        self.deliveries = Counter(
            "frontline_hub_deliveries_total",
            "Alert versions written to national node topics.",
            ["org", "kind"],
            registry=self.registry,
        )
        self.denials = Counter(
            "frontline_hub_denials_total",
            "Candidate countries denied an alert, by policy reason.",
            ["org", "reason"],
            registry=self.registry,
        )
        self.revocations = Counter(
            "frontline_hub_revocations_total",
            "Tombstones sent to national node topics, by reason.",
            ["org", "reason"],
            registry=self.registry,
        )
        self.quarantined = Counter(
            "frontline_hub_quarantined_total",
            "Ingress records sent to quarantine, by reason code.",
            ["org", "reason"],
            registry=self.registry,
        )
        self.signature_refused = Counter(
            "frontline_hub_signature_refused_total",
            "Ingress records quarantined because the trust file refuses their signature,"
            " by the ingress topic's organization and reason (missing_signature, ...).",
            ["org", "reason"],
            registry=self.registry,
        )
        self.processing = Histogram(
            "frontline_hub_processing_seconds",
            "Time to decide one batch of ingress records, per record.",
            buckets=(1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 5e-3, 0.025, 0.1),
            registry=self.registry,
        )
        self.latency = Histogram(
            "frontline_hub_latency_seconds",
            "From the connector's timestamp to the hub's decision.",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=self.registry,
        )
        self.review_wait = Histogram(
            "frontline_hub_review_wait_seconds",
            "From holding an alert version for review to applying its approval.",
            buckets=(1, 5, 15, 30, 60, 300, 900, 3600, 4 * 3600, 12 * 3600, 86_400),
            registry=self.registry,
        )
        self.hits = Counter(
            "frontline_hub_hits_total",
            "Confirmed hits forwarded to their issuing organization, by outcome.",
            ["org", "outcome"],
            registry=self.registry,
        )
        self.ack_seconds = Histogram(
            "frontline_hub_hit_ack_seconds",
            "From a hit's report at the post to its acknowledgement reaching the hub.",
            buckets=(60, 300, 900, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 12 * 3600, 86_400),
            registry=self.registry,
        )
        self.hits_awaiting = Gauge(
            "frontline_hub_hits_awaiting_ack",
            "Hits forwarded to their issuing organization and not acknowledged yet.",
            registry=self.registry,
        )
        self.oldest_awaiting = Gauge(
            "frontline_hub_hit_oldest_awaiting_seconds",
            "How long the oldest unacknowledged hit has waited since its report (0 if none).",
            registry=self.registry,
        )
        self.stale_versions = Gauge(
            "frontline_hub_versions_not_at_every_post",
            "Alert versions delivered longer ago than FRONTLINE_STALE_FRONTLINE_S that have"
            " not reached every intended border post.",
            registry=self.registry,
        )
        self.lag = Gauge(
            "frontline_hub_consumer_lag",
            "Ingress records not yet processed, per topic.",
            ["topic"],
            registry=self.registry,
        )
        self.transactions = Counter(
            "frontline_hub_transactions_total",
            "Transactions (or at-least-once batches) by result: committed, aborted.",
            ["result"],
            registry=self.registry,
        )
        self.held = Gauge(
            "frontline_hub_held_for_review",
            "Alerts currently waiting for neutrality review.",
            registry=self.registry,
        )
        self.state_entries = Gauge(
            "frontline_hub_state_entries",
            "Alerts in the hub's state store.",
            registry=self.registry,
        )
        self.view_waits = Counter(
            "frontline_hub_view_waits_total",
            "Way-back batches held back because they name an alert or a hit another hub "
            "instance committed that this one's view lacks yet (docs/hub.md).",
            registry=self.registry,
        )

    def transaction(self, result: str, records: int) -> None:
        """EosEngine's ``on_transaction`` hook."""
        self.transactions.labels(result).inc()


class BatchCounts:
    """Counts of one batch, added to the Prometheus counters once (labels() per record is slow)."""

    __slots__ = (
        "ack_seconds", "deliveries", "denials", "hits", "quarantined", "records", "review_waits",
        "revocations", "signatures",
    )  # fmt: skip

    def __init__(self) -> None:
        self.records: Tally[tuple[str, str, str]] = Tally()
        self.deliveries: Tally[tuple[str, str]] = Tally()
        self.denials: Tally[tuple[str, str]] = Tally()
        self.revocations: Tally[tuple[str, str]] = Tally()
        self.quarantined: Tally[tuple[str, str]] = Tally()
        self.signatures: Tally[tuple[str, str]] = Tally()  # refused signatures
        self.review_waits: list[float] = []  # seconds, per approval
        self.hits: Tally[tuple[str, str]] = Tally()  # (org, outcome) of forwarded hits
        self.ack_seconds: list[float] = []  # report to first acknowledgement

    def add(self, effects: Effects, org: str) -> None:
        """Count one decision; ``org`` is the ingress topic's organization."""
        who = effects.org or org
        key = (who, effects.kind or "UNKNOWN", effects.action.value)
        records = self.records
        records[key] = records.get(key, 0) + 1
        if effects.deliveries:
            self.deliveries[(who, effects.kind)] += len(effects.deliveries)
        if effects.denied and effects.action.value != "HELD":
            # A few reasons over dozens of countries: tallied in C, then added per reason.
            denials = self.denials
            for reason, n in Tally(effects.denied.values()).items():
                denials[(who, reason)] += n
        if effects.tombstones:
            for reason in effects.tombstones.values():
                self.revocations[(who, reason)] += 1
        if effects.review_wait_ms is not None:
            self.review_waits.append(effects.review_wait_ms / 1000)
        if effects.quarantine is not None:
            self.quarantined[(org, effects.reason or "unknown")] += 1
            if effects.quarantine.stage == "signature":
                self.signatures[(org, effects.reason or "unknown")] += 1

    def add_reply(self, reply: Reply, org: str) -> None:
        """Count one way-back record (hit, acknowledgement, flag, receipt summary)."""
        if reply.hit is not None:
            self.hits[reply.hit] += 1
        if reply.ack_seconds is not None:
            self.ack_seconds.append(reply.ack_seconds)
        if reply.quarantine is not None:
            self.quarantined[(reply.org or org, reply.reason or "unknown")] += 1

    def flush(self, metrics: HubMetrics) -> None:
        """Add the batch's counts to the counters."""
        for (org, kind, outcome), n in self.records.items():
            metrics.records.labels(org, kind, outcome).inc(n)
        for (org, kind), n in self.deliveries.items():
            metrics.deliveries.labels(org, kind).inc(n)
        for (org, reason), n in self.denials.items():
            metrics.denials.labels(org, reason).inc(n)
        for (org, reason), n in self.revocations.items():
            metrics.revocations.labels(org, reason).inc(n)
        for (org, reason), n in self.quarantined.items():
            metrics.quarantined.labels(org, reason).inc(n)
        for (org, reason), n in self.signatures.items():
            metrics.signature_refused.labels(org, reason).inc(n)
        for seconds in self.review_waits:
            metrics.review_wait.observe(seconds)
        for (org, outcome), n in self.hits.items():
            metrics.hits.labels(org, outcome).inc(n)
        for seconds in self.ack_seconds:
            metrics.ack_seconds.observe(seconds)
