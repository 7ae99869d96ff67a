"""The native leg: mutated exports through every connector's pipeline, in process and on Kafka.

In process, each case takes a valid export of one to three records from one native input's
generator (``connectors.synthetic``: every connector's alert export, and the travel-document
exports of the organizations that have one, INTERPOL's SLTD and ASEANAPOL's e-ADS documents
CSV), applies one mutation (``bench.fuzz.mutate``) and runs ``connectors.base.process`` over
it under a per-record time bound (a SIGALRM timer), at one clock (``now``) per run. Every
record must end Accepted (an encodable alert) or Refused with at least one coded reason, and a
non-empty export must yield at least one outcome. ``internal_error`` refusals are the
pipeline's safety net catching a parser exception: accounted for, but counted as findings.
A finding records the run's seed, clock and connector filter, so :func:`replay` rebuilds
its exact bytes and runs it again at the same clock.

On Kafka, a sample of the same cases goes through the connector runtime's ``Publisher`` to a
real broker; the report of each publish and the records counted back on the ingress and
quarantine topics (read_committed) must both equal the outcomes seen in process, except that
an alert valid in process but past the topic's size limit is quarantined as ``too_large``.
"""

from __future__ import annotations

import asyncio
import math
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
from connectors.synthetic import Generate, get_generator
from gateway.contract.codec import decode_dict
from gateway.kafka.topic_names import TopicNames
from gateway.settings import Settings

__all__ = [
    "Case", "Input", "KafkaTally", "NativeResult", "Ran", "Replayed", "Tally", "inputs",
    "replay", "run_case", "run_kafka", "run_native",
]  # fmt: skip

POOL = 40  # valid exports per input that the cases mutate
DOCUMENTS = "documents"  # the suffix naming an organization's travel-document export


class Hang(BaseException):  # why: not an Exception, so the pipeline's nets let it through
    """Raised by the per-record timer: the pipeline ran past its bound."""


@dataclass(frozen=True)
class Input:
    """One native input format: the connector reading it and the generator of valid exports.

    ``name`` is the organization's code for its alert export (``INTERPOL``) and the code
    followed by ``documents`` for its travel-document export (``INTERPOL documents``: the
    SLTD export; ``ASEANAPOL documents``: the e-ADS documents CSV).
    """

    name: str
    connector: Connector
    generate: Generate

    @property
    def org(self) -> str:
        """The organization (the connector, the ingress topic)."""
        return self.connector.org


def inputs(orgs: list[str] | None = None, *, documents: bool = True) -> list[Input]:
    """Every native input of the connectors (all, or those of ``orgs``), in a fixed order.

    ``documents=False`` leaves the travel-document exports out: the cases of findings saved
    before they were fuzzed were numbered over the alert exports alone.
    """
    connectors = [get_connector(o) for o in orgs] if orgs else all_connectors()
    out: list[Input] = []
    for connector in connectors:
        generator = get_generator(connector.org)
        out.append(Input(connector.org, connector, generator.generate))
        if documents and generator.generate_documents is not None:
            out.append(
                Input(f"{connector.org} {DOCUMENTS}", connector, generator.generate_documents)
            )
    return out


@dataclass
class Tally:
    """What one (input, mutation) cell saw."""

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

    input: str
    org: str
    kind: str
    number: int
    payload: bytes
    accepted: int
    refused: int


@dataclass
class NativeResult:
    """The in-process leg: tallies by (input, kind), findings, the Kafka sample, the wall time,
    the clock the run used and each input's organization."""

    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    tallies: dict[tuple[str, str], Tally] = field(default_factory=dict)
    findings: list[dict[str, Any]] = field(default_factory=list)
    sample: list[Case] = field(default_factory=list)
    seconds: float = 0.0
    refusal_codes: dict[str, int] = field(default_factory=dict)
    orgs: dict[str, str] = field(default_factory=dict)  # input name -> organization

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


def _pool(source: Input, seed: int, now: datetime) -> list[bytes]:
    rng = random.Random(seed)
    return [source.generate(rng, rng.choice([1, 1, 1, 2, 3]), now) for _ in range(POOL)]


def _case_rng(seed: int, number: int) -> random.Random:
    return random.Random(seed * 1_000_003 + number)


def case_of(number: int, names: list[str]) -> tuple[str, str]:
    """The input and the mutation of case ``number``: every pair in turn."""
    return names[number % len(names)], KINDS[(number // len(names)) % len(KINDS)]


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


@dataclass(frozen=True)
class Ran:
    """One case run through the pipeline: its outcomes, their counts, the problem if any."""

    outcomes: list[Any]
    accepted: int
    refused: int
    internal: int
    problem: str | None
    seconds: float


def run_case(
    connector: Connector, payload: bytes, number: int, now: datetime, bound_s: float
) -> Ran:
    """Run one mutated export through the pipeline under the time bound; never raises."""
    t0 = time.perf_counter()
    try:
        with _bounded(bound_s):
            outcomes = list(process(connector, payload, f"fuzz#{number}", now=now))
        accepted, refused, internal, problem = _check(outcomes, payload)
    except Hang:
        outcomes, accepted, refused, internal = [], 0, 0, 0
        problem = f"hang: ran past the {bound_s:g} s bound"
    except Exception as exc:  # a crash the pipeline let through: a finding
        outcomes, accepted, refused, internal = [], 0, 0, 0
        problem = f"crash: {type(exc).__name__}: {str(exc)[:200]}"
    if internal and problem is None:
        problem = "internal_error refusal (a parser exception caught by the safety net)"
    return Ran(outcomes, accepted, refused, internal, problem, time.perf_counter() - t0)


def _step(cases: int, sample: int, inputs: int) -> int:
    """Every how many cases one goes to the Kafka sample (0: none), prime to the number of
    inputs so that the sample goes round them all instead of landing on one."""
    if not sample:
        return 0
    step = max(1, cases // sample)
    while step > 1 and math.gcd(step, inputs) != 1:
        step -= 1
    return step


def run_native(
    cases: int,
    seed: int,
    *,
    bound_s: float = 10.0,
    sample: int = 0,
    orgs: list[str] | None = None,
    now: datetime | None = None,
    progress: Any = None,
) -> NativeResult:
    """Run ``cases`` mutated exports in process at clock ``now`` (default: the current time);
    keep every ``cases/sample``-th for Kafka."""
    sources = inputs(orgs)
    by_name = {s.name: s for s in sources}
    names = list(by_name)
    result = NativeResult(now=now or datetime.now(UTC), orgs={s.name: s.org for s in sources})
    pools = {s.name: _pool(s, seed + i, result.now) for i, s in enumerate(sources)}
    step = _step(cases, sample, len(names))
    started = time.perf_counter()
    for number in range(cases):
        name, kind = case_of(number, names)
        source = by_name[name]
        rng = _case_rng(seed, number)
        payload = mutate(kind, rng, rng.choice(pools[name]))
        tally = result.tallies.setdefault((name, kind), Tally())
        tally.cases += 1
        ran = run_case(source.connector, payload, number, result.now, bound_s)
        tally.outcomes += len(ran.outcomes)
        tally.accepted += ran.accepted
        tally.refused += ran.refused
        tally.internal += ran.internal
        tally.total_s += ran.seconds
        tally.max_s = max(tally.max_s, ran.seconds)
        for outcome in ran.outcomes:
            if isinstance(outcome, Refused):
                code = outcome.quarantine.reasons[0].code
                result.refusal_codes[code] = result.refusal_codes.get(code, 0) + 1
        if ran.problem is not None:
            result.findings.append({
                "input": name, "org": source.org, "kind": kind, "case": number, "seed": seed,
                "now": result.now.isoformat(), "orgs": orgs or None, "problem": ran.problem,
            })  # fmt: skip
        elif step and number % step == 0 and len(result.sample) < sample:
            result.sample.append(
                Case(name, source.org, kind, number, payload, ran.accepted, ran.refused)
            )
        if progress is not None:
            progress(number + 1)
    result.seconds = time.perf_counter() - started
    return result


@dataclass(frozen=True)
class Replayed:
    """One case rebuilt: its input, connector, mutation, exact bytes and the clock to run at."""

    input: Input
    kind: str
    payload: bytes
    now: datetime


def replay(
    seed: int,
    number: int,
    orgs: list[str] | None = None,
    now: datetime | None = None,
    *,
    documents: bool = True,
) -> Replayed:
    """Case ``number`` of a run (seed, connector filter, clock) rebuilt byte for byte.

    ``now`` must be the run's clock (a finding records it) for a time-dependent case to
    reproduce; without it, the current time. ``documents=False`` numbers the cases as runs
    did before the travel-document exports were fuzzed (a finding without ``input``).
    """
    at = now or datetime.now(UTC)
    sources = inputs(orgs, documents=documents)
    names = [s.name for s in sources]
    name, kind = case_of(number, names)
    index = names.index(name)
    pool = _pool(sources[index], seed + index, at)
    rng = _case_rng(seed, number)
    return Replayed(sources[index], kind, mutate(kind, rng, rng.choice(pool)), at)


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
    inputs: dict[str, int] = field(default_factory=dict)  # exports published, by input
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
            "payloads": self.payloads, "by_input": dict(sorted(self.inputs.items())),
            "records_expected": self.expected,
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
                tally.inputs[case.input] = tally.inputs.get(case.input, 0) + 1
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
                        "input": case.input, "kind": case.kind, "case": case.number,
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
