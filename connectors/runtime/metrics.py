"""Prometheus metrics of a connector, in a container bound to one registry (tests pass theirs)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

__all__ = ["ConnectorMetrics"]

# From 1 ms to 30 s: parse-to-publish covers a single record up to a slow broker round trip.
_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 30.0)


class ConnectorMetrics:
    """Records by organization, kind and outcome, and parse-to-publish latency."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        self.records = Counter(
            "frontline_connector_records",
            "Native records a connector handled, by outcome (published or quarantined).",
            ["org", "kind", "outcome"],
            registry=self.registry,
        )
        self.files_refused = Counter(
            "frontline_connector_files_refused",
            "Folder entries refused unread: symlink, hard_link or not_regular (once per file).",
            ["org", "reason"],
            registry=self.registry,
        )
        self.parse_to_publish = Histogram(
            "frontline_connector_parse_to_publish_seconds",
            "From the start of parsing a record to the broker's acknowledgement of its write.",
            ["org"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )

    def refuse_file(self, org: str, reason: str) -> None:
        """Count one folder entry refused (a link, a non-regular file), once per file."""
        self.files_refused.labels(org=org, reason=reason).inc()

    def count(self, org: str, kind: str, outcome: str, n: int = 1) -> None:
        """Add ``n`` records of one kind with one outcome."""
        if n:
            self.records.labels(org=org, kind=kind, outcome=outcome).inc(n)

    def observe_latency(self, org: str, seconds: float) -> None:
        """Record one record's parse-to-publish time."""
        self.parse_to_publish.labels(org=org).observe(seconds)

    def value(self, org: str, kind: str, outcome: str) -> float:
        """The current count for one label set (0 when never counted)."""
        sample = self.registry.get_sample_value(
            "frontline_connector_records_total", {"org": org, "kind": kind, "outcome": outcome}
        )
        return sample or 0.0
