"""``python -m bench.fuzz``: hostile and broken input at scale (``make fuzz``, docs/fuzz.md).

Three legs, on a local broker started here (or FRONTLINE_BOOTSTRAP_SERVERS):

1. native, in process: ``--records`` mutated exports across the connectors' thirteen inputs
   (the eleven alert exports, INTERPOL's SLTD and ASEANAPOL's e-ADS documents exports);
2. native, on Kafka: ``--kafka-sample`` of them through each connector's real publisher;
3. ingress: ``--ingress`` bad records (with ``--good`` good ones between them) straight onto
   the ingress topics while ``frontline hub run`` and ``frontline node run --all`` run.

It prints a summary table, writes the JSON report (``--json``) and exits 1 when anything was
lost, crashed, hung or stalled. ``--replay N`` rebuilds case N (same ``--seed``, ``--org``
and ``--now``), ``--replay FILE`` every finding a report (or a saved finding) holds, each at
the clock its run used: it writes the case's exact bytes, runs it again and exits 1 when a
problem is still there.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from bench._common import broker, exit_on_sigterm
from bench.fuzz.ingress import IngressLeg, IngressResult
from bench.fuzz.native import KafkaTally, NativeResult, replay, run_case, run_kafka, run_native
from bench.fuzz.report import render, report
from gateway.logconfig import configure_logging
from gateway.settings import LogFormat

__all__ = ["main"]

FULL = {"records": 110_000, "kafka_sample": 2_000, "ingress": 10_000, "good": 2_500}
SMOKE = {"records": 572, "kafka_sample": 26, "ingress": 130, "good": 40}


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
    parser.add_argument(
        "--now", type=_instant, help="the clock of the run (ISO 8601; default: the current time)"
    )
    parser.add_argument(
        "--replay", metavar="N|FILE",
        help="rebuild case N, or every finding of a report or saved finding FILE, at its run's "
        "clock; write its bytes, run it again and exit (1 when a problem is still there)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    sizes = SMOKE if args.smoke else FULL
    for key, value in sizes.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    return args


def _instant(text: str) -> datetime:
    """An ISO 8601 instant; a naive one is taken as UTC."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _saved(path: Path) -> list[dict[str, Any]]:
    """The findings a report holds (each given the run's clock when it lacks its own), or
    the one finding or list of findings a file holds."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SystemExit(f"--replay {path}: not a readable JSON file ({exc})") from None
    if isinstance(data, dict) and isinstance(data.get("native"), dict):
        run_now = data["native"].get("now")
        found = data["native"].get("findings") or []
        return [{"now": run_now, **f} if f.get("now") is None else f for f in found]
    found = data if isinstance(data, list) else [data]
    if not all(isinstance(f, dict) and "case" in f and "seed" in f for f in found):
        raise SystemExit(f"--replay {path}: expected a fuzz report or findings with case and seed")
    return found


def _replay(args: argparse.Namespace) -> int:
    text = str(args.replay)
    if text.isdigit():
        now = args.now.isoformat() if args.now else None
        cases = [{"case": int(text), "seed": args.seed, "orgs": args.org or None, "now": now}]
    else:
        cases = _saved(Path(text))
        if not cases:
            print(f"{text}: no findings to replay")
            return 0
    still = 0
    for saved in cases:
        seed, number = int(saved["seed"]), int(saved["case"])
        now = _instant(saved["now"]) if saved.get("now") else None
        if now is None:
            print(f"case {number}: no clock recorded, replayed at the current time "
                  "(a time-dependent case may not reproduce)")  # fmt: skip
        # A finding saved before the travel-document exports were fuzzed has no input name:
        # its case numbers count the alert exports only.
        documents = text.isdigit() or "input" in saved
        orgs = saved.get("orgs", args.org or None)  # an older finding has none: give --org
        case = replay(seed, number, orgs, now, documents=documents)
        named = (saved.get("input") or saved.get("org"), saved.get("kind"))
        if named[0] is not None and named != (case.input.name, case.kind):
            print(f"case {number}: saved as {named[0]}/{named[1]} but rebuilt as "
                  f"{case.input.name}/{case.kind}: give the run's --org")  # fmt: skip
        out = Path(f"fuzz-case-{seed}-{number}.bin")
        out.write_bytes(case.payload)
        ran = run_case(case.input.connector, case.payload, number, case.now, args.bound_s)
        print(
            f"case {number} (seed {seed}, now {case.now.isoformat()}): {case.input.name}, "
            f"{case.kind}, {len(case.payload):,} bytes -> {out}; "
            f"{ran.accepted} accepted, {ran.refused} refused; {ran.problem or 'no problem'}"
        )
        still += ran.problem is not None
    return 1 if still else 0


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
            orgs=args.org or None, now=args.now, progress=tick,
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
