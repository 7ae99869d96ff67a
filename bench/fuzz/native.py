"""The native leg: mutated exports through every connector's pipeline, in process and on Kafka.

In process, each case takes a valid export of one to three records from the organization's
generator (``connectors.synthetic``), applies one mutation (``bench.fuzz.mutate``) and runs
``connectors.base.process`` over it under a per-record time bound (a SIGALRM timer). Every
record must end Accepted (an encodable alert) or Refused with at least one coded reason, and a
non-empty export must yield at least one outcome. ``internal_error`` refusals are the
pipeline's safety net catching a parser exception: accounted for, but counted as findings.

On Kafka, a sample of the same cases goes through the connector runtime's ``Publisher`` to a
real broker; the report of each publish and the records counted back on the ingress and
quarantine topics (read_committed) must both equal the outcomes seen in process, except that
an alert valid in process but past the topic's size limit is quarantined as ``too_large``.
"""

from __future__ import annotations

import asyncio
import random
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench._common import count_topics, create_topics, run_id
from bench.fuzz.mutate import KINDS, mutate
from connectors.base import Accepted, Connector, Refused, process
from connectors.registry import all_connectors, get_connector
from connectors.runtime.publisher import Publisher
from connectors.synthetic import get_generator
from gateway.contract.codec import decode_dict
from gateway.kafka.topic_names import TopicNames
from gateway.settings import Settings

__all__ = ["Case", "KafkaTally", "NativeResult", "Tally", "replay", "run_kafka", "run_native"]

POOL = 40  # valid exports per organization that the cases mutate


class Hang(BaseException):  # why: not an Exception, so the pipeline's nets let it through
    """Raised by the per-record timer: the pipeline ran past its bound."""


@dataclass
class Tally:
    """What one (organization, mutation) cell saw."""

    cases: int = 0
    outcomes: int = 0
    accepted: int = 0
    refused: int = 0
    internal: int = 0
    max_s: float = 0.0
    total_s: float = 0.0

    def as_json(self) -> dict[str, Any]:
        """JSON-ready counts, times in milliseconds."""
        return {
            "cases": self.cases, "outcomes": self.outcomes, "accepted": self.accepted,
            "refused": self.refused, "internal_errors": self.internal,
            "max_ms": round(self.max_s * 1000, 2), "total_s": round(self.total_s, 2),
        }  # fmt: skip


@dataclass(frozen=True)
class Case:
    """One mutated export kept for the Kafka leg, with what the pipeline made of it."""

    org: str
    kind: str
    number: int
    payload: bytes
    accepted: int
    refused: int


@dataclass
class NativeResult:
    """The in-process leg: tallies by (org, kind), findings, the Kafka sample, the wall time."""

    tallies: dict[tuple[str, str], Tally] = field(default_factory=dict)
    findings: list[dict[str, Any]] = field(default_factory=list)
    sample: list[Case] = field(default_factory=list)
    seconds: float = 0.0
    refusal_codes: dict[str, int] = field(default_factory=dict)

    @property
    def cases(self) -> int:
        """Mutated exports run."""
        return sum(t.cases for t in self.tallies.values())


@contextmanager
def _bounded(seconds: float) -> Iterator[None]:
    """Raise ``Hang`` in this (main) thread when the block runs longer than ``seconds``."""

    def _alarm(_signum: int, _frame: object) -> None:
        raise Hang

    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _pool(connector: Connector, seed: int, now: datetime) -> list[bytes]:
    generator = get_generator(connector.org)
    rng = random.Random(seed)
    return [generator.generate(rng, rng.choice([1, 1, 1, 2, 3]), now) for _ in range(POOL)]


def _case_rng(seed: int, number: int) -> random.Random:
    return random.Random(seed * 1_000_003 + number)


def case_of(number: int, orgs: list[str]) -> tuple[str, str]:
    """The organization and the mutation of case ``number``: every pair in turn."""
    return orgs[number % len(orgs)], KINDS[(number // len(orgs)) % len(KINDS)]


def _check(outcomes: list[Any], payload: bytes) -> tuple[int, int, int, str | None]:
    """(accepted, refused, internal errors, the problem if the accounting is broken)."""
    accepted = refused = internal = 0
    for outcome in outcomes:
        if isinstance(outcome, Accepted):
            accepted += 1
            decode_dict(outcome.value)  # an accepted alert must decode
        elif isinstance(outcome, Refused):
            refused += 1
            reasons = outcome.quarantine.reasons
            if not reasons or not all(r.code for r in reasons):
                return accepted, refused, internal, "refused without a coded reason"
            internal += any(r.code == "internal_error" for r in reasons)
        else:
            return accepted, refused, internal, f"outcome of type {type(outcome).__name__}"
    if not outcomes and payload.strip():
        return accepted, refused, internal, "a non-empty export gave no outcome (silent drop)"
    return accepted, refused, internal, None


def run_native(
    cases: int,
    seed: int,
    *,
    bound_s: float = 10.0,
    sample: int = 0,
    orgs: list[str] | None = None,
    progress: Any = None,
) -> NativeResult:
    """Run ``cases`` mutated exports in process; keep every ``cases/sample``-th for Kafka."""
    connectors = [get_connector(o) for o in orgs] if orgs else all_connectors()
    by_org = {c.org: c for c in connectors}
    names = list(by_org)
    now = datetime.now(UTC)
    pools = {c.org: _pool(c, seed + i, now) for i, c in enumerate(connectors)}
    step = max(1, cases // sample) if sample else 0
    result = NativeResult()
    started = time.perf_counter()
    for number in range(cases):
        org, kind = case_of(number, names)
        rng = _case_rng(seed, number)
        payload = mutate(kind, rng, rng.choice(pools[org]))
        tally = result.tallies.setdefault((org, kind), Tally())
        tally.cases += 1
        t0 = time.perf_counter()
        try:
            with _bounded(bound_s):
                outcomes = list(process(by_org[org], payload, f"fuzz#{number}", now=now))
            accepted, refused, internal, problem = _check(outcomes, payload)
        except Hang:
            outcomes, accepted, refused, internal = [], 0, 0, 0
            problem = f"hang: ran past the {bound_s:g} s bound"
        except Exception as exc:  # a crash the pipeline let through: a finding
            outcomes, accepted, refused, internal = [], 0, 0, 0
            problem = f"crash: {type(exc).__name__}: {str(exc)[:200]}"
        elapsed = time.perf_counter() - t0
        tally.outcomes += len(outcomes)
        tally.accepted += accepted
        tally.refused += refused
        tally.internal += internal
        tally.total_s += elapsed
        tally.max_s = max(tally.max_s, elapsed)
        for outcome in outcomes:
            if isinstance(outcome, Refused):
                code = outcome.quarantine.reasons[0].code
                result.refusal_codes[code] = result.refusal_codes.get(code, 0) + 1
        if internal and problem is None:
            problem = "internal_error refusal (a parser exception caught by the safety net)"
        if problem is not None:
            result.findings.append(
                {"org": org, "kind": kind, "case": number, "seed": seed, "problem": problem}
            )
        elif step and number % step == 0 and len(result.sample) < sample:
            result.sample.append(Case(org, kind, number, payload, accepted, refused))
        if progress is not None:
            progress(number + 1)
    result.seconds = time.perf_counter() - started
    return result


def replay(seed: int, number: int, orgs: list[str] | None = None) -> tuple[str, str, bytes]:
    """The organization, mutation and exact bytes of one case (to reproduce a finding)."""
    connectors = [get_connector(o) for o in orgs] if orgs else all_connectors()
    names = [c.org for c in connectors]
    org, kind = case_of(number, names)
    index = names.index(org)
    pool = _pool(connectors[index], seed + index, datetime.now(UTC))
    rng = _case_rng(seed, number)
    return org, kind, mutate(kind, rng, rng.choice(pool))


@dataclass
class KafkaTally:
    """The Kafka leg: records sent (outcomes expected), what the publisher and broker saw."""

    payloads: int = 0
    expected: int = 0
    published: int = 0
    quarantined: int = 0
    on_ingress: int = 0
    on_quarantine: int = 0
    too_large: int = 0  # accepted in process, quarantined by the runtime as too large
    mismatches: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def balanced(self) -> bool:
        """Publisher and broker agree with the in-process outcomes, record for record."""
        return (
            not self.mismatches
            and self.published + self.quarantined == self.expected
            and self.on_ingress == self.published
            and self.on_quarantine == self.quarantined
        )

    def as_json(self) -> dict[str, Any]:
        """JSON-ready counts."""
        return {
            "payloads": self.payloads, "records_expected": self.expected,
            "published": self.published, "quarantined": self.quarantined,
            "too_large_at_publish": self.too_large,
            "on_ingress_topics": self.on_ingress, "on_quarantine_topic": self.on_quarantine,
            "balanced": self.balanced, "mismatches": self.mismatches[:20],
            "seconds": round(self.seconds, 2),
        }  # fmt: skip


async def run_kafka(bootstrap: str, sample: list[Case], workdir: Path) -> KafkaTally:
    """Publish ``sample`` through each organization's real ``Publisher``; count it back."""
    prefix = f"fz{run_id()}."
    names = TopicNames(prefix)
    orgs = sorted({c.org for c in sample})
    await create_topics(bootstrap, [*(names.ingress(o) for o in orgs), names.quarantine])
    settings = Settings(bootstrap_servers=bootstrap, topic_prefix=prefix, data_dir=workdir)
    tally = KafkaTally()
    started = time.perf_counter()
    for org in orgs:
        async with Publisher(settings, get_connector(org)) as publisher:
            for case in (c for c in sample if c.org == org):
                report = await publisher.publish(
                    case.payload, f"fuzz#{case.number}", keep_results=True
                )
                total = report.stats.total
                tally.payloads += 1
                tally.expected += case.accepted + case.refused
                tally.published += total.published
                tally.quarantined += total.quarantined
                # An alert valid in process may still exceed the topic's max.message.bytes:
                # the runtime quarantines it as too_large (it knows the broker's limit).
                extra = case.accepted - total.published
                too_large = sum(
                    1 for r in report.results if r.reasons and r.reasons[0].code == "too_large"
                )
                tally.too_large += extra
                if not (0 <= extra <= too_large and total.quarantined == case.refused + extra):
                    tally.mismatches.append({
                        "org": org, "kind": case.kind, "case": case.number,
                        "in_process": [case.accepted, case.refused],
                        "published": [total.published, total.quarantined],
                    })  # fmt: skip
    topics = [*(names.ingress(o) for o in orgs), names.quarantine]
    counts = await count_topics(bootstrap, topics, idle_s=2.0)
    tally.on_quarantine = counts.pop(names.quarantine)
    tally.on_ingress = sum(counts.values())
    tally.seconds = time.perf_counter() - started
    await asyncio.sleep(0)
    return tally
