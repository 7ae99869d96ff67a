"""Shared benchmark helpers: figures and results, the broker, topics, prepared alerts, Kafka I/O.

Every Kafka helper takes a ``Target`` (``bench._cluster``): a bare bootstrap address or a
principal's settings on a secured broker.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import statistics
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from bench._cluster import (
    Cluster,
    Target,
    cpu_seconds,
    kafka_kwargs,
    plain_broker,
    secured_broker,
    target_env,
)
from gateway.kafka.internals import cluster_metadata

__all__ = [
    "Alert",
    "BenchResult",
    "Cluster",
    "Figure",
    "ProcessorRun",
    "Target",
    "alert_size",
    "await_access",
    "broker",
    "committed_total",
    "count_topics",
    "create_topics",
    "exit_on_sigterm",
    "kafka_kwargs",
    "plain_broker",
    "prepared_alerts",
    "produce_alerts",
    "ratio",
    "run_id",
    "run_processor",
    "secured_broker",
    "spawn",
    "stop",
    "target_env",
    "write_result",
]


@dataclass
class Figure:
    """One measured figure, the reference measured in the same run, and the aim it serves."""

    name: str
    value: float | None
    unit: str
    reference: float | None = None
    reference_name: str = ""
    aim: str = ""
    met: bool | None = None
    higher_is_better: bool = True

    @property
    def ratio(self) -> float | None:
        """Figure divided by reference (None when either is missing or the reference is 0)."""
        return ratio(self.value, self.reference)

    def as_json(self) -> dict[str, Any]:
        """The figure as JSON-ready data, ratio included."""
        return asdict(self) | {"ratio": self.ratio}


@dataclass
class BenchResult:
    """Everything one benchmark reports: figures, parameters, a note and an error if it failed."""

    key: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    error: str | None = None
    seconds: float = 0.0

    def add(self, figure: Figure) -> Figure:
        """Append a figure and print it with its reference, as the issue asks."""
        self.figures.append(figure)
        ref = (
            f" vs {figure.reference_name} {figure.reference:,.1f}"
            if figure.reference is not None
            else ""
        )
        value = f"{figure.value:,.1f}" if figure.value is not None else "n/a"
        rat = f" (ratio {figure.ratio:.2f})" if figure.ratio is not None else ""
        print(f"  {self.key}: {figure.name} = {value} {figure.unit}{ref}{rat}", flush=True)
        return figure

    def as_json(self) -> dict[str, Any]:
        """The result as JSON-ready data."""
        return {
            "key": self.key,
            "title": self.title,
            "figures": [f.as_json() for f in self.figures],
            "params": self.params,
            "note": self.note,
            "error": self.error,
            "seconds": round(self.seconds, 2),
        }


def ratio(value: float | None, reference: float | None) -> float | None:
    """``value / reference`` or None."""
    if value is None or reference is None or reference == 0:
        return None
    return value / reference


def write_result(result: BenchResult, path: Path | None) -> None:
    """Write one result as JSON when a path is given (the suite reads it back)."""
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result.as_json(), indent=2), encoding="utf-8")


def run_id() -> str:
    """A short unique id for topic prefixes and consumer groups of one benchmark run."""
    return uuid.uuid4().hex[:10]


@contextlib.contextmanager
def broker(data_dir: Path | None = None) -> Iterator[str]:
    """FRONTLINE_BOOTSTRAP_SERVERS when set; else a fresh local broker, stopped at the end."""
    given = os.environ.get("FRONTLINE_BOOTSTRAP_SERVERS")
    if given:
        yield given
        return
    from gateway.broker import LocalCluster  # noqa: PLC0415  # why: only when we start one

    with contextlib.ExitStack() as stack:
        folder = data_dir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="flb-")))
        cluster = LocalCluster(folder / "broker")
        spec = cluster.up(port=0)
        try:
            yield spec.bootstrap
        finally:
            cluster.down()


async def create_topics(bootstrap: Target, names: Sequence[str], partitions: int = 3) -> None:
    """Create topics (the broker does not auto-create them); existing ones are fine."""
    names = list(dict.fromkeys(names))  # a name twice in one request fails that topic
    admin = AIOKafkaAdminClient(**kafka_kwargs(bootstrap))
    await admin.start()
    try:
        for start in range(0, len(names), 200):
            chunk = [NewTopic(n, partitions, 1) for n in names[start : start + 200]]
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(chunk)
        await _leaders(admin, names)
    finally:
        await admin.close()


async def await_access(target: Target, names: Sequence[str], wait_s: float = 60.0) -> None:
    """Wait until ``target`` logs in and may describe every topic of ``names``.

    A SCRAM user and ACLs just created reach the broker's authenticator and authorizer a
    moment later: a process started at once could be refused its login or its topics.
    """
    deadline = time.monotonic() + wait_s
    tries = 0
    while True:
        tries += 1
        admin = AIOKafkaAdminClient(**kafka_kwargs(target))
        try:
            await admin.start()
            await _leaders(admin, names, wait_s=max(1.0, deadline - time.monotonic()))
        except Exception:  # why: login refused until the new credential has propagated
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)
        else:
            waited = wait_s - (deadline - time.monotonic())
            print(f"  access ready after {waited:.1f} s ({tries} login(s))", flush=True)
            return
        finally:
            await admin.close()


async def _leaders(admin: AIOKafkaAdminClient, names: Sequence[str], wait_s: float = 30.0) -> None:
    """Wait until every partition of ``names`` has a leader, so first sends do not bounce."""
    deadline = time.monotonic() + wait_s
    pending = list(names)
    while pending and time.monotonic() < deadline:
        described = []
        for start in range(0, len(pending), 200):
            described += await admin.describe_topics(pending[start : start + 200])
        ready = {
            t["topic"]
            for t in described
            if t["error_code"] == 0
            and t["partitions"]
            and all(p["leader"] >= 0 for p in t["partitions"])
        }
        pending = [n for n in pending if n not in ready]
        if pending:
            await asyncio.sleep(0.2)
    if pending:
        raise RuntimeError(f"{len(pending)} topics have no leader after {wait_s:.0f}s")


@dataclass(frozen=True, slots=True)
class Alert:
    """One encoded alert as a connector would publish it."""

    org: str
    key: bytes
    value: bytes
    issued_ms: int


def _lasting(value: bytes, now: datetime) -> bytes:
    """The alert re-encoded to expire in 30 days when it would expire within a day.

    Generators draw some validity periods of minutes; such an alert would be routed while
    fresh and denied as EXPIRED minutes later, so two contenders run minutes apart would
    write different counts.
    """
    from gateway.contract.codec import decode_dict, encode_dict  # noqa: PLC0415  # why: heavy import

    kind, record = decode_dict(value)
    expires = record["envelope"].get("expires_at")
    if expires is None or expires > now + timedelta(days=1):
        return value
    record["envelope"]["expires_at"] = now + timedelta(days=30)
    return encode_dict(kind, record)


@cache
def _pool(seed: int, per_org: int) -> tuple[Alert, ...]:
    """Valid encoded alerts from every connector with a generator (cached per process)."""
    from connectors.base import Accepted, process  # noqa: PLC0415  # why: heavy imports
    from connectors.registry import all_connectors  # noqa: PLC0415  # why: heavy imports
    from connectors.synthetic import get_generator  # noqa: PLC0415  # why: heavy imports

    now = datetime.now(UTC)
    rng = random.Random(seed)
    alerts: list[Alert] = []
    for connector in all_connectors():
        payload = get_generator(connector.org).generate(rng, per_org, now)
        for outcome in process(connector, payload, "bench", now=now):
            if isinstance(outcome, Accepted):
                issued = int(outcome.alert.envelope.issued_at.timestamp() * 1000)
                value = _lasting(outcome.value, now)
                alerts.append(Alert(connector.org, outcome.key, value, issued))
    if not alerts:
        raise RuntimeError("no connector could generate alerts")
    return tuple(alerts)


def prepared_alerts(count: int, seed: int = 8) -> list[Alert]:
    """``count`` alerts with distinct alert ids, cycling over a pool of generated ones.

    Copies beyond the pool get a new ``alert_id`` (``<ORG>:<id>~<n>``, re-encoded), so the
    hub sees new alerts rather than duplicates, with the same routing as the original.
    """
    pool = _pool(seed, min(400, max(20, count // 5)))
    if count <= len(pool):
        return list(pool[:count])
    return list(pool) + list(_copies(seed, len(pool), count - len(pool)))


@cache
def _copies(seed: int, pool_size: int, count: int) -> tuple[Alert, ...]:
    from gateway.contract.codec import decode_dict, encode_dict  # noqa: PLC0415  # why: heavy import

    pool = _pool(seed, min(400, max(20, (pool_size + count) // 5)))
    out: list[Alert] = []
    for n in range(count):
        src = pool[n % len(pool)]
        kind, record = decode_dict(src.value)
        alert_id = f"{record['envelope']['alert_id']}~{n}"
        record["envelope"]["alert_id"] = alert_id
        out.append(Alert(src.org, alert_id.encode(), encode_dict(kind, record), src.issued_ms))
    return tuple(out)


def alert_size(seed: int = 8) -> int:
    """The median encoded size of a generated alert, in bytes (the record size to bench with)."""
    return int(statistics.median(len(a.value) for a in _pool(seed, 100)))


async def produce_alerts(
    bootstrap: Target,
    alerts: Sequence[Alert],
    topic_of: Callable[[Alert], str],
    headers_of: Callable[[Alert], list[tuple[str, bytes]]] | None = None,
) -> float:
    """Send every alert (idempotent, acks=all, batched futures); return the elapsed seconds."""
    producer = AIOKafkaProducer(
        **kafka_kwargs(bootstrap),
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        max_batch_size=262_144,
    )
    await producer.start()
    try:
        started = time.perf_counter()
        pending: list[asyncio.Future[Any]] = []
        for alert in alerts:
            headers = headers_of(alert) if headers_of is not None else None
            pending.append(
                await producer.send(topic_of(alert), alert.value, key=alert.key, headers=headers)
            )
            if len(pending) >= 10_000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
        return time.perf_counter() - started
    finally:
        await producer.stop()


async def count_topics(
    bootstrap: Target, topics: Sequence[str], *, idle_s: float = 3.0, timeout_s: float = 120.0
) -> dict[str, int]:
    """Committed records per topic, read from the start until nothing new arrives for ``idle_s``.

    Called once the writers have stopped: reading also ends as soon as every partition is
    read up to the end it had when counting began (its last stable offset), so the idle
    wait is only the fallback.
    """
    consumer = AIOKafkaConsumer(
        **kafka_kwargs(bootstrap),
        isolation_level="read_committed",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        group_id=None,
    )
    await consumer.start()
    counts: dict[str, int] = dict.fromkeys(topics, 0)
    try:
        parts = await _known_partitions(consumer, topics)
        if not parts:
            return counts
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        ends = await consumer.end_offsets(parts)  # read_committed: the last stable offsets
        deadline = time.monotonic() + timeout_s
        last_new = time.monotonic()
        while time.monotonic() < deadline and time.monotonic() - last_new < idle_s:
            if await _read_to(consumer, ends):
                break
            batch = await consumer.getmany(timeout_ms=500, max_records=10_000)
            for tp, records in batch.items():
                if records:
                    counts[tp.topic] += len(records)
                    last_new = time.monotonic()
        return counts
    finally:
        await consumer.stop()


async def _known_partitions(
    consumer: AIOKafkaConsumer, topics: Sequence[str], wait_s: float = 15.0
) -> list[TopicPartition]:
    """Every partition of ``topics``, from the cluster's metadata asked anew until it knows
    them all: a topic created a moment ago may be missing from one answer, and a topic left
    out would be counted as empty."""
    deadline = time.monotonic() + wait_s
    while True:
        cluster = await cluster_metadata(consumer)
        missing = [t for t in topics if not cluster.partitions_for_topic(t)]
        if not missing:
            return [TopicPartition(t, p) for t in topics for p in cluster.partitions_for_topic(t)]
        if time.monotonic() > deadline:
            raise RuntimeError(f"no partitions known for {missing} after {wait_s:.0f} s")
        await asyncio.sleep(0.2)


async def _read_to(consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int]) -> bool:
    """True when the consumer's position is at or past ``ends`` on every partition."""
    for tp, end in ends.items():
        if await consumer.position(tp) < end:
            return False
    return True


async def committed_total(
    admin: AIOKafkaAdminClient, group: str, topics: frozenset[str]
) -> int | None:
    """Sum of a group's committed offsets on ``topics``; None when the group committed nothing."""
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    except Exception:  # why: a group that does not exist yet answers with various errors
        return None
    found = [meta.offset for tp, meta in offsets.items() if tp.topic in topics and meta.offset > 0]
    return sum(found) if found else None


@dataclass
class ProcessorRun:
    """How fast a stream processor drained a prepared input, seen from its committed offsets."""

    alerts: int
    drained: bool
    rate: float | None  # alerts/s between its first and its last commit
    startup_s: float  # process start until its first commit
    wall_s: float  # process start until everything was committed
    log_tail: str = ""
    window: int = 0  # records committed between the first and the last commit (``rate``'s)
    cpu_s: float = 0.0  # the process's CPU (user + system) in that window
    broker_cpu_s: float = 0.0  # the broker's (``broker_pids``) in that window


def exit_on_sigterm() -> None:
    """Turn SIGTERM into ``SystemExit``, so the ``finally`` blocks stop the brokers we started.

    Python's default SIGTERM ends the process at once: a benchmark stopped by a timeout would
    leave its Kafka broker running.
    """

    def _exit(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _exit)


def spawn(argv: Sequence[str], env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    """Start one benchmark process in its own session, its output going to ``log_path``."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as out:
        return subprocess.Popen(  # our own modules, fixed argv, no shell
            list(argv), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=os.environ | env, start_new_session=True,
        )  # fmt: skip


def stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, then SIGKILL if it does not exit within 30 s."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


def _tail(path: Path, lines: int = 15) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


async def run_processor(
    bootstrap: Target,
    argv: Sequence[str],
    *,
    env: dict[str, str],
    group: str,
    inputs: Sequence[str],
    expected: int,
    log_path: Path,
    timeout_s: float = 300.0,
    broker_pids: Sequence[int] = (),
) -> ProcessorRun:
    """Start ``argv``, wait until ``group`` committed ``expected`` input records, stop it.

    The rate is taken between the first and the last commit seen (polled every 50 ms), so
    process start-up and group join are left out the same way for every contender; so is
    the CPU time of the process (and of ``broker_pids``), sampled at the same moments.
    """
    topics = frozenset(inputs)
    admin = AIOKafkaAdminClient(**kafka_kwargs(bootstrap))
    await admin.start()
    proc = spawn(argv, env, log_path)
    started = time.perf_counter()
    first: tuple[float, int] | None = None
    last = 0.0
    done = 0
    cpu_first = cpu_last = (0.0, 0.0)
    try:
        deadline = started + timeout_s
        while time.perf_counter() < deadline and proc.poll() is None:
            total = await committed_total(admin, group, topics) or 0
            now = time.perf_counter()
            cpu = (cpu_seconds([proc.pid]), cpu_seconds(broker_pids))
            if total and first is None:
                first, cpu_first = (now, total), cpu
            if total > done:
                done, last, cpu_last = total, now, cpu
            if done >= expected:
                break
            await asyncio.sleep(0.05)
    finally:
        await asyncio.to_thread(stop, proc)
        await admin.close()
    rate = None
    if first is not None and done >= expected and last > first[0]:
        rate = (done - first[1]) / (last - first[0])
    return ProcessorRun(
        alerts=expected,
        drained=done >= expected,
        rate=rate,
        startup_s=(first[0] - started) if first else float("nan"),
        wall_s=last - started,
        log_tail="" if done >= expected else _tail(log_path),
        window=done - first[1] if first else 0,
        cpu_s=cpu_last[0] - cpu_first[0],
        broker_cpu_s=cpu_last[1] - cpu_first[1],
    )
