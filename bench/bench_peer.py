"""Peer: the hub against the same routing written with Quix Streams, on the same prepared input.

Every contender gets its own topic prefix holding the same N pre-produced ingress alerts, runs
as its own process, and is timed from its first to its last commit; the full run interleaves
two rounds and keeps each contender's best. The output counts per
``ncb`` topic must be equal, otherwise the comparison is void and the benchmark says so.
Contenders: the hub (``frontline hub run``), the peers' shared routing on Frontline's engine
(``bench.peers.engine_hub``) and on Quix Streams (``bench.peers.quix_hub``), all exactly-once
with the same commit interval.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench._common import (
    BenchResult,
    Figure,
    ProcessorRun,
    broker,
    count_topics,
    create_topics,
    prepared_alerts,
    produce_alerts,
    run_id,
    run_processor,
    write_result,
)
from bench._profile import describe
from gateway.hub.policy.decide import load_policy
from gateway.kafka.headers import RouteHeaders
from gateway.kafka.layout import plan_topics
from gateway.kafka.topic_names import TopicNames
from gateway.settings import Settings
from gateway.simulate.scenario import subset_topology, write_topology
from gateway.topology import Topology, load_topology

__all__ = ["Outcome", "main", "prepare", "race", "run"]

PARTITIONS = 3
SMOKE_COUNTRIES = 8  # --smoke: countries of the shipped topology raced on, one post each


@dataclass
class Outcome:
    """One contender's run and what it wrote."""

    name: str
    run: ProcessorRun
    deliveries: int
    per_topic: dict[str, int]
    held: int


def _headers(org: str, issued_ms: int) -> list[tuple[str, bytes]]:
    return RouteHeaders(
        kind="", org=org, tlp="", status="", msg_type="", version=0,
        ts_issued=issued_ms, ts_connector=int(time.time() * 1000),
    ).to_kafka()  # fmt: skip


async def prepare(bootstrap: str, prefix: str, topology: Topology, alerts: int) -> list[str]:
    """Create every topic of the layout under ``prefix`` and pre-produce the ingress alerts."""
    settings = Settings(bootstrap_servers=bootstrap, topic_prefix=prefix, partitions=PARTITIONS)
    names = TopicNames(prefix)
    wanted = [s.name for s in plan_topics(topology, settings)]
    wanted.append(f"{prefix}review.decisions")  # the hub tails reviewers' decisions
    await create_topics(bootstrap, wanted, PARTITIONS)
    orgs = {o.code for o in topology.organizations}
    batch = [a for a in prepared_alerts(alerts) if a.org in orgs]
    await produce_alerts(
        bootstrap, batch, lambda a: names.ingress(a.org), lambda a: _headers(a.org, a.issued_ms)
    )
    return [names.ingress(o) for o in sorted(orgs)]


def contenders(
    bootstrap: str,
    prefix: str,
    group: str,
    *,
    topology_file: Path | None,
    commit_ms: int,
    profile: Path,
) -> dict[str, tuple[list[str], str]]:
    """Contender name -> (argv, consumer group); the hub's group is ``<prefix>hub``."""
    py = sys.executable
    common = ["--bootstrap", bootstrap, "--prefix", prefix, "--group", group,
              "--commit-interval-ms", str(commit_ms)]  # fmt: skip
    if topology_file is not None:
        common += ["--topology", str(topology_file)]
    return {
        "hub": ([py, "-m", "gateway", "hub", "run"], f"{prefix}hub"),
        "hub (cProfile)": (
            [py, "-m", "cProfile", "-o", str(profile), "-m", "gateway", "hub", "run"],
            f"{prefix}hub",
        ),
        "engine routing": ([py, "-m", "bench.peers.engine_hub", *common], group),
        "quix peer": ([py, "-m", "bench.peers.quix_hub", *common], group),
    }


async def race(
    bootstrap: str,
    name: str,
    topology: Topology,
    alerts: int,
    workdir: Path,
    *,
    topology_file: Path | None = None,
    commit_ms: int = 100,
    extra_env: dict[str, str] | None = None,
) -> Outcome:
    """Run one contender on a fresh prefix holding ``alerts`` ingress alerts; count its outputs."""
    rid = run_id()
    prefix = f"bp{rid}."
    inputs = await prepare(bootstrap, prefix, topology, alerts)
    expected = sum(
        1 for a in prepared_alerts(alerts) if a.org in {o.code for o in topology.organizations}
    )
    profile = workdir / "hub.prof"
    choices = contenders(
        bootstrap, prefix, f"bp{rid}-g",
        topology_file=topology_file, commit_ms=commit_ms, profile=profile,
    )  # fmt: skip
    argv, group = choices[name]
    env = {
        "FRONTLINE_BOOTSTRAP_SERVERS": bootstrap,
        "FRONTLINE_TOPIC_PREFIX": prefix,
        "FRONTLINE_COMMIT_INTERVAL_MS": str(commit_ms),
        "FRONTLINE_LOG_LEVEL": "WARNING",
        "FRONTLINE_LOG_FORMAT": "json",
        "FRONTLINE_PARTITIONS": str(PARTITIONS),
    } | (extra_env or {})
    if topology_file is not None:
        env["FRONTLINE_TOPOLOGY_FILE"] = str(topology_file)
    log = workdir / f"{name.replace(' ', '-')}-{rid}.log"
    outcome = await run_processor(
        bootstrap, argv, env=env, group=group, inputs=inputs, expected=expected, log_path=log
    )
    names = TopicNames(prefix)
    ncb = [names.ncb(c.code) for c in topology.countries]
    counts = await count_topics(bootstrap, [*ncb, names.review], idle_s=1.5)
    per_topic = {t[len(prefix) :]: counts[t] for t in ncb}
    return Outcome(name, outcome, sum(per_topic.values()), per_topic, counts[names.review])


def run(bootstrap: str, *, smoke: bool = False, workdir: Path | None = None) -> BenchResult:
    """Race hub, engine routing and the Quix peer on the default topology.

    ``smoke`` races on a few countries with one post each (a fraction of the topics to
    create per contender), the same routing code and output-count comparison.
    """
    result = BenchResult("peer", "3. Peer: the hub against Quix Streams, same routing")
    started = time.perf_counter()
    alerts = 600 if smoke else 30_000
    commit_ms = Settings().commit_interval_ms
    folder = workdir or Path(tempfile.mkdtemp(prefix="flb-peer-"))
    topology, topology_file = load_topology(None), None
    if smoke:
        topology = subset_topology(
            topology, load_policy(None), countries=SMOKE_COUNTRIES, posts_per_country=1, seed=8
        )
        topology_file = write_topology(topology, folder / "topology.toml")

    def contend(name: str) -> Outcome:
        return asyncio.run(
            race(bootstrap, name, topology, alerts, folder,
                 topology_file=topology_file, commit_ms=commit_ms)
        )  # fmt: skip

    outcomes: dict[str, Outcome] = {}
    rates: dict[str, list[float | None]] = {}
    rounds = 1 if smoke else 2  # interleaved: a burst of other load hurts one round, not all
    for _ in range(rounds):
        for name in ("hub", "engine routing", "quix peer"):
            o = contend(name)
            rates.setdefault(name, []).append(o.run.rate)
            if not o.run.drained:
                result.note += f"{name} did not drain its input: {o.run.log_tail[-600:]}\n"
            best = outcomes.get(name)
            if best is None or (o.run.rate or 0.0) > (best.run.rate or 0.0):
                outcomes[name] = o
    result.params = {
        "alerts": alerts, "countries": len(topology.countries), "partitions": PARTITIONS,
        "commit_interval_ms": commit_ms, "guarantee": "exactly-once",
        "deliveries": {n: o.deliveries for n, o in outcomes.items()},
        "held_for_review": {n: o.held for n, o in outcomes.items()},
        "startup_s": {n: round(o.run.startup_s, 2) for n, o in outcomes.items()},
        "rates_per_round": {n: [round(r) if r else None for r in v] for n, v in rates.items()},
    }  # fmt: skip
    hub, engine, quix = outcomes["hub"], outcomes["engine routing"], outcomes["quix peer"]
    same = hub.per_topic == quix.per_topic == engine.per_topic and hub.held == quix.held
    result.params["same_output_counts"] = same
    if not same:
        differing = sorted(t for t in hub.per_topic if hub.per_topic[t] != quix.per_topic.get(t))
        result.note += f"Output counts differ (void comparison) on: {', '.join(differing[:10])}\n"
    fan_out = hub.deliveries / alerts if alerts else 0.0
    result.add(
        Figure(
            "quix peer alerts/s", quix.run.rate, "alerts/s", hub.run.rate, "hub",
            aim="same output counts as the hub", met=same,
        )
    )  # fmt: skip
    result.add(
        Figure(
            "quix peer deliveries/s", _times(quix.run.rate, fan_out), "deliveries/s",
            _times(hub.run.rate, fan_out), "hub",
        )
    )  # fmt: skip
    result.add(
        Figure(
            "engine routing alerts/s", engine.run.rate, "alerts/s", quix.run.rate, "quix peer",
            aim="framework against framework, same routing code",
        )
    )  # fmt: skip
    result.params["fan_out"] = round(fan_out, 2)
    profiled = contend("hub (cProfile)")
    if profiled.run.drained and (folder / "hub.prof").exists():
        result.note += describe(folder / "hub.prof", f"the hub routing {alerts:,} alerts") + "\n"
    result.seconds = time.perf_counter() - started
    return result


def _times(rate: float | None, factor: float) -> float | None:
    return None if rate is None else rate * factor


def main() -> None:
    """``python -m bench.bench_peer [--smoke] [--json PATH]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    with broker() as bootstrap:
        result = run(bootstrap, smoke=args.smoke)
    write_result(result, args.json)


if __name__ == "__main__":
    main()
