"""A posts host's latency samples: the same answers as before, in memory that does not grow."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

from gateway.kafka.headers import RouteHeaders
from gateway.post.host import PostsHost
from gateway.post.latency import MAX_NAMES, LatencyRing, latency_sample
from gateway.settings import Settings
from gateway.topology import load_topology

BASE = 1_765_000_000_000
ROUTE = RouteHeaders(org="INTERPOL", kind="WANTED_PERSON", ts_ingest=BASE, ts_connector=BASE + 50,
                     ts_hub=BASE + 300, ts_node=BASE + 700)  # fmt: skip


def test_ring_answers_as_latency_sample_oldest_first_newest_kept() -> None:
    """Samples come back as latency_sample dicts, oldest first, only the newest capacity."""
    ring = LatencyRing(3)
    sparse = RouteHeaders(ts_issued=BASE)  # no org, no kind, no hop stamps
    for i, headers in enumerate([ROUTE, sparse, ROUTE, ROUTE]):
        ring.append(f"FRA.P{i}", headers, BASE + 1000 + i)
    expected = [
        latency_sample(f"FRA.P{i}", h, BASE + 1000 + i)
        for i, h in enumerate([ROUTE, sparse, ROUTE, ROUTE])
    ]
    assert len(ring) == 3
    assert ring.since(0) == expected[1:]
    assert json.loads(json.dumps(ring.since(0))) == expected[1:]  # plain ints, as JSON needs
    assert ring.since(BASE + 1001) == expected[2:]
    assert ring.since(BASE + 5000) == []


def test_names_beyond_the_table_read_as_a_question_mark() -> None:
    """A kind past MAX_NAMES distinct names is kept as '?' (the table cannot grow for ever)."""
    ring = LatencyRing(2)
    for i in range(MAX_NAMES + 1):
        ring.append("FRA.CDG", ROUTE._replace(kind=f"K{i}"), BASE + i)
    assert ring.since(0)[-1]["kind"] == "?"


def test_host_sampling_memory_does_not_grow_with_deliveries(tmp_path: Path) -> None:
    """20,000 deliveries sampled by a posts host add under 100 KB (dict samples added ~11 MB)."""
    topology = load_topology()
    small = topology.model_copy(update={"countries": topology.countries[:1]})
    host = PostsHost(Settings(data_dir=tmp_path, bootstrap_servers="unused:9092"), small)
    service = host.services[0]
    service.metrics.delivered(ROUTE, BASE + 1000)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for i in range(20_000):
            service.metrics.delivered(ROUTE, BASE + 1000 + i)
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(host.samples) == 20_001
    assert grown < 100_000
