"""What an exercise watches while it runs: consumer lag, each process's memory and files,
and the posts' delivery latency samples.

Consumer lag is read from the broker, as an outside observer would: for the hub's and the
national nodes' consumer groups, each input partition's last stable offset (what a
``read_committed`` reader can reach) minus the group's committed offset. An exactly-once
writer leaves a commit marker after its last record, which a consumer never commits past
until the next record: a difference of one is that marker and counts as zero. A few offsets
behind are read, in case they hold only an aborted transaction (a killed instance's) and its
marker, which no consumer commits past either until the next record arrives.

Resident memory and open files come from ``/proc`` (Linux): ``VmRSS`` of
``/proc/PID/status`` and the entries of ``/proc/PID/fd``.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import structlog
from aiokafka import TopicPartition
from aiokafka.errors import KafkaError

from gateway.kafka.clients import make_admin, make_consumer
from gateway.settings import Settings
from gateway.simulate.frontier import PostsClient

__all__ = ["Monitor", "ProcessRow", "proc_usage", "topic_family"]

log = structlog.get_logger(__name__)
SAMPLES_KEPT = 200_000  # latency samples kept (the newest), so a soak's own memory stays flat
GROUPS = ("hub", "node")  # the exactly-once consumer groups, after the topic prefix
UNSURE_BELOW = 20  # this few offsets behind: read whether they hold a committed record


def topic_family(topic: str, prefix: str) -> str:
    """The family a lagging partition is counted under: ``ingress``, ``hub.inbox``, ``ncb``,
    ``up``, ``review.decisions`` (a topic's name without the prefix and its organization or
    country)."""
    name = topic.removeprefix(prefix)
    head = name.split(".", 1)[0]
    return name if head in {"hub", "review"} else head


async def _readable(consumer: Any, start: dict[TopicPartition, int]) -> set[TopicPartition]:
    """Of these partitions, those with a committed record at or after the given offset."""
    consumer.assign(list(start))
    for tp, offset in start.items():
        consumer.seek(tp, offset)
    found: set[TopicPartition] = set()
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline and len(found) < len(start):
        batch = await consumer.getmany(timeout_ms=300)
        found |= {tp for tp, records in batch.items() if records}
        if not batch:
            rest = [tp for tp in start if tp not in found]
            ends = await consumer.end_offsets(rest)
            if all([await consumer.position(tp) >= ends[tp] for tp in rest]):
                break  # read past every aborted offset: nothing committed there
    return found


def proc_usage(pid: int) -> tuple[float, int] | None:
    """Resident memory in MB and open file descriptors of ``pid``, or None if it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        fds = len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024, fds
    return None


@dataclass(frozen=True)
class ProcessRow:
    """One process measured once."""

    t_s: float
    name: str
    pid: int
    rss_mb: float
    fds: int


@dataclass
class Monitor:
    """Samples lag every ``lag_every_s`` and processes every ``proc_every_s`` until stopped.

    ``processes`` names the processes to measure (name -> pid), asked at each sample, so a
    restarted process is followed under its new pid. ``posts`` (when given) is asked for new
    latency samples every few seconds: a posts host keeps them in memory, and one killed by
    the exercise under faults would take its earlier samples with it.
    """

    settings: Settings
    processes: Callable[[], dict[str, int]]
    lag_every_s: float = 1.0
    proc_every_s: float = 10.0
    posts: PostsClient | None = None
    started: float = field(default_factory=time.time)  # seconds are counted from here
    lag: list[tuple[float, int | None]] = field(default_factory=list)
    # the same samples by topic family (topic_family), where the lag was known
    lag_by: list[tuple[float, dict[str, int]]] = field(default_factory=list)
    # and each family's end offsets then, summed over the groups' partitions (lag in seconds)
    ends_by: list[tuple[float, dict[str, int]]] = field(default_factory=list)
    rows: list[ProcessRow] = field(default_factory=list)
    samples: dict[tuple[Any, ...], dict[str, Any]] = field(default_factory=dict)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None
    _thread: threading.Thread | None = None
    _halt: threading.Event = field(default_factory=threading.Event)
    _ends: dict[str, int] = field(default_factory=dict)  # the last _lag's, by family

    def start(self) -> None:
        """Begin sampling in the background: lag and processes on a thread of their own."""
        self._halt = threading.Event()
        self._thread = threading.Thread(target=self._sample_thread, name="fl-monitor", daemon=True)
        self._thread.start()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Take one last sample and stop."""
        self._stop.set()
        self._halt.set()
        if self._task is not None:
            await self._task
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join)

    def now(self) -> float:
        """Seconds since ``started`` (wall clock, as the posts' latency samples are)."""
        return time.time() - self.started

    async def _run(self) -> None:
        """The posts' latency samples, on the exercise's loop (its HTTP client lives there)."""
        while self.posts is not None:
            await self.poll_latency()
            if self._stop.is_set():
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), 5.0)

    def _sample_thread(self) -> None:
        # The exercise's own loop runs the connectors and screens, and can be busy for a second
        # at a time: lag read on it counted the records that arrived between asking for the
        # groups' offsets and for the partitions' ends (bursts of 2,000 where a probe of its
        # own saw at most 500). On a loop of its own the two answers are milliseconds apart.
        asyncio.run(self._sample())

    async def _sample(self) -> None:
        admin = make_admin(self.settings, request_timeout_ms=5000)
        consumer = make_consumer(self.settings, group_id=None, request_timeout_ms=5000)
        await admin.start()
        await consumer.start()
        next_proc = 0.0
        try:
            while True:
                at = self.now()
                parts = await self._lag(admin, consumer)
                self.lag.append((round(at, 2), None if parts is None else sum(parts.values())))
                if parts is not None:
                    self.lag_by.append((round(at, 2), parts))
                    self.ends_by.append((round(at, 2), self._ends))
                if at >= next_proc:
                    self._measure(at)
                    next_proc = at + self.proc_every_s
                if self._halt.is_set():
                    return
                await asyncio.to_thread(self._halt.wait, self.lag_every_s)
        finally:
            await consumer.stop()
            await admin.close()

    async def _lag(self, admin: Any, consumer: Any) -> dict[str, int] | None:
        """Records the hub and nodes have yet to commit by topic family, or None while the
        broker cannot say (the families' summed end offsets are kept in ``_ends``)."""
        prefix = self.settings.topic_prefix
        self._ends = {}
        try:
            committed: dict[TopicPartition, int] = {}
            for group in GROUPS:
                offsets = await asyncio.wait_for(
                    admin.list_consumer_group_offsets(f"{prefix}{group}"), 5.0
                )
                committed |= {tp: o.offset for tp, o in offsets.items() if o.offset >= 0}
            if not committed:
                return {}
            ends = await asyncio.wait_for(consumer.end_offsets(list(committed)), 5.0)
        except (KafkaError, TimeoutError, OSError) as error:
            log.info("lag_unknown", error=type(error).__name__)
            return None
        totals: dict[str, int] = {}
        for tp, end in ends.items():
            family = topic_family(tp.topic, prefix)
            totals[family] = totals.get(family, 0) + int(end)
        self._ends = totals
        behind = {tp: int(ends[tp]) - offset for tp, offset in committed.items() if tp in ends}
        behind = {tp: b for tp, b in behind.items() if b > 1}  # one: the commit marker
        # A few offsets behind may be only an aborted transaction (a killed instance's) and its
        # marker, which no consumer commits past until the next record: read to be sure.
        unsure = {tp: committed[tp] for tp, b in behind.items() if b <= UNSURE_BELOW}
        if unsure:
            with contextlib.suppress(KafkaError, TimeoutError, OSError):
                readable = await asyncio.wait_for(_readable(consumer, unsure), 5.0)
                behind = {tp: b for tp, b in behind.items() if tp not in unsure or tp in readable}
        families: dict[str, int] = {}
        for tp, b in behind.items():
            family = topic_family(tp.topic, prefix)
            families[family] = families.get(family, 0) + b
        return families

    def _measure(self, at: float) -> None:
        for name, pid in self.processes().items():
            usage = proc_usage(pid)
            if usage is not None:
                self.rows.append(ProcessRow(round(at, 2), name, pid, round(usage[0], 1), usage[1]))

    async def poll_latency(self) -> None:
        """Keep the posts' new latency samples (a host that is down is asked next time)."""
        if self.posts is None:
            return
        since = max((int(s["at_ms"]) for s in self.samples.values()), default=0) - 10_000
        try:
            new = await self.posts.latency(since_ms=max(0, since))
        except (httpx.HTTPError, ValueError, KeyError) as error:
            log.info("latency_unreachable", error=type(error).__name__)
            return
        for sample in new:
            key = (sample["post"], sample["at_ms"], sample.get("e2e_ms"), str(sample["hops"]))
            self.samples[key] = sample
        if len(self.samples) > SAMPLES_KEPT * 1.2:  # a long run: keep the newest, as a host does
            newest = sorted(self.samples.items(), key=lambda kv: int(kv[1]["at_ms"]))
            self.samples = dict(newest[-SAMPLES_KEPT:])

    def latency_samples(self) -> list[dict[str, Any]]:
        """Every latency sample seen, oldest first."""
        return sorted(self.samples.values(), key=lambda s: int(s["at_ms"]))
