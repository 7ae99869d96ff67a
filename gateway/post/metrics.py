"""Prometheus metrics of a border-post client, in a container bound to one registry."""

from __future__ import annotations

from typing import Any, Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

__all__ = ["LATENCY_BUCKETS", "Hops", "PostMetrics"]


class Hops(Protocol):
    """What latency is computed from: the organization, kind and hop timestamps (epoch ms)."""

    @property
    def org(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def ts_issued(self) -> int | None: ...
    @property
    def ts_ingest(self) -> int | None: ...
    @property
    def ts_connector(self) -> int | None: ...
    @property
    def ts_hub(self) -> int | None: ...
    @property
    def ts_node(self) -> int | None: ...


# From 5 ms (one machine) to 10 minutes (a post that was offline and caught up).
LATENCY_BUCKETS = (
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 600.0,
)  # fmt: skip
_HOPS = (
    ("connector", "ts_issued", "ts_connector"),
    ("hub", "ts_connector", "ts_hub"),
    ("node", "ts_hub", "ts_node"),
)


class PostMetrics:
    """Delivery latency per hop, watchlist size, staleness and screening counts of one post."""

    def __init__(self, registry: CollectorRegistry, post: str) -> None:
        self.registry = registry
        self.post = post
        self.e2e = Histogram(
            "frontline_post_e2e_latency_seconds",
            "Time from the alert's arrival at its connector to the post's watchlist.",
            ["org", "kind"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.hop = Histogram(
            "frontline_post_hop_latency_seconds",
            "Time an alert spent in each hop: connector, hub, node, post.",
            ["hop", "org", "kind"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.watchlist_size = Gauge(
            "frontline_post_watchlist_size",
            "Alerts on the post's watchlist.",
            ["post"],
            registry=registry,
        )
        self.staleness = Gauge(
            "frontline_post_staleness_seconds",
            "Seconds since the post last reached its feed.",
            ["post"],
            registry=registry,
        )
        self.records = Counter(
            "frontline_post_records_total",
            "Feed records applied, by outcome (upsert, tombstone, stale, rejected,"
            " signature_refused; hit_ack, false_match, unknown_message, bad_message).",
            ["post", "outcome"],
            registry=registry,
        )
        self.signature_refused = Counter(
            "frontline_post_signature_refused_total",
            "Feed records kept out of the watchlist because the trust file refuses their"
            " signature (missing_signature, bad_signature, unknown_key, key_revoked, ...).",
            ["post", "reason"],
            registry=registry,
        )
        self.screenings = Counter(
            "frontline_post_screenings_total",
            "Screenings answered, by type (person, object) and outcome (hit, clear).",
            ["post", "type", "outcome"],
            registry=registry,
        )
        self.screening_seconds = Histogram(
            "frontline_post_screening_seconds",
            "Time to answer one screening.",
            ["type"],
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5),
            registry=registry,
        )
        self.hits = Counter(
            "frontline_post_hits_total",
            "Hits officers reported at the post, by outcome (ARRESTED, FALSE_MATCH, ...).",
            ["post", "outcome"],
            registry=registry,
        )
        self.hits_awaiting = Gauge(
            "frontline_post_hits_awaiting_ack",
            "Hits reported at the post and not yet acknowledged by the issuing organization.",
            ["post"],
            registry=registry,
        )
        self.outbox_backlog = Gauge(
            "frontline_post_outbox_backlog",
            "Hit reports and receipts stored at the post and not yet acknowledged by the broker.",
            ["post"],
            registry=registry,
        )
        self._children: dict[tuple[str, str], tuple[Any, tuple[Any, ...], Any]] = {}

    def delivered(self, headers: Hops, now_ms: int) -> None:
        """Observe the end-to-end and per-hop latency a delivered record's timestamps show."""
        key = (headers.org or "unknown", headers.kind or "unknown")
        children = self._children.get(key)
        if children is None:  # labels() is slow next to observe(): resolve once per pair
            org, kind = key
            children = self._children[key] = (
                self.e2e.labels(org, kind),
                tuple(self.hop.labels(hop, org, kind) for hop, _, _ in _HOPS),
                self.hop.labels("post", org, kind),
            )
        e2e, hops, post = children
        # Latency starts when the export reached its connector; an alert's own issued_at may
        # be years old (a notice loaded today), so it is only the fallback.
        start_ms = headers.ts_ingest if headers.ts_ingest is not None else headers.ts_issued
        if start_ms is not None:
            e2e.observe(max(0, now_ms - start_ms) / 1000)
        for child, (_, start, end) in zip(hops, _HOPS, strict=True):
            a = start_ms if start == "ts_issued" else getattr(headers, start)
            b = getattr(headers, end)
            if a is not None and b is not None:
                child.observe(max(0, b - a) / 1000)
        if headers.ts_node is not None:
            post.observe(max(0, now_ms - headers.ts_node) / 1000)
