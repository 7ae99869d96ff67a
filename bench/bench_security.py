"""Security cost of the hub: plaintext against SASL_SSL, unsigned against signed+verified.

``python -m bench.bench_security [--alerts N] [--rounds R] [--smoke] [--json PATH]``

Two brokers of its own (started in parallel) run side by side for the whole benchmark,
same Kafka, same settings but one secured (SASL_SSL with SCRAM-SHA-512, ACLs;
``bench._cluster.secured_broker``).
Each round runs the exactly-once hub (``frontline hub run``) once per variant, interleaved
(plaintext, SASL_SSL, plaintext signed, SASL_SSL signed), every time on a fresh prefix
holding the same prepared alerts; secured, the hub is principal ``hub`` with the access
plan's ACLs and the benchmark loads and counts as ``admin``; signed, every alert carries
its organization's Ed25519 signature and the hub verifies it with the trust file. Each
variant keeps its best rate over the rounds (a burst of other load hurts one round, not
all) and its lowest CPU per alert, the hub's and the broker's, measured between the hub's
first and last commit like the rate. The load average is kept with every run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path

from bench._common import (
    BenchResult,
    Cluster,
    Figure,
    exit_on_sigterm,
    plain_broker,
    prepared_alerts,
    secured_broker,
    write_result,
)
from bench.bench_hub import PARTITIONS, Contended, Signing, contend

__all__ = ["VARIANTS", "main", "run"]

# name -> (secured broker, signed alerts); run in this order in every round.
VARIANTS: dict[str, tuple[bool, bool]] = {
    "plaintext": (False, False),
    "SASL_SSL": (True, False),
    "plaintext, signed": (False, True),
    "SASL_SSL, signed": (True, True),
}
AIM = "security costs < 15% of throughput"


def _best_rate(runs: list[Contended]) -> float | None:
    rates = [r.run.rate for r in runs if r.run.rate]
    return max(rates) if rates else None


def _least(values: list[float | None]) -> float | None:
    found = [v for v in values if v]
    return min(found) if found else None


def _table(runs: dict[str, list[Contended]]) -> str:
    rows = [
        "| round | variant | alerts/s in | hub CPU µs/alert | broker CPU µs/alert | "
        "records out | quarantined | load (1 min) |",
        "|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    rounds = max(len(v) for v in runs.values())
    for n in range(rounds):
        for name, done in runs.items():
            if n < len(done):
                c = done[n]
                rows.append(
                    f"| {n + 1} | {name} | {c.run.rate or 0:,.0f} | {c.steady_us or 0:,.0f} | "
                    f"{c.broker_us or 0:,.0f} | {c.wrote:,} | {c.quarantined:,} | {c.load:.1f} |"
                )
    return "\n".join(rows)


async def race(
    plain: Cluster, secure: Cluster, signing: Signing, *, alerts_n: int, rounds: int,
    variants: dict[str, tuple[bool, bool]], workdir: Path,
) -> dict[str, list[Contended]]:  # fmt: skip
    """Every variant once per round, in order; each variant's runs."""
    alerts = prepared_alerts(alerts_n)
    runs: dict[str, list[Contended]] = {name: [] for name in variants}
    for n in range(rounds):
        print(f"round {n + 1} of {rounds}", flush=True)
        for name, (secured, signed) in variants.items():
            cluster = secure if secured else plain
            done = await contend(cluster, name, alerts, workdir, signing if signed else None)
            if not done.run.drained:
                print(f"  {name} did not drain its input:\n{done.run.log_tail}", flush=True)
            runs[name].append(done)
    return runs


def _figures(result: BenchResult, runs: dict[str, list[Contended]]) -> None:
    base = _best_rate(runs["plaintext"]) if "plaintext" in runs else None
    for name, done in runs.items():
        rate = _best_rate(done)
        if name == "plaintext":
            result.add(Figure("hub exactly-once, plaintext", rate, "alerts/s in"))
            continue
        cost = None if rate is None or not base else 1 - rate / base
        result.add(Figure(f"hub exactly-once, {name}", rate, "alerts/s in", reference=base,
                          reference_name="plaintext, unsigned", aim=AIM,
                          met=None if cost is None else cost < 0.15))  # fmt: skip
    cpu_base = _least([c.steady_us for c in runs.get("plaintext", [])])
    for name, done in runs.items():
        result.add(Figure(f"hub CPU per alert, {name}", _least([c.steady_us for c in done]),
                          "µs", reference=cpu_base, reference_name="plaintext, unsigned",
                          higher_is_better=False))  # fmt: skip
    for name, done in runs.items():
        result.add(Figure(f"broker CPU per alert, {name}", _least([c.broker_us for c in done]),
                          "µs", higher_is_better=False))  # fmt: skip


def _brokers(stack: contextlib.ExitStack, folder: Path) -> tuple[Cluster, Cluster]:
    """Start the plaintext and the secured broker side by side; ``stack`` stops them.

    Each start is seconds of JVM start-up and waiting for the broker; in parallel the
    benchmark waits for the slower one only. A broker that started is stopped even when
    the other failed.
    """
    managers = (plain_broker(folder / "plain", own=True), secured_broker(folder / "secure"))
    pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="broker-up")
    futures = [pool.submit(manager.__enter__) for manager in managers]
    try:
        wait(futures)
    finally:  # a SIGTERM meanwhile: the starts end first, then the stack stops what started
        pool.shutdown(wait=True)
        for manager, future in zip(managers, futures, strict=True):
            if not future.cancelled() and future.exception() is None:
                stack.push(manager)
    for future in futures:
        error = future.exception()
        if error is not None:
            raise error
    return futures[0].result(), futures[1].result()


def run(
    alerts_n: int, rounds: int, variants: dict[str, tuple[bool, bool]] | None = None
) -> BenchResult:
    """Start both brokers, race the variants interleaved, and report each one's best."""
    chosen = variants or VARIANTS
    result = BenchResult("security", "Security cost: the hub plaintext vs SASL_SSL, signed")
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="flb-sec-")))
        (tmp / "keys").mkdir()
        signing = Signing.demo(tmp / "keys")
        plain, secure = _brokers(stack, tmp)
        runs = asyncio.run(
            race(
                plain,
                secure,
                signing,
                alerts_n=alerts_n,
                rounds=rounds,
                variants=chosen,
                workdir=tmp,
            )
        )
    _figures(result, runs)
    wrote = {name: sorted({c.wrote for c in done}) for name, done in runs.items()}
    result.params = {
        "alerts": alerts_n, "rounds": rounds, "partitions": PARTITIONS,
        "guarantee": "exactly-once", "records_out": wrote,
        "quarantined": {n: sum(c.quarantined for c in done) for n, done in runs.items()},
        "drained": all(c.run.drained for done in runs.values() for c in done),
        "same_output_counts": len({w for ws in wrote.values() for w in ws}) == 1,
        "loads": {n: [round(c.load, 1) for c in done] for n, done in runs.items()},
    }  # fmt: skip
    result.note = _table(runs)
    print(result.note, flush=True)
    result.seconds = time.perf_counter() - started
    return result


def main() -> None:
    """Command line: race the variants and print each run and the best of each."""
    exit_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--alerts", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=2)
    smoke_help = "one round of 500 alerts, plaintext against SASL_SSL signed"
    parser.add_argument("--smoke", action="store_true", help=smoke_help)
    parser.add_argument("--json", type=Path, default=None, help="write the result here")
    args = parser.parse_args()
    if args.smoke:
        smoke = {k: VARIANTS[k] for k in ("plaintext", "SASL_SSL, signed")}
        result = run(500, 1, smoke)
    else:
        result = run(args.alerts, args.rounds)
    write_result(result, args.json)


if __name__ == "__main__":
    main()
