"""The benchmark suite behind ``make bench``: every figure with its same-run reference.

``python -m bench.suite [--smoke] [--only KEY ...] [--out docs/benchmarks.md]
[--json bench/results/latest.json]`` starts a local broker (or uses
FRONTLINE_BOOTSTRAP_SERVERS), runs each benchmark in order, and writes the JSON and the
generated section of the Markdown file between ``<!-- suite:begin -->`` and
``<!-- suite:end -->``; everything outside the markers is kept as it is.
"""

from __future__ import annotations

import argparse
import json
import logging
import shlex
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from bench import _foreign
from bench._common import BenchResult, broker, exit_on_sigterm
from bench._report import machine_info, write_markdown
from gateway.logconfig import configure_logging
from gateway.settings import LogFormat

__all__ = ["STEPS", "Context", "Step", "main", "run_suite"]

console = Console()


@dataclass
class Context:
    """What every step gets: the broker, the size, a work folder and the earlier results."""

    bootstrap: str
    smoke: bool
    workdir: Path
    results: dict[str, BenchResult] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    """One benchmark of the suite."""

    key: str
    title: str
    run: Callable[[Context], BenchResult]


def _broker(ctx: Context) -> BenchResult:
    from bench import bench_broker  # noqa: PLC0415  # why: import each benchmark when it runs

    return bench_broker.run(ctx.bootstrap, smoke=ctx.smoke)


def _peer(ctx: Context) -> BenchResult:
    from bench import bench_peer  # noqa: PLC0415  # why: import each benchmark when it runs

    return bench_peer.run(ctx.bootstrap, smoke=ctx.smoke, workdir=ctx.workdir / "peer")


def _e2e(ctx: Context) -> BenchResult:
    from bench import bench_e2e  # noqa: PLC0415  # why: import each benchmark when it runs

    return bench_e2e.run(ctx.bootstrap, smoke=ctx.smoke, workdir=ctx.workdir / "e2e")


def _growth(ctx: Context) -> BenchResult:
    from bench import bench_growth  # noqa: PLC0415  # why: import each benchmark when it runs

    return bench_growth.run(ctx.bootstrap, smoke=ctx.smoke, workdir=ctx.workdir / "growth")


def _codec(ctx: Context) -> BenchResult:
    return _foreign.codec(smoke=ctx.smoke)


def _policy(ctx: Context) -> BenchResult:
    return _foreign.policy(smoke=ctx.smoke)


def _connectors(ctx: Context) -> BenchResult:
    ceiling = ctx.results.get("broker")
    produce = ceiling.figures[0].value if ceiling and ceiling.figures else None
    return _foreign.connectors(ctx.bootstrap, smoke=ctx.smoke, ceiling=produce)


def _hub(ctx: Context) -> BenchResult:
    return _foreign.generic(
        "hub", "2. Hub: exactly-once and at-least-once vs raw pass-through", ctx
    )


def _post(ctx: Context) -> BenchResult:
    return _foreign.generic(
        "post", "5d. Post: bootstrap vs raw consume, screening vs full scan", ctx
    )


def _manifest(ctx: Context) -> BenchResult:
    return _foreign.generic(
        "manifest", "5e. Manifest: a 400-traveller PAXLST flight screened at the post", ctx
    )


def _documents(ctx: Context) -> BenchResult:
    return _foreign.generic(
        "documents", "5f. Post: travel-document index (memory, build, lookup) and bootstrap", ctx
    )


STEPS: tuple[Step, ...] = (
    Step("broker", "1. Broker ceiling", _broker),
    Step("hub", "2. Hub", _hub),
    Step("peer", "3. Peer (Quix Streams)", _peer),
    Step("e2e", "4. End-to-end latency", _e2e),
    Step("codec", "5a. Codec", _codec),
    Step("policy", "5b. Policy", _policy),
    Step("connectors", "5c. Connectors", _connectors),
    Step("post", "5d. Post", _post),
    Step("manifest", "5e. Manifest", _manifest),
    Step("documents", "5f. Post travel documents", _documents),
    Step("growth", "6. Growth", _growth),
)


def _run_step(step: Step, ctx: Context) -> BenchResult:
    """Run one step; a failure becomes a result with the error, never the end of the suite."""
    started = time.perf_counter()
    try:
        result = step.run(ctx)
    except Exception as error:  # why: one broken benchmark must not hide the others' figures
        result = BenchResult(step.key, step.title, error=f"{type(error).__name__}: {error}")
        result.note = traceback.format_exc(limit=4)[-1500:]
    result.seconds = result.seconds or time.perf_counter() - started
    return result


def run_suite(bootstrap: str, *, smoke: bool, only: set[str] | None, workdir: Path) -> Context:
    """Run the selected steps in order, with a progress bar."""
    ctx = Context(bootstrap, smoke, workdir)
    steps = [s for s in STEPS if not only or s.key in only]
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("benchmarks", total=len(steps))
        for step in steps:
            progress.update(task, description=f"[bold]{step.title}")
            result = _run_step(step, ctx)
            ctx.results[step.key] = result
            status = "[red]failed[/]" if result.error else "[green]done[/]"
            progress.console.print(f"{step.title}: {status} in {result.seconds:.1f} s")
            if result.error:
                progress.console.print(f"  {result.error}", highlight=False)
            progress.advance(task)
    return ctx


def _load(path: Path) -> tuple[dict[str, Any], list[BenchResult]]:
    """A saved suite document as its meta and results."""
    saved = json.loads(path.read_text(encoding="utf-8"))
    titles = {s.key: s.title for s in STEPS}
    results = [
        _foreign.from_json(r["key"], r["title"] or titles.get(r["key"], r["key"]), r)
        for r in saved["results"]
    ]
    return saved["meta"], results


def _merge(
    path: Path, meta: dict[str, Any], fresh: list[BenchResult]
) -> tuple[dict[str, Any], list[BenchResult]]:
    """Put the steps just rerun (``--only``) into the saved document; keep the rest."""
    old_meta, old = _load(path)
    by_key = {r.key: r for r in old} | {r.key: r for r in fresh}
    order = [s.key for s in STEPS]
    merged = sorted(by_key.values(), key=lambda r: order.index(r.key) if r.key in order else 99)
    reruns = dict(old_meta.get("reruns") or {})
    reruns.update(dict.fromkeys((r.key for r in fresh), f"{meta['date']}: `{meta['command']}`"))
    return old_meta | {"reruns": reruns}, merged


def _command(argv: list[str]) -> str:
    return shlex.join([".venv/bin/python", "-m", "bench.suite", *argv])


def main(argv: list[str] | None = None) -> int:
    """Parse the flags, run the suite, write the JSON and the Markdown section."""
    exit_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks the harness")
    parser.add_argument("--only", action="append", default=[], help="run only this step key")
    parser.add_argument("--out", type=Path, default=Path("docs/benchmarks.md"))
    parser.add_argument("--json", type=Path, default=Path("bench/results/latest.json"))
    parser.add_argument(
        "--render", type=Path, default=None, help="only rewrite --out from this suite JSON"
    )
    args_list = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(args_list)
    if args.render is not None:
        saved_meta, saved_results = _load(args.render)
        write_markdown(args.out, saved_meta, saved_results)
        console.print(f"rewrote {args.out} from {args.render}")
        return 0
    started = time.time()
    configure_logging(LogFormat.CONSOLE, "WARNING")
    logging.getLogger("aiokafka").setLevel(logging.ERROR)  # retries on fresh topics are noise
    with tempfile.TemporaryDirectory(prefix="flb-suite-") as tmp, broker() as bootstrap:
        ctx = run_suite(bootstrap, smoke=args.smoke, only=set(args.only), workdir=Path(tmp))
    meta: dict[str, Any] = machine_info() | {
        "command": _command(args_list),
        "mode": "smoke" if args.smoke else "full",
        "duration_s": round(time.time() - started, 1),
    }
    results = list(ctx.results.values())
    if args.only and args.json.exists():
        meta, results = _merge(args.json, meta, results)
    document = {"meta": meta, "results": [r.as_json() for r in results]}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(document, indent=2, default=str), encoding="utf-8")
    write_markdown(args.out, meta, results)
    console.print(f"wrote {args.json} and {args.out}")
    broken = [r.key for r in ctx.results.values() if r.error and not _foreign.landing(r)]
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
