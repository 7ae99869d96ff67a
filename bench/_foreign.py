"""Adapters that run the other engineers' benchmarks and turn their output into suite results.

A benchmark module that accepts ``--json PATH`` (writing :meth:`BenchResult.as_json`'s shape)
and ``--smoke`` plugs in with no adapter: :func:`generic` runs it as a subprocess. The others
are read here: the codec's Markdown table, the policy's returned rate, the connectors' function.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench._common import BenchResult, Figure

if TYPE_CHECKING:
    from bench.suite import Context

__all__ = [
    "NOT_LANDED",
    "NotLandedError",
    "codec",
    "connectors",
    "from_json",
    "generic",
    "parse_codec_table",
    "policy",
]

NOT_LANDED = "NotLandedError"


class NotLandedError(RuntimeError):
    """The benchmark module another engineer owns is not in the tree yet."""


BENCH_DIR = Path(__file__).resolve().parent
_ROW = re.compile(r"^\|\s*([^|]+?)\s*\|\s*([\d.,]+)\s*\|\s*([\d,]+)\s*\|\s*([^|]+?)\s*\|\s*$")


def _module(key: str) -> str:
    return f"bench.bench_{key}"


def _run(args: list[str], timeout: float, env: dict[str, str] | None = None) -> str:
    """Run ``python -m ...`` and return stdout; raise with the output's end on failure."""
    proc = subprocess.run(
        [sys.executable, "-m", *args], capture_output=True, text=True, timeout=timeout,
        check=False, env=os.environ | (env or {}), cwd=BENCH_DIR.parent,
    )  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(f"{args[0]} exited {proc.returncode}: {proc.stderr[-800:]}")
    return proc.stdout


def parse_codec_table(output: str) -> dict[str, float]:
    """Path name -> alerts/s from ``bench_codec``'s Markdown table."""
    rates: dict[str, float] = {}
    for line in output.splitlines():
        match = _ROW.match(line.strip())
        if match:
            rates[match.group(1)] = float(match.group(3).replace(",", ""))
    return rates


def codec(*, smoke: bool) -> BenchResult:
    """The codec's framed paths against raw fastavro (``bench/bench_codec.py``)."""
    result = BenchResult("codec", "5a. Codec: single-object framing vs raw fastavro")
    rounds, batch = (3, 10) if smoke else (300, 100)
    out = _run([_module("codec"), "--rounds", str(rounds), "--batch", str(batch)], 600)
    rates = parse_codec_table(out)
    if not rates:
        raise RuntimeError(f"bench_codec printed no table: {out[-500:]}")
    pairs = [
        ("codec decode_dict", "raw fastavro decode"),
        ("codec encode_dict", "raw fastavro encode"),
        ("codec decode -> model", "raw fastavro decode"),
        ("codec encode(model)", "raw fastavro encode"),
    ]
    framing = {"codec decode_dict", "codec encode_dict"}  # the 10 percent target of issue 2
    for name, base in pairs:
        if name not in rates:
            continue
        figure = Figure(name, rates[name], "alerts/s", rates.get(base), base)
        if name in framing and figure.ratio is not None:
            figure.aim, figure.met = "at most 10% slower than raw", figure.ratio >= 1 / 1.1
        result.add(figure)
    result.params = {"rounds": rounds, "batch": batch, "source": "bench/bench_codec.py"}
    return result


def policy(*, smoke: bool) -> BenchResult:
    """Policy decisions per second (``bench/bench_policy.py``) against the hub's need."""
    from bench import bench_policy  # noqa: PLC0415  # why: import each benchmark when it runs

    result = BenchResult("policy", "5b. Policy decisions")
    count = 2_000 if smoke else 50_000
    rate = bench_policy.main(count)
    result.add(
        Figure(
            "decisions (every INTERPOL member a candidate)", rate, "decisions/s",
            aim=">= 10,000/s", met=rate >= 10_000,
        )
    )  # fmt: skip
    result.params = {"alerts": count, "source": "bench/bench_policy.py"}
    return result


def connectors(bootstrap: str, *, smoke: bool, ceiling: float | None) -> BenchResult:
    """Records/s per connector, published to the broker, against the raw produce ceiling."""
    from bench import bench_connectors  # noqa: PLC0415  # why: import each benchmark when it runs
    from connectors.registry import all_connectors  # noqa: PLC0415  # why: heavy import
    from gateway.settings import Settings  # noqa: PLC0415  # why: heavy import

    result = BenchResult("connectors", "5c. Connectors: native payload to ingress topic")
    count = 200 if smoke else 5_000
    settings = Settings(bootstrap_servers=bootstrap)
    for connector in all_connectors():
        measured = bench_connectors.bench(connector, count, settings)
        if measured is None:
            continue
        result.add(
            Figure(
                f"{connector.org} records/s", measured.rate, "records/s", ceiling,
                "aiokafka produce ceiling" if ceiling else "",
            )
        )  # fmt: skip
    result.params = {"records_per_connector": count, "source": "bench/bench_connectors.py"}
    return result


def from_json(key: str, title: str, data: dict[str, Any]) -> BenchResult:
    """A result from a benchmark's own ``--json`` output (the suite's shape)."""
    result = BenchResult(key, title)
    fields = {"name", "value", "unit", "reference", "reference_name", "aim", "met"}
    for raw in data.get("figures", []):
        result.figures.append(Figure(**{k: v for k, v in raw.items() if k in fields}))
    result.params = dict(data.get("params") or {})
    result.note = str(data.get("note") or "")
    result.error = data.get("error")
    result.seconds = float(data.get("seconds") or 0.0)
    return result


def landing(result: BenchResult) -> bool:
    """True when a result failed only because its module has not landed yet."""
    return bool(result.error and result.error.startswith(NOT_LANDED))


def generic(key: str, title: str, ctx: Context) -> BenchResult:
    """Run ``bench/bench_<key>.py`` with ``--json`` (and ``--smoke``) when it has them."""
    if not (BENCH_DIR / f"bench_{key}.py").exists():
        raise NotLandedError(f"bench/bench_{key}.py has not landed yet")
    env = {"FRONTLINE_BOOTSTRAP_SERVERS": ctx.bootstrap}
    flags = _run([_module(key), "--help"], 60, env)
    timeout = 300 if ctx.smoke else 1800
    if "--json" not in flags:
        out = _run([_module(key), *(["--smoke"] if ctx.smoke and "--smoke" in flags else [])],
                   timeout, env)  # fmt: skip
        result = BenchResult(key, title)
        result.note = "No machine-readable output (`--json PATH`) yet; its last lines:\n\n```\n"
        result.note += "\n".join(out.strip().splitlines()[-20:]) + "\n```"
        return result
    with tempfile.TemporaryDirectory(prefix=f"flb-{key}-") as tmp:
        path = Path(tmp) / "result.json"
        args = [_module(key), "--json", str(path)]
        if ctx.smoke and "--smoke" in flags:
            args.append("--smoke")
        _run(args, timeout, env)
        return from_json(key, title, json.loads(path.read_text(encoding="utf-8")))
