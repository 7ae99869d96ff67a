"""``python -m bench.fuzz``: hostile and broken input at scale (``make fuzz``, docs/fuzz.md).

Three legs, on a local broker started here (or FRONTLINE_BOOTSTRAP_SERVERS):

1. native, in process: ``--records`` mutated exports across the eleven connectors;
2. native, on Kafka: ``--kafka-sample`` of them through each connector's real publisher;
3. ingress: ``--ingress`` bad records (with ``--good`` good ones between them) straight onto
   the ingress topics while ``frontline hub run`` and ``frontline node run --all`` run.

It prints a summary table, writes the JSON report (``--json``) and exits 1 when anything was
lost, crashed, hung or stalled. ``--replay N`` writes case N's exact bytes (same ``--seed``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from bench._common import broker, exit_on_sigterm
from bench.fuzz.ingress import IngressLeg, IngressResult
from bench.fuzz.native import KafkaTally, NativeResult, replay, run_kafka, run_native
from bench.fuzz.report import render, report
from gateway.logconfig import configure_logging
from gateway.settings import LogFormat

__all__ = ["main"]

FULL = {"records": 110_000, "kafka_sample": 2_000, "ingress": 10_000, "good": 2_500}
SMOKE = {"records": 550, "kafka_sample": 22, "ingress": 130, "good": 40}


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.fuzz", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (well under a minute)")
    parser.add_argument("--records", type=int, help="mutated native exports, in process")
    parser.add_argument("--kafka-sample", type=int, help="of those, published on Kafka")
    parser.add_argument("--ingress", type=int, help="bad records onto the ingress topics")
    parser.add_argument("--good", type=int, help="good alerts interleaved with them")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--bound-s", type=float, default=10.0, help="per-export time bound")
    parser.add_argument("--org", action="append", default=[], help="only these connectors")
    parser.add_argument("--no-kafka", action="store_true", help="the in-process leg only")
    parser.add_argument("--json", type=Path, default=Path("reports/fuzz/fuzz.json"))
    parser.add_argument("--workdir", type=Path, help="keep the hub's and node's logs here")
    parser.add_argument("--replay", type=int, metavar="N", help="write case N's bytes and exit")
    args = parser.parse_args(argv)
    sizes = SMOKE if args.smoke else FULL
    for key, value in sizes.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    return args


def _replay(args: argparse.Namespace) -> int:
    org, kind, payload = replay(args.seed, args.replay, args.org or None)
    out = Path(f"fuzz-case-{args.seed}-{args.replay}.bin")
    out.write_bytes(payload)
    print(f"case {args.replay} (seed {args.seed}): {org}, {kind}, {len(payload):,} bytes -> {out}")
    return 0


def _native(args: argparse.Namespace, console: Console) -> NativeResult:
    with Progress(
        TextColumn("native exports"), BarColumn(), TextColumn("{task.completed:,}/{task.total:,}"),
        TimeElapsedColumn(), console=console, transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task("native", total=args.records)

        def tick(done: int) -> None:
            if done % 500 == 0 or done == args.records:
                bar.update(task, completed=done)

        result = run_native(
            args.records, args.seed, bound_s=args.bound_s, sample=args.kafka_sample,
            orgs=args.org or None, progress=tick,
        )  # fmt: skip
    console.print(f"native: {result.cases:,} exports in {result.seconds:.0f} s")
    return result


def main(argv: list[str] | None = None) -> int:
    """Run the legs, print the summary, write the JSON; 0 when everything was accounted for."""
    args = _args(argv)
    if args.replay is not None:
        return _replay(args)
    exit_on_sigterm()
    configure_logging(LogFormat.JSON, "CRITICAL")  # refusals are counted, not logged
    console = Console() if sys.stdout.isatty() else Console(width=140)  # piped: whole cells
    started = time.perf_counter()
    kafka: KafkaTally | None = None
    ingress: IngressResult | None = None
    if args.no_kafka:
        native = _native(args, console)
    else:
        with tempfile.TemporaryDirectory(prefix="flfuzz-") as tmp, broker() as bootstrap:
            work = args.workdir or Path(tmp)
            leg = None
            if args.ingress:
                leg = IngressLeg(
                    bootstrap, bad=args.ingress, good=args.good, seed=args.seed,
                    workdir=work / "ingress",
                )  # fmt: skip
                leg.prepare()  # the hub and the node start while the native legs run
            try:
                native = _native(args, console)
                kafka = asyncio.run(run_kafka(bootstrap, native.sample, work / "native"))
                console.print(
                    f"native on Kafka: {kafka.payloads:,} exports in {kafka.seconds:.0f} s"
                )
                if leg is not None:
                    ingress = asyncio.run(leg.run(say=console.print))
            finally:
                if leg is not None:
                    leg.stop()
    data: dict[str, Any] = report(args, native, kafka, ingress, time.perf_counter() - started)
    render(console, data)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(data, indent=2), encoding="utf-8")
    console.print(f"report: {args.json}")
    return 0 if data["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
