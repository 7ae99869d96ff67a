"""Many posts in one process: latency samples and one merged metrics exposition."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import generate_latest

from gateway.kafka.headers import RouteHeaders
from gateway.post.host import PostsHost, latency_sample
from gateway.settings import Settings
from gateway.topology import load_topology


def test_latency_sample_starts_at_ingest() -> None:
    """End-to-end latency runs from the connector's ingest, each hop from the one before."""
    route = RouteHeaders(org="INTERPOL", kind="WANTED_PERSON", ts_issued=1, ts_ingest=1000,
                  ts_connector=1010, ts_hub=1050, ts_node=1100)  # fmt: skip
    sample = latency_sample("FRA.CDG", route, 1200)
    assert sample["e2e_ms"] == 200
    assert sample["hops"] == {"connector": 10, "hub": 40, "node": 50, "post": 100}


def test_latency_sample_falls_back_to_issue_time() -> None:
    """Without an ingest stamp, the alert's issue time starts the clock."""
    sample = latency_sample("FRA.CDG", RouteHeaders(ts_issued=500), 800)
    assert sample["e2e_ms"] == 300


def test_merged_metrics_label_every_series_with_its_post(tmp_path: Path) -> None:
    """Two posts' histograms come out as one family, told apart by the post label."""
    topology = load_topology()
    small = topology.model_copy(update={"countries": topology.countries[:1]})
    host = PostsHost(Settings(data_dir=tmp_path, bootstrap_servers="unused:9092"), small)
    for service in host.services:
        service.metrics.delivered(
            RouteHeaders(org="INTERPOL", kind="WANTED_PERSON", ts_ingest=1), 5
        )
    text = generate_latest(host.registry).decode()
    assert text.count("# TYPE frontline_post_e2e_latency_seconds histogram") == 1
    for service in host.services:
        assert f'post="{service.name}"' in text
    assert len(host.samples) == len(host.services)
