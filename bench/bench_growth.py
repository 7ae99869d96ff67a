"""How cost grows: hub and node throughput, and post memory, at three sizes each.

* hub alerts/s as the candidate countries grow (synthetic topologies of INTERPOL members);
* hub alerts/s as the alerts (and so its state) grow, on the shipped topology;
* node deliveries/s as the posts per country grow (synthetic posts, hub-shaped input);
* post memory as its watchlist grows (a fresh interpreter per size, RSS before and after).

Each size's reference is the smallest size of the same series, so the ratio reads as
"how much of the small-size speed is left" (or, for memory, bytes per entry against the
encoded alert the post received).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._common import (
    BenchResult,
    Figure,
    broker,
    create_topics,
    prepared_alerts,
    produce_alerts,
    run_id,
    run_processor,
    write_result,
)
from gateway.contract.codec import decode_dict
from gateway.hub.policy.decide import load_policy
from gateway.hub.service import hub_topics
from gateway.kafka.headers import RouteHeaders
from gateway.kafka.topic_names import TopicNames
from gateway.settings import Settings
from gateway.simulate.scenario import write_topology
from gateway.topology import Country, Post, Topology, load_topology

__all__ = ["main", "memory_probe", "run", "synthetic_topology"]

PARTITIONS = 3


def synthetic_topology(countries: int, posts_per_country: int = 0) -> Topology:
    """The shipped organizations with ``countries`` INTERPOL members, each with land posts."""
    base = load_topology(None)
    codes = sorted(load_policy(None).members("INTERPOL"))[:countries]
    known = {c.code: c for c in base.countries}
    made = []
    for code in codes:
        posts = tuple(
            Post(id=f"L{n + 1}", name=f"Crossing {n + 1}", type="LAND")
            for n in range(posts_per_country)
        )
        name = known[code].name if code in known else code
        made.append(Country(code=code, name=name, posts=posts))
    return base.model_copy(update={"countries": tuple(made)})


def _env(bootstrap: str, prefix: str, topology_file: Path, workdir: Path) -> dict[str, str]:
    return {
        "FRONTLINE_BOOTSTRAP_SERVERS": bootstrap, "FRONTLINE_TOPIC_PREFIX": prefix,
        "FRONTLINE_TOPOLOGY_FILE": str(topology_file), "FRONTLINE_LOG_LEVEL": "WARNING",
        "FRONTLINE_LOG_FORMAT": "json", "FRONTLINE_PARTITIONS": str(PARTITIONS),
        "FRONTLINE_DATA_DIR": str(workdir / "data"),
    }  # fmt: skip


def _ingress_headers(org: str) -> list[tuple[str, bytes]]:
    now = int(time.time() * 1000)
    return RouteHeaders(
        kind="", org=org, tlp="", status="", msg_type="", version=0, ts_connector=now
    ).to_kafka()


async def hub_rate(
    bootstrap: str, topology: Topology, alerts: int, workdir: Path
) -> tuple[float | None, int]:
    """The hub's alerts/s on ``alerts`` pre-produced alerts; and how many it had to route."""
    prefix = f"bg{run_id()}."
    names = TopicNames(prefix)
    topics = hub_topics(topology, names)
    await create_topics(bootstrap, [t for group in topics.values() for t in group], PARTITIONS)
    orgs = {o.code for o in topology.organizations}
    batch = [a for a in prepared_alerts(alerts) if a.org in orgs]
    await produce_alerts(
        bootstrap, batch, lambda a: names.ingress(a.org), lambda a: _ingress_headers(a.org)
    )
    topology_file = write_topology(topology, workdir / f"{prefix}toml")
    run = await run_processor(
        bootstrap, [sys.executable, "-m", "gateway", "hub", "run"],
        env=_env(bootstrap, prefix, topology_file, workdir), group=f"{prefix}hub",
        inputs=topics["ingress"], expected=len(batch), log_path=workdir / f"{prefix}hub.log",
    )  # fmt: skip
    if not run.drained:
        raise RuntimeError(f"hub did not drain {len(batch)} alerts: {run.log_tail[-600:]}")
    return run.rate, len(batch)


def _hub_headers(value: bytes) -> list[tuple[str, bytes]]:
    kind, record = decode_dict(value)
    env = record["envelope"]
    now = int(time.time() * 1000)
    return RouteHeaders(
        kind=kind, org=env["source_org"], tlp=env["tlp"], status=env["status"],
        msg_type=env["msg_type"], version=env["version"], ts_connector=now, ts_hub=now,
    ).to_kafka()  # fmt: skip


async def node_rate(
    bootstrap: str, topology: Topology, alerts: int, workdir: Path
) -> tuple[float | None, int]:
    """The nodes' alerts/s over hub-shaped records spread across every country's topic."""
    prefix = f"bg{run_id()}."
    names = TopicNames(prefix)
    settings = Settings(bootstrap_servers=bootstrap, topic_prefix=prefix, partitions=PARTITIONS)
    from gateway.kafka.layout import plan_topics  # noqa: PLC0415  # why: only the node series needs it

    await create_topics(bootstrap, [s.name for s in plan_topics(topology, settings)], PARTITIONS)
    codes = [c.code for c in topology.countries]
    batch = prepared_alerts(alerts)
    headers = {a.key: _hub_headers(a.value) for a in batch}
    slot = {a.key: codes[n % len(codes)] for n, a in enumerate(batch)}
    await produce_alerts(
        bootstrap, batch, lambda a: names.ncb(slot[a.key]), lambda a: headers[a.key]
    )
    topology_file = write_topology(topology, workdir / f"{prefix}toml")
    run = await run_processor(
        bootstrap, [sys.executable, "-m", "gateway", "node", "run", "--all"],
        env=_env(bootstrap, prefix, topology_file, workdir), group=f"{prefix}node",
        inputs=[names.ncb(c) for c in codes], expected=len(batch),
        log_path=workdir / f"{prefix}node.log",
    )  # fmt: skip
    if not run.drained:
        raise RuntimeError(f"node did not drain {len(batch)} records: {run.log_tail[-600:]}")
    return run.rate, len(batch)


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def memory_probe(entries: int) -> dict[str, Any]:
    """In this (fresh) process: load ``entries`` watchlist entries; RSS growth and time."""
    from gateway.post.screening import Watchlist, entry_from_record  # noqa: PLC0415  # why: measured

    pool = []
    for alert in prepared_alerts(min(2_000, entries)):  # fewer to generate for a small probe
        kind, record = decode_dict(alert.value)
        if kind != "THREAT_ASSESSMENT":
            pool.append((kind, record, alert.org, len(alert.value)))
    gc.collect()
    before = _rss_kib()
    started = time.perf_counter()
    watchlist = Watchlist()
    payload = 0
    for n in range(entries):
        kind, record, org, size = pool[n % len(pool)]
        envelope = dict(record["envelope"], alert_id=f"{record['envelope']['alert_id']}~{n}")
        watchlist.upsert(entry_from_record(kind, {**record, "envelope": envelope}, org=org))
        payload += size
    build_s = time.perf_counter() - started
    gc.collect()
    grown = (_rss_kib() - before) * 1024
    return {"entries": len(watchlist), "rss_bytes": grown, "payload_bytes": payload,
            "build_s": round(build_s, 2)}  # fmt: skip


def _memory(entries: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.bench_growth", "--memory-probe", str(entries)],
        capture_output=True, text=True, timeout=1800, check=True,
    )  # fmt: skip
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def _series(
    result: BenchResult, label: str, unit: str, values: list[tuple[int, float | None]]
) -> None:
    base = values[0][1] if values else None
    for size, value in values:
        result.add(Figure(f"{label} {size:,}", value, unit, base, f"at {values[0][0]:,}"))


def run(bootstrap: str, *, smoke: bool = False, workdir: Path | None = None) -> BenchResult:
    """Every series at three sizes (``smoke``: two small ones, the harness end to end)."""
    result = BenchResult("growth", "6. How cost grows")
    started = time.perf_counter()
    folder = workdir or Path(tempfile.mkdtemp(prefix="flb-growth-"))
    folder.mkdir(parents=True, exist_ok=True)
    countries = [5, 20] if smoke else [10, 40, 190]
    alert_sizes = [200, 400] if smoke else [5_000, 20_000, 60_000]
    posts = [1, 4] if smoke else [1, 5, 20]
    entries = [250, 1_000] if smoke else [10_000, 100_000, 1_000_000]
    fixed = alert_sizes[1]
    by_country = [
        (n, asyncio.run(hub_rate(bootstrap, synthetic_topology(n), fixed, folder))[0])
        for n in countries
    ]
    _series(result, "hub alerts/s, countries =", "alerts/s", by_country)
    shipped = load_topology(None)
    by_alerts = [(n, asyncio.run(hub_rate(bootstrap, shipped, n, folder))[0]) for n in alert_sizes]
    _series(result, "hub alerts/s, alerts =", "alerts/s", by_alerts)
    by_posts = [
        (n, asyncio.run(node_rate(bootstrap, synthetic_topology(8, n), fixed, folder))[0])
        for n in posts
    ]
    _series(result, "node alerts/s, posts per country =", "alerts/s", by_posts)
    probes = [_memory(n) for n in entries]
    for probe in probes:
        per_entry = probe["rss_bytes"] / max(1, probe["entries"])
        per_payload = probe["payload_bytes"] / max(1, probe["entries"])
        result.add(
            Figure(
                f"post memory per entry, watchlist = {probe['entries']:,}", per_entry, "bytes",
                per_payload, "encoded alert", higher_is_better=False,
            )
        )  # fmt: skip
    result.params = {
        "alerts_for_country_and_post_series": fixed, "node_countries": 8,
        "partitions": PARTITIONS, "memory": probes,
    }  # fmt: skip
    result.note = (
        "Post memory totals: "
        + ", ".join(
            f"{p['entries']:,} entries {p['rss_bytes'] / 2**20:,.0f} MiB"
            f" (built in {p['build_s']} s)"
            for p in probes
        )
        + "."
    )
    result.seconds = time.perf_counter() - started
    return result


def main() -> None:
    """``python -m bench.bench_growth [--smoke] [--json PATH]`` (``--memory-probe N``: inner)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--memory-probe", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_probe is not None:
        print(json.dumps(memory_probe(args.memory_probe)))
        return
    with broker() as bootstrap:
        result = run(bootstrap, smoke=args.smoke)
    write_result(result, args.json)


if __name__ == "__main__":
    main()
