"""The ingress leg: hostile records straight onto the ingress topics while a hub and a node run.

On a fresh topic prefix (every topic of the shipped topology, ``topics apply``'s plan), with a
throw-away signing key per organization and the hub and node given the trust file, this starts
``frontline hub run`` and ``frontline node run --all`` as processes, then produces bad records
(``BAD_KINDS``) interleaved with good, signed alerts from every connector's generator. Then:

* the hub's group commits every ingress record (throughput measured meanwhile) and neither
  process exits; a hub or node that stops committing for ``stall_s`` is a stall;
* every bad record is on the quarantine topic exactly once with a reason, found by its source
  ``<topic>[<partition>]@<offset>``, and no good record is;
* every good alert the hub's own pure ``route`` delivers somewhere is on a national topic;
* the node's group catches up with every national partition.
"""

from __future__ import annotations

import asyncio
import base64
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from bench._common import Alert, prepared_alerts, run_id, spawn, stop
from bench.bench_hub import Signing
from gateway.contract.messages import MESSAGE_HEADER
from gateway.errors import FrontlineError
from gateway.hub.policy.decide import load_policy
from gateway.hub.route import Inbound, route
from gateway.hub.state import StateStore
from gateway.kafka.internals import refresh_metadata
from gateway.kafka.layout import apply_topics, plan_topics
from gateway.kafka.quarantine import QuarantineRecord
from gateway.kafka.topic_names import TopicNames
from gateway.settings import Settings
from gateway.topology import load_topology

__all__ = ["BAD_KINDS", "IngressLeg", "IngressResult"]

FRONTLINE = str(Path(sys.executable).parent / "frontline")
# With its signature headers one such record still fits the broker's default batch limit
# (1,048,588 bytes); past the hub's deliverable size, it is refused as too large.
NEAR_1MIB = 1_048_000
OVERSIZED_EVERY = 200  # a megabyte each: a few dozen in a full run, at least one in a smoke run
BAD_KINDS = (
    "malformed", "truncated", "foreign_schema", "unsigned", "bad_signature", "tampered",
    "wrong_key", "bad_sig_headers", "impostor", "tombstone", "spoofed_message", "oversized",
)  # fmt: skip


@dataclass
class IngressResult:
    """What the ingress leg sent, where it all landed, and how the hub kept up."""

    sent: Counter[str] = field(default_factory=Counter)
    quarantined: Counter[str] = field(default_factory=Counter)
    reasons: dict[str, Counter[str]] = field(default_factory=dict)
    missing: list[tuple[str, str]] = field(default_factory=list)
    twice: list[str] = field(default_factory=list)
    no_reason: list[str] = field(default_factory=list)
    good_sent: int = 0
    good_deliverable: int = 0
    good_delivered: int = 0
    good_quarantined: int = 0
    national_records: int = 0
    produce_s: float = 0.0
    drain_s: float = 0.0
    hub_rate: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def bad(self) -> int:
        """Bad records sent."""
        return sum(self.sent.values())

    @property
    def ok(self) -> bool:
        """Every bad record quarantined once with a reason, every good one routed, no stall."""
        return not (self.problems or self.missing or self.twice or self.no_reason) and (
            self.good_delivered == self.good_deliverable and self.good_quarantined == 0
        )

    def as_json(self) -> dict[str, Any]:
        """JSON-ready counts."""
        return {
            "bad_sent": self.bad, "by_kind": {
                k: {"sent": n, "quarantined": self.quarantined[k],
                    "reasons": dict(self.reasons.get(k, Counter()).most_common(6))}
                for k, n in sorted(self.sent.items())
            },
            "missing": self.missing[:20], "quarantined_twice": self.twice[:20],
            "without_reason": self.no_reason[:20], "good_sent": self.good_sent,
            "good_deliverable": self.good_deliverable, "good_delivered": self.good_delivered,
            "good_quarantined": self.good_quarantined, "national_records": self.national_records,
            "produce_s": round(self.produce_s, 2), "drain_s": round(self.drain_s, 2),
            "hub_records_per_s": round(self.hub_rate, 1), "problems": self.problems, "ok": self.ok,
        }  # fmt: skip


Record = tuple[str, str, bytes | None, list[tuple[str, bytes]]]  # (org, label, value, headers)


class Forger:
    """Builds the bad records of each kind for one organization's ingress topic."""

    def __init__(self, signing: Signing, pool: list[Alert], rng: random.Random) -> None:
        self.signing = signing
        self.pool = pool
        self.rng = rng
        self.orgs = sorted(signing.signers)

    def _sign(self, org: str, value: bytes) -> list[tuple[str, bytes]]:
        return self.signing.signers[org].sign(value)

    def _alert(self, org: str) -> Alert:
        own = [a for a in self.pool[:200] if a.org == org]
        return self.rng.choice(own or self.pool)

    def make(self, kind: str, org: str) -> tuple[bytes | None, list[tuple[str, bytes]]]:  # noqa: PLR0911  # one branch per kind
        """A bad value and its headers, aimed at ``org``'s ingress topic."""
        rng = self.rng
        good = self._alert(org).value
        if kind == "malformed":
            junk = rng.randbytes(rng.randrange(0, 300))
            return junk, self._sign(org, junk) if rng.random() < 0.5 else []
        if kind == "truncated":
            cut = good[: rng.randrange(1, len(good))]
            return cut, self._sign(org, cut)
        if kind == "foreign_schema":
            value = b"\xc3\x01" + rng.randbytes(8) + rng.randbytes(rng.randrange(0, 200))
            return value, self._sign(org, value)
        if kind == "unsigned":
            return good, []
        if kind == "bad_signature":
            headers = self._sign(org, good)
            sig = base64.b64encode(rng.randbytes(64))
            return good, [(k, sig if k == "fl-sig" else v) for k, v in headers]
        if kind == "tampered":
            headers = self._sign(org, good)
            out = bytearray(good)
            out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
            return bytes(out), headers
        if kind == "wrong_key":
            other = rng.choice([o for o in self.orgs if o != org])
            return good, self._sign(other, good)
        if kind == "bad_sig_headers":
            odd: list[bytes] = [b"", b"!!!", b"9" * 40, b"-1", rng.randbytes(20), b"A" * 5000]
            return good, [(k, rng.choice(odd)) for k in ("fl-sig-key", "fl-sig", "fl-sig-ts")]
        if kind == "impostor":  # another organization's alert, signed with this one's key
            value = rng.choice([a for a in self.pool if a.org != org]).value
            return value, self._sign(org, value)
        if kind == "tombstone":
            return None, []
        if kind == "spoofed_message":
            name = rng.choice([b"HitReport", b"Flag", b"ReceiptSummary", b"junk", b"HitAck"])
            return rng.randbytes(rng.randrange(0, 120)), [(MESSAGE_HEADER, name)]
        value = bytes([rng.randrange(256)]) * NEAR_1MIB  # oversized
        return value, self._sign(org, value)


def _deliverable(alerts: list[Alert], candidates: frozenset[str]) -> set[bytes]:
    """Keys of the alerts the hub's pure route delivers to at least one country."""
    policy, now = load_policy(), int(time.time() * 1000)
    keep: set[bytes] = set()
    for n, alert in enumerate(alerts):
        store = StateStore("fuzz")
        effects = route(
            Inbound(alert.org, (alert.org, 0), n, alert.value), store, policy, now,
            candidates=candidates,
        )  # fmt: skip
        if effects.deliveries:
            keep.add(alert.key)
    return keep


async def _produce(
    bootstrap: str, names: TopicNames, bad: list[Record], good: list[Alert], signing: Signing,
) -> tuple[dict[str, str], float]:  # fmt: skip
    """Send the bad records with a good one after every few; their sources -> labels."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", linger_ms=5,
        max_request_size=1_100_000, max_batch_size=262_144,
    )  # fmt: skip
    await producer.start()
    started = time.perf_counter()
    every = max(1, len(bad) // max(1, len(good)))
    pending: list[tuple[str, asyncio.Future[Any]]] = []
    sources: dict[str, str] = {}
    try:
        goods = iter(good)
        for n, (org, label, value, headers) in enumerate(bad):
            topic = names.ingress(org)
            key = f"{label}-{n}".encode()
            pending.append((label, await producer.send(topic, value, key=key, headers=headers)))
            if n % every == 0 and (alert := next(goods, None)) is not None:
                topic = names.ingress(alert.org)
                sig = signing.headers(alert)
                await producer.send(topic, alert.value, key=alert.key, headers=sig)
            if len(pending) >= 2000:
                await _settle(pending, sources)
        for alert in goods:  # any left when there are more good than bad
            await producer.send(
                names.ingress(alert.org), alert.value, key=alert.key, headers=signing.headers(alert)
            )
        await _settle(pending, sources)
        await producer.flush()
    finally:
        await producer.stop()
    return sources, time.perf_counter() - started


async def _settle(pending: list[tuple[str, asyncio.Future[Any]]], sources: dict[str, str]) -> None:
    for label, future in pending:
        meta = await future
        sources[f"{meta.topic}[{meta.partition}]@{meta.offset}"] = label
    pending.clear()


async def _end_offsets(bootstrap: str, topics: list[str]) -> dict[TopicPartition, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        parts = [
            TopicPartition(t, p) for t in topics for p in consumer.partitions_for_topic(t) or ()
        ]
        if len({tp.topic for tp in parts}) < len(set(topics)):
            await refresh_metadata(consumer)  # topics created a moment ago
            parts = [
                TopicPartition(t, p) for t in topics for p in consumer.partitions_for_topic(t) or ()
            ]
        offsets: dict[TopicPartition, int] = await consumer.end_offsets(parts)
        return offsets
    finally:
        await consumer.stop()


async def _wait_group(
    admin: AIOKafkaAdminClient, group: str, need: dict[TopicPartition, int],
    procs: dict[str, Any], *, stall_s: float, problems: list[str],
) -> float | None:  # fmt: skip
    """Seconds until ``group`` committed at least ``need`` on every partition; None on a stall
    (no progress for ``stall_s``) or when a process exits."""
    started = last_change = time.perf_counter()
    target = sum(need.values())
    done = -1
    while True:
        for name, proc in procs.items():
            if proc.poll() is not None:
                problems.append(f"the {name} exited with code {proc.returncode}: {_tail(proc)}")
                return None
        try:
            offsets = await admin.list_consumer_group_offsets(group)
        except Exception:  # why: a group that has not committed yet answers with various errors
            offsets = {}
        total = sum(min(n, offsets[tp].offset) for tp, n in need.items() if tp in offsets)
        now = time.perf_counter()
        if total != done:
            done, last_change = total, now
        if total >= target:
            return now - started
        if now - last_change > stall_s:
            problems.append(f"{group} stalled at {total} of {target} offsets for {stall_s:.0f} s")
            return None
        await asyncio.sleep(0.2)


async def _warm_up(leg: IngressLeg, admin: AIOKafkaAdminClient, problems: list[str]) -> None:
    """Send the first good alert and wait until the hub committed it, so that the throughput
    measured afterwards leaves the hub's start-up out."""
    alert = leg.pool[0]
    producer = AIOKafkaProducer(bootstrap_servers=leg.bootstrap, enable_idempotence=True)
    await producer.start()
    try:
        topic = leg.names.ingress(alert.org)
        await producer.send_and_wait(
            topic, alert.value, key=alert.key, headers=leg.signing.headers(alert)
        )
    finally:
        await producer.stop()
    need = await _end_offsets(leg.bootstrap, [leg.names.ingress(o) for o in leg.orgs])
    group = f"{leg.names.prefix}hub"
    await _wait_group(admin, group, need, leg.procs, stall_s=120, problems=problems)


_LOGS: dict[int, Path] = {}  # process id -> the log file its output goes to


def _spawn(argv: list[str], env: dict[str, str], log: Path) -> Any:
    proc = spawn(argv, env, log)
    _LOGS[proc.pid] = log
    return proc


def _tail(proc: Any, lines: int = 12) -> str:
    """The last lines of a process's log, for the report when it exited."""
    log = _LOGS.get(proc.pid)
    if log is None or not log.exists():
        return ""
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


async def _read(bootstrap: str, topics: list[str], deadline_s: float = 300.0) -> list[Any]:
    """Every committed record of ``topics`` (read_committed, from the start); FrontlineError
    naming the partitions short of their end when ``deadline_s`` passes first (a transaction
    left open holds read_committed readers back)."""
    ends = {tp: n for tp, n in (await _end_offsets(bootstrap, topics)).items() if n}
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, isolation_level="read_committed",
        enable_auto_commit=False, auto_offset_reset="earliest", max_partition_fetch_bytes=2**21,
    )  # fmt: skip
    await consumer.start()
    out: list[Any] = []
    try:
        if not ends:
            return out
        consumer.assign(list(ends))
        await consumer.seek_to_beginning(*ends)
        deadline = time.monotonic() + deadline_s
        while True:
            batch = await consumer.getmany(timeout_ms=500, max_records=20_000)
            for records in batch.values():
                out.extend(records)
            positions = {tp: await consumer.position(tp) for tp in ends}
            if all(positions[tp] >= end for tp, end in ends.items()):
                return out
            if time.monotonic() > deadline:
                raise _short(ends, positions, len(out), deadline_s)
    finally:
        await consumer.stop()


def _short(
    ends: dict[TopicPartition, int], positions: dict[TopicPartition, int], read: int, waited: float
) -> FrontlineError:
    short = sorted(f"{tp.topic}[{tp.partition}] at offset {positions[tp]:,} of {end:,}"
                   for tp, end in ends.items() if positions[tp] < end)  # fmt: skip
    return FrontlineError(
        f"read {read:,} records in {waited:g} s, but {len(short)} partitions stopped short of "
        f"their end offset (the count of records expected there, transaction markers "
        f"included): {'; '.join(short[:10])}",
        hint="a transaction left open holds read_committed readers back until it times out: "
        "look for a producer that died mid-transaction (it ends at its transaction timeout)",
    )


def _bad_records(forger: Forger, count: int, orgs: list[str], rng: random.Random) -> list[Record]:
    kinds = [k for k in BAD_KINDS if k != "oversized"]
    out: list[Record] = []
    for n in range(count):
        kind = "oversized" if n % OVERSIZED_EVERY == 7 else kinds[n % len(kinds)]
        org = orgs[rng.randrange(len(orgs))]
        value, headers = forger.make(kind, org)
        out.append((org, kind, value, headers))
    return out


class IngressLeg:
    """The leg's topics, keys, records and processes: ``prepare`` starts the hub and the node
    (so they start while the other legs run), ``run`` produces and accounts, ``stop`` ends."""

    def __init__(self, bootstrap: str, *, bad: int, good: int, seed: int, workdir: Path) -> None:
        self.bootstrap = bootstrap
        self.names = TopicNames(f"fi{run_id()}.")
        self.topology = load_topology()
        self.countries = frozenset(c.code for c in self.topology.countries)
        self.workdir = workdir
        self.signing = Signing.demo(workdir / "keys")
        rng = random.Random(seed)
        self.pool = prepared_alerts(good, seed=seed)
        self.bad = _bad_records(Forger(self.signing, self.pool, rng), bad, self.orgs, rng)
        self.deliverable = _deliverable(self.pool, self.countries)
        self.procs: dict[str, Any] = {}

    @property
    def orgs(self) -> list[str]:
        """The organizations with a key, in order."""
        return sorted(self.signing.signers)

    def prepare(self) -> None:
        """Create every topic of the topology under a fresh prefix; start the hub and the node."""
        prefix = self.names.prefix
        settings = Settings(
            bootstrap_servers=self.bootstrap, topic_prefix=prefix, data_dir=self.workdir
        )
        results = asyncio.run(apply_topics(plan_topics(self.topology, settings), settings))
        failed = [r for r in results if not r.ok]
        if failed:
            raise RuntimeError(f"{len(failed)} topics could not be created under {prefix}")
        env = {
            "FRONTLINE_BOOTSTRAP_SERVERS": self.bootstrap, "FRONTLINE_TOPIC_PREFIX": prefix,
            "FRONTLINE_TRUST_FILE": str(self.signing.trust_file), "FRONTLINE_LOG_FORMAT": "json",
            "FRONTLINE_LOG_LEVEL": "ERROR", "FRONTLINE_DATA_DIR": str(self.workdir / "state"),
        }  # fmt: skip
        self.procs = {
            "hub": _spawn([FRONTLINE, "hub", "run"], env, self.workdir / "hub.log"),
            "node": _spawn([FRONTLINE, "node", "run", "--all"], env, self.workdir / "node.log"),
        }

    def stop(self) -> None:
        """Stop the hub and the node (SIGTERM, then SIGKILL after 30 s)."""
        for proc in self.procs.values():
            stop(proc)

    async def run(
        self, *, stall_s: float = 90.0, say: Callable[[str], None] = print
    ) -> IngressResult:
        """Produce the bad and good records, wait for the hub and the node, account for all."""
        result = IngressResult()
        names, procs, prefix = self.names, self.procs, self.names.prefix
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await admin.start()
        try:
            await _warm_up(self, admin, result.problems)
            if result.problems:
                return result
            sources, result.produce_s = await _produce(
                self.bootstrap, names, self.bad, self.pool[1:], self.signing
            )
            say(f"ingress: {len(sources):,} bad and {len(self.pool):,} good records produced")
            result.sent = Counter(sources.values())
            result.good_sent = len(self.pool)
            ingress = [names.ingress(o.code) for o in self.topology.organizations]
            need = await _end_offsets(self.bootstrap, ingress)  # no transactions: one per record
            waited = await _wait_group(
                admin, f"{prefix}hub", need, procs, stall_s=stall_s, problems=result.problems
            )
            total = sum(need.values()) - 1  # all but the warm-up alert
            if waited is not None:
                say(f"ingress: the hub committed all {total:,} records {waited:.1f} s later")
                result.drain_s = waited
                # From the first record produced until the hub committed the last one.
                result.hub_rate = total / (result.produce_s + waited)
            national = await _account(result, self, sources)
            say(f"ingress: {sum(result.quarantined.values()):,} bad records found in quarantine")
            # The node has read a partition when its offset passed the last record's (a
            # partition the hub wrote ends with transaction markers, which hold no record).
            need = {}
            for record in national:
                tp = TopicPartition(record.topic, record.partition)
                need[tp] = max(need.get(tp, 0), record.offset + 1)
            waited = await _wait_group(
                admin, f"{prefix}node", need, procs, stall_s=stall_s, problems=result.problems
            )
            if waited is not None:
                say(f"ingress: the node read all {len(national):,} national records")
        finally:
            await admin.close()
        for name, proc in procs.items():
            if proc.poll() is not None and f"the {name} exited" not in " ".join(result.problems):
                result.problems.append(
                    f"the {name} exited with code {proc.returncode}: {_tail(proc)}"
                )
        return result


async def _account(result: IngressResult, leg: IngressLeg, sources: dict[str, str]) -> list[Any]:
    """Quarantine records by source, good alerts found on the national topics (returned)."""
    names = leg.names
    seen: set[str] = set()
    for record in await _read(leg.bootstrap, [names.quarantine]):
        q = QuarantineRecord.from_kafka(record.value, record.headers)
        label = sources.get(q.source)
        if label is None:
            result.good_quarantined += q.source.startswith(names.prefix + "ingress")
            continue
        if q.source in seen:
            result.twice.append(q.source)
        seen.add(q.source)
        result.quarantined[label] += 1
        if not q.reasons or not q.reasons[0].code:
            result.no_reason.append(q.source)
        else:
            result.reasons.setdefault(label, Counter())[q.reasons[0].code] += 1
    result.missing = sorted((s, label) for s, label in sources.items() if s not in seen)
    national = await _read(leg.bootstrap, [names.ncb(c) for c in sorted(leg.countries)])
    result.national_records = len(national)
    keys = {r.key for r in national if r.key is not None}
    result.good_deliverable = len(leg.deliverable)
    result.good_delivered = len(leg.deliverable & keys)
    return national
