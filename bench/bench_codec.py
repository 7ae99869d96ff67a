"""Codec benchmark: the project's framing and schema lookup against raw fastavro, same run.

Run: ``.venv/bin/python bench/bench_codec.py [--rounds N] [--batch N]``. Not a timed test:
it prints figures to record in ``docs/benchmarks.md``. The paths run in many short batches,
interleaved, and each keeps its fastest batch: on a shared machine that is the figure least
disturbed by other processes, and both sides of a comparison face the same conditions.
"""

from __future__ import annotations

import argparse
import platform
import time
from collections.abc import Callable
from io import BytesIO
from pathlib import Path

import fastavro
from fastavro import schemaless_reader, schemaless_writer

from gateway.contract import ALERT_MODELS, AlertKind, AnyAlert
from gateway.contract.codec import HEADER_SIZE, decode, decode_dict, encode, encode_dict
from gateway.contract.schemas import default_registry

EXAMPLES = Path(__file__).resolve().parents[1] / "schemas" / "examples"
FILES = {
    AlertKind.WANTED_PERSON: "wanted_person.json",
    AlertKind.COMMODITY: "commodity.json",
    AlertKind.THREAT_ASSESSMENT: "threat_assessment.json",
    AlertKind.TRAVEL_DOCUMENT: "travel_document.json",
}


def load_examples() -> list[AnyAlert]:
    """One shipped example of each kind."""
    return [
        ALERT_MODELS[kind].model_validate_json((EXAMPLES / name).read_text())
        for kind, name in FILES.items()
    ]


def best_per_op(func: Callable[[], object], number: int) -> float:
    """Seconds per call of one timed batch of ``number`` calls."""
    start = time.perf_counter()
    for _ in range(number):
        func()
    return (time.perf_counter() - start) / number


def main() -> None:
    """Time every path, print a markdown table with the overhead over raw fastavro."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--batch", type=int, default=100, help="calls per kind per batch")
    args = parser.parse_args()

    registry = default_registry()
    alerts = load_examples()
    records = [(a.kind, a.to_avro_dict()) for a in alerts]
    parsed = [registry.current[kind].parsed for kind, _ in records]
    framed = [encode(a) for a in alerts]
    bodies = [data[HEADER_SIZE:] for data in framed]
    n = len(alerts)

    def raw_encode() -> None:
        for schema, (_, record) in zip(parsed, records, strict=True):
            buffer = BytesIO()
            schemaless_writer(buffer, schema, record)
            buffer.getvalue()

    def codec_encode_dict() -> None:
        for kind, record in records:
            encode_dict(kind, record)

    def raw_decode() -> None:
        for schema, body in zip(parsed, bodies, strict=True):
            schemaless_reader(BytesIO(body), schema, None)

    def codec_decode_dict() -> None:
        for data in framed:
            decode_dict(data)

    def model_encode() -> None:
        for alert in alerts:
            encode(alert)

    def model_decode() -> None:
        for data in framed:
            decode(data)

    paths: dict[str, Callable[[], None]] = {
        "raw fastavro encode": raw_encode,
        "codec encode_dict": codec_encode_dict,
        "raw fastavro decode": raw_decode,
        "codec decode_dict": codec_decode_dict,
        "codec encode(model)": model_encode,
        "codec decode -> model": model_decode,
    }
    number = args.batch
    best = dict.fromkeys(paths, float("inf"))
    for func in paths.values():
        best_per_op(func, max(1, number // 10))  # warm-up
    for _ in range(args.rounds):
        for name, func in paths.items():
            best[name] = min(best[name], best_per_op(func, number) / n)

    def overhead(name: str, base: str) -> str:
        return f"{(best[name] / best[base] - 1) * 100:+.1f}%"

    print(
        f"Python {platform.python_version()}, fastavro {fastavro.__version__}, "
        f"{platform.machine()}; {n} example alerts (mean {sum(map(len, framed)) / n:.0f} bytes), "
        f"fastest of {args.rounds} interleaved batches of {number * n} operations per path"
    )
    print()
    print("| path | µs per alert | alerts/s | vs raw fastavro |")
    print("|---|---:|---:|---:|")
    against = {
        "codec encode_dict": "raw fastavro encode",
        "codec decode_dict": "raw fastavro decode",
        "codec encode(model)": "raw fastavro encode",
        "codec decode -> model": "raw fastavro decode",
    }
    for name, seconds in best.items():
        base = against.get(name)
        versus = overhead(name, base) if base else "baseline"
        print(f"| {name} | {seconds * 1e6:.2f} | {1 / seconds:,.0f} | {versus} |")


if __name__ == "__main__":
    main()
