"""Broker ceiling: Kafka's own perf tools against raw aiokafka, at the alerts' record size."""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import time
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer

from bench._common import (
    BenchResult,
    Figure,
    alert_size,
    broker,
    create_topics,
    run_id,
    write_result,
)
from bench._consume import aiokafka_read
from gateway.broker import resolve_runtime
from gateway.settings import Settings

__all__ = [
    "consumer_perf",
    "main",
    "parse_consumer_perf",
    "parse_producer_perf",
    "producer_perf",
    "run",
]

PARTITIONS = 3
_PRODUCED = re.compile(r"(\d+) records sent, ([\d.]+) records/sec")


def parse_producer_perf(output: str) -> float:
    """Records/s from ProducerPerformance's final summary line."""
    found = _PRODUCED.findall(output)
    if not found:
        raise RuntimeError(f"ProducerPerformance printed no summary:\n{output[-2000:]}")
    return float(found[-1][1])


def parse_consumer_perf(output: str) -> float:
    """Records/s of the fetch phase (rebalance excluded) from ConsumerPerformance's CSV line."""
    lines = [line for line in output.splitlines() if line.strip()]
    for index, line in enumerate(lines):
        if line.startswith("start.time"):
            header = [h.strip() for h in line.split(",")]
            values = [v.strip() for v in lines[index + 1].split(",")]
            row = dict(zip(header, values, strict=False))
            return float(row.get("fetch.nMsg.sec") or row["nMsg.sec"])
    raise RuntimeError(f"ConsumerPerformance printed no CSV summary:\n{output[-2000:]}")


def _java(args: list[str], timeout: float) -> str:
    """Run a Kafka tool class from the resolved runtime and return its output."""
    runtime = resolve_runtime()
    env = os.environ | {"KAFKA_HEAP_OPTS": "-Xmx512m"}
    proc = subprocess.run(
        [runtime.java, "-Xmx512m", "-cp", runtime.classpath, *args],
        capture_output=True, text=True, timeout=timeout, check=False, env=env,
    )  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(f"{args[0]} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return proc.stdout + proc.stderr


def producer_perf(bootstrap: str, topic: str, records: int, size: int, batch: int) -> float:
    """ProducerPerformance records/s (acks=all, idempotent, same linger and batch as ours)."""
    out = _java(
        [
            "org.apache.kafka.tools.ProducerPerformance",
            "--topic", topic, "--num-records", str(records), "--record-size", str(size),
            "--throughput", "-1", "--command-property", f"bootstrap.servers={bootstrap}",
            "acks=all", "enable.idempotence=true", "linger.ms=5", f"batch.size={batch}",
        ],
        timeout=600,
    )  # fmt: skip
    return parse_producer_perf(out)


def consumer_perf(bootstrap: str, topic: str, records: int) -> float:
    """ConsumerPerformance records/s over ``records`` records of ``topic``."""
    out = _java(
        [
            "org.apache.kafka.tools.ConsumerPerformance",
            "--bootstrap-server", bootstrap, "--topic", topic, "--num-records", str(records),
            "--timeout", "60000",
        ],
        timeout=600,
    )  # fmt: skip
    return parse_consumer_perf(out)


async def aiokafka_produce(
    bootstrap: str, topic: str, records: int, size: int, batch: int
) -> float:
    """Raw aiokafka records/s: send() futures gathered in windows, acks=all, idempotent."""
    value = os.urandom(size)
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True,
        linger_ms=5, max_batch_size=batch,
    )  # fmt: skip
    await producer.start()
    try:
        started = time.perf_counter()
        pending: list[asyncio.Future[Any]] = []
        for _ in range(records):
            pending.append(await producer.send(topic, value))
            if len(pending) >= 20_000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
        return records / (time.perf_counter() - started)
    finally:
        await producer.stop()


def run(bootstrap: str, *, smoke: bool = False) -> BenchResult:
    """Measure Java and aiokafka produce and consume of the same records on ``bootstrap``."""
    result = BenchResult("broker", "1. Broker ceiling: Kafka perf tools vs raw aiokafka")
    started = time.perf_counter()
    records = 20_000 if smoke else 300_000
    size = alert_size()
    batch = Settings().max_batch_size
    rid = run_id()
    java_topic, py_topic = f"bench-{rid}-java", f"bench-{rid}-py"
    asyncio.run(create_topics(bootstrap, [java_topic, py_topic], PARTITIONS))
    result.params = {
        "records": records, "record_size": size, "partitions": PARTITIONS, "acks": "all",
        "idempotent": True, "linger_ms": 5, "batch_size": batch,
    }  # fmt: skip
    java_prod = producer_perf(bootstrap, java_topic, records, size, batch)
    py_prod = asyncio.run(aiokafka_produce(bootstrap, py_topic, records, size, batch))
    java_cons = consumer_perf(bootstrap, java_topic, records)
    py_cons = asyncio.run(
        aiokafka_read(
            bootstrap, java_topic, records, isolation_level="read_uncommitted",
            max_partition_fetch_bytes=1_048_576,
        )
    )  # fmt: skip
    result.add(
        Figure(
            "produce (aiokafka)", py_prod, "records/s", java_prod, "ProducerPerformance",
            aim="ceiling for every component that writes",
        )
    )  # fmt: skip
    result.add(
        Figure(
            "consume (aiokafka getmany)", py_cons, "records/s", java_cons, "ConsumerPerformance",
            aim="ceiling for every component that reads",
        )
    )  # fmt: skip
    result.seconds = time.perf_counter() - started
    return result


def main() -> None:
    """``python -m bench.bench_broker [--smoke] [--json PATH]`` on FRONTLINE_BOOTSTRAP_SERVERS."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to check the harness")
    parser.add_argument("--json", type=Path, default=None, help="write the result here")
    args = parser.parse_args()
    with broker() as bootstrap:
        result = run(bootstrap, smoke=args.smoke)
    write_result(result, args.json)


if __name__ == "__main__":
    main()
