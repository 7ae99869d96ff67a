"""The exercise under faults (``frontline simulate --chaos``): what is broken, when, and how
long the pipeline took to catch up.

At seeded random times during traffic, one fault at a time:

- ``broker-kill``: SIGKILL of the broker leading the busiest ingress partition (the one
  holding the most records), restarted after a while as ``frontline broker up`` would;
- ``hub-kill``, ``node-kill``, ``post-kill``: SIGKILL of one hub instance, of a national
  node process and of a border-post process, each restarted after a few seconds;
- ``hub-stop``: SIGSTOP of one hub instance for longer than its consumer session timeout,
  then SIGCONT: the group has moved its partitions to another instance meanwhile, so the
  woken one is a zombie whose writes the new owner's transactions must fence.

Each fault's times are seconds since the exercise started. ``recovered_s`` is when the
consumer lag (:mod:`gateway.simulate.monitor`) was back to its level before the fault
(zero at rest; under steady traffic the records of one commit interval are always in
flight) after the restore; latency is summarized before, during and after each fault.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx
import structlog

from gateway.broker import LocalCluster
from gateway.errors import ConfigError
from gateway.kafka.clients import make_admin, make_consumer
from gateway.kafka.reading import assign_from_start
from gateway.kafka.topic_names import TopicNames
from gateway.settings import Settings
from gateway.simulate.monitor import Monitor
from gateway.simulate.processes import Component, ComponentSet
from gateway.simulate.report import AccountingCheck
from gateway.simulate.stats import quantiles

__all__ = ["FAULT_KINDS", "Chaos", "Fault", "parse_faults", "plan_faults"]

log = structlog.get_logger(__name__)
FAULT_KINDS = ("broker-kill", "hub-kill", "node-kill", "post-kill", "hub-stop")
SESSION_TIMEOUT_S = 10.0  # aiokafka's default session.timeout.ms, which the hub keeps
WINDOW_S = 20.0  # latency "before" and "after" a fault: this many seconds


def parse_faults(text: str) -> tuple[str, ...]:
    """``all`` or a comma-separated list of fault kinds, in the order given."""
    if text.strip() == "all":
        return FAULT_KINDS
    kinds = tuple(k.strip() for k in text.split(",") if k.strip())
    unknown = [k for k in kinds if k not in FAULT_KINDS]
    if unknown or not kinds:
        raise ConfigError(
            f"unknown fault kind(s): {', '.join(unknown) or '(none)'}",
            hint=f"name some of {', '.join(FAULT_KINDS)}, or all",
        )
    return kinds


@dataclass
class Fault:
    """One fault: planned, then as it happened (seconds since the exercise started)."""

    kind: str
    at_s: float  # planned injection time
    hold_s: float  # how long the process or broker stays down (stopped, for hub-stop)
    target: str = ""
    injected_s: float | None = None
    restored_s: float | None = None
    recovered_s: float | None = None  # lag back to its level before the fault
    zero_s: float | None = None  # lag at zero (under traffic maybe only once it stops)
    lag_before: int = 0
    lag_max: int = 0
    latency: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    settle: str = ""  # the consumer groups before the injection
    note: str = ""  # hub-stop: what the woken instance's log says about fencing

    def summary(self) -> dict[str, Any]:
        """The fault as the report lists it."""
        took = None
        if self.recovered_s is not None and self.injected_s is not None:
            took = round(self.recovered_s - self.injected_s, 1)
        return {
            "fault": self.kind, "target": self.target, "planned_s": round(self.at_s, 1),
            "injected_s": self.injected_s, "hold_s": round(self.hold_s, 1),
            "restored_s": self.restored_s, "recovered_s": self.recovered_s,
            "lag_back_after_s": took, "lag_before": self.lag_before, "lag_max": self.lag_max,
            "lag_zero_s": self.zero_s,
            "latency": self.latency, "error": self.error, "settled": self.settle,
            "note": self.note,
        }  # fmt: skip


def plan_faults(
    kinds: Iterable[str], *, start_s: float, duration_s: float, seed: int
) -> list[Fault]:
    """One fault of each kind, in a seeded random order, one per equal slot of the traffic.

    Faults start after a tenth of the traffic and end by three quarters of it, so the
    pipeline is busy before each and has time to catch up after the last.
    """
    rng = random.Random(seed * 1_000_003 + 16)
    order = list(kinds)
    rng.shuffle(order)
    first, last = start_s + 0.1 * duration_s, start_s + 0.75 * duration_s
    slot = (last - first) / max(1, len(order))
    faults = []
    for index, kind in enumerate(order):
        at = first + index * slot + rng.uniform(0, 0.3 * slot)
        if kind == "broker-kill":
            hold = rng.uniform(8.0, 15.0)
        elif kind == "hub-stop":
            hold = SESSION_TIMEOUT_S + rng.uniform(4.0, 8.0)
        else:
            hold = rng.uniform(3.0, 6.0)
        faults.append(Fault(kind, round(at, 1), round(hold, 1)))
    return faults


async def busiest_ingress_leader(settings: Settings, orgs: list[str]) -> tuple[str, int, int]:
    """The ingress partition holding the most records and the broker that leads it:
    (topic, partition, broker node id)."""
    names = TopicNames(settings.topic_prefix)
    topics = [names.ingress(org) for org in orgs]
    consumer = make_consumer(settings, group_id=None)
    await consumer.start()
    try:
        tps = [tp for topic in topics for tp in await assign_from_start(consumer, topic)]
        ends = await consumer.end_offsets(tps)
    finally:
        await consumer.stop()
    busiest = max(tps, key=lambda tp: ends.get(tp, 0))
    admin = make_admin(settings)
    await admin.start()
    try:
        described = await admin.describe_topics([busiest.topic])
    finally:
        await admin.close()
    for part in described[0]["partitions"]:
        if part["partition"] == busiest.partition:
            return busiest.topic, busiest.partition, int(part["leader"])
    raise ConfigError(f"no leader known for {busiest}", hint="is the cluster up?")


@dataclass
class Chaos:
    """Injects ``faults`` one after another into the running exercise."""

    faults: list[Fault]
    components: ComponentSet
    monitor: Monitor
    settings: Settings
    orgs: list[str]
    cluster: LocalCluster | None
    seed: int
    down: set[str] = field(default_factory=set)  # components the chaos has killed for now
    _task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Run the schedule in the background."""
        self._task = asyncio.create_task(self._run())

    async def finish(self) -> None:
        """Wait until every fault was injected and its process or broker is back."""
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        rng = random.Random(self.seed * 7 + 3)
        for fault in self.faults:
            await asyncio.sleep(max(0.0, fault.at_s - self.monitor.now()))
            # Each fault meets a settled pipeline: every hub instance and the nodes own their
            # partitions again (else a stopped hub that owns nothing would be no zombie).
            fault.settle = await self._settled()
            fault.lag_before = max(
                (v for t, v in self.monitor.lag if v is not None and t >= self.monitor.now() - 20),
                default=0,
            )
            try:
                await self._inject(fault, rng)
            except Exception as error:  # why: a fault that failed is reported, the run goes on
                fault.error = f"{type(error).__name__}: {error}"
                log.warning("fault_failed", fault=fault.kind, error=fault.error)
            log.info("fault_done", **fault.summary())

    async def _settled(self, wait_s: float = 30.0) -> str:
        """Wait until every hub and node process owns input partitions since its last start
        (its log's last ``eos_assigned``); what was seen, and how long it took.

        The logs, not the broker's group description: aiokafka 0.14 cannot decode some
        DescribeGroups answers of Kafka 4 ("Buffer underrun decoding string")."""
        parts = [c for c in self.components.components if c.name.startswith(("hub", "node"))]
        started = time.monotonic()
        idle: list[str] = []
        while time.monotonic() < started + wait_s:
            idle = [c.name for c in parts if not _owns_partitions(c)]
            if not idle:
                return f"all own partitions after {time.monotonic() - started:.1f}s"
            await asyncio.sleep(1.0)
        log.warning("chaos_not_settled", waited_s=wait_s, idle=idle)
        return f"after {wait_s:.0f}s still without partitions: {', '.join(idle)}"

    def _pick(self, rng: random.Random, *prefixes: str) -> Component:
        names = [c for c in self.components.components if c.name.startswith(prefixes)]
        return rng.choice(sorted(names, key=lambda c: c.name))

    async def _inject(self, fault: Fault, rng: random.Random) -> None:
        if fault.kind == "broker-kill":
            await self._broker(fault)
            return
        if fault.kind == "hub-stop":
            part = self._pick(rng, "hub")
            fault.target = part.name
            assert part.proc is not None  # why: started before the chaos
            fault.injected_s = round(self.monitor.now(), 2)
            fenced_before = _count(part, "eos_fenced")
            os.killpg(part.proc.pid, signal.SIGSTOP)
            try:
                await asyncio.sleep(fault.hold_s)
            finally:
                os.killpg(part.proc.pid, signal.SIGCONT)
            fault.restored_s = round(self.monitor.now(), 2)
            await asyncio.sleep(5.0)  # the zombie's next commit meets the new owner's epoch
            fenced = _count(part, "eos_fenced") - fenced_before
            fault.note = f"{fenced} transaction(s) of the woken instance fenced"
            return
        prefixes = {"hub-kill": ("hub",), "node-kill": ("node",), "post-kill": ("post",)}
        part = self._pick(rng, *prefixes[fault.kind])
        fault.target = part.name
        await self._kill_and_restart(fault, part)

    async def _kill_and_restart(self, fault: Fault, part: Component) -> None:
        assert part.proc is not None  # why: started before the chaos
        self.down.add(part.name)
        fault.injected_s = round(self.monitor.now(), 2)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(part.proc.pid, signal.SIGKILL)
        await asyncio.to_thread(part.proc.wait, 10)
        await asyncio.sleep(fault.hold_s)
        part.start(self.components.env | part.env)
        await _ready(part)
        self.down.discard(part.name)
        fault.restored_s = round(self.monitor.now(), 2)

    async def _broker(self, fault: Fault) -> None:
        if self.cluster is None:
            raise ConfigError("no local cluster to kill a broker of", hint="run with --brokers 3")
        topic, partition, leader = await busiest_ingress_leader(self.settings, self.orgs)
        fault.target = f"broker {leader} (leads {topic.rsplit('.', 1)[-1]}[{partition}])"
        fault.injected_s = round(self.monitor.now(), 2)
        await asyncio.to_thread(self.cluster.stop_node, leader, kill=True)
        await asyncio.sleep(fault.hold_s)
        await asyncio.to_thread(self.cluster.start_node, leader, timeout=180.0)
        fault.restored_s = round(self.monitor.now(), 2)

    # -- after the run ---------------------------------------------------------------------

    def settle(self, samples: list[dict[str, Any]]) -> None:
        """Fill in each fault's recovery time, peak lag and latency around it."""
        lag = [(t, v) for t, v in self.monitor.lag if v is not None]
        started = self.monitor.started
        for index, fault in enumerate(self.faults):
            if fault.injected_s is None:
                continue
            restored = fault.restored_s if fault.restored_s is not None else fault.injected_s
            fault.lag_max = max((v for t, v in lag if t >= fault.injected_s), default=0)
            fault.recovered_s = next(
                (t for t, v in lag if t >= restored and v <= fault.lag_before), None
            )
            fault.zero_s = next((t for t, v in lag if t >= restored and v == 0), None)
            nxt = self.faults[index + 1].injected_s if index + 1 < len(self.faults) else None
            end = fault.recovered_s if fault.recovered_s is not None else restored
            after_end = end + WINDOW_S if nxt is None else min(end + WINDOW_S, nxt)
            windows = {
                "before": (fault.injected_s - WINDOW_S, fault.injected_s),
                "during": (fault.injected_s, end),
                "after": (end, after_end),
            }
            fault.latency = {
                name: quantiles([
                    float(s["e2e_ms"]) for s in samples
                    if s.get("e2e_ms") is not None and lo <= s["at_ms"] / 1000 - started < hi
                ]).model_dump()
                for name, (lo, hi) in windows.items()
            }  # fmt: skip

    def section(self) -> dict[str, Any]:
        """The report's ``chaos`` section."""
        return {
            "session_timeout_s": SESSION_TIMEOUT_S,
            "faults": [f.summary() for f in self.faults],
            "lag": self.monitor.lag[-5000:],
        }

    def checks(self) -> list[AccountingCheck]:
        """Every fault was injected, its process or broker came back, and the lag recovered."""
        bad = [
            f"{f.kind}: "
            + (f.error or ("never injected" if f.injected_s is None else "lag never recovered"))
            for f in self.faults
            if f.error or f.injected_s is None or f.recovered_s is None
        ]
        took = [f"{f.kind} {f.recovered_s - f.injected_s:.0f}s" for f in self.faults
                if f.recovered_s is not None and f.injected_s is not None]  # fmt: skip
        return [AccountingCheck(
            name="every fault was injected, restored, and the lag came back",
            ok=not bad,
            detail=f"{len(self.faults)} faults; lag back after: {', '.join(took) or '-'}"
            + (f"; problems: {'; '.join(bad)}" if bad else ""),
        )]  # fmt: skip


def _owns_partitions(part: Component) -> bool:
    """True when the component's log, since its last start, ends its partition assignments
    with some partitions owned."""
    try:
        text = part.log_path.read_text(errors="replace")
    except OSError:
        return False
    since_start = text[text.rfind("metrics on http") :]
    for line in reversed(since_start.splitlines()):
        if '"event": "eos_assigned"' in line:
            with contextlib.suppress(ValueError, AttributeError):
                return int(json.loads(line).get("owned", 0)) > 0
            return False
    return False


def _count(part: Component, event: str) -> int:
    """How many log lines of ``part`` name ``event`` (the components log JSON lines)."""
    try:
        text = part.log_path.read_text(errors="replace")
    except OSError:
        return 0
    return text.count(f'"event": "{event}"')


async def _ready(part: Component, wait_s: float = 90.0) -> None:
    """Wait until a restarted component answers its readiness URL (or give up quietly:
    the accounting will tell whether it caught up)."""
    if part.ready_url is None:
        return
    deadline = time.monotonic() + wait_s
    async with httpx.AsyncClient(timeout=2.0) as client:
        while time.monotonic() < deadline and part.alive():
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(part.ready_url)).status_code == 200:
                    return
            await asyncio.sleep(0.3)
    log.warning("restart_not_ready", component=part.name)
