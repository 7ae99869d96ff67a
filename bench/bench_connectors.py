"""Records/s per connector on the real broker, and the share of time in each pipeline stage.

Run: ``FRONTLINE_BOOTSTRAP_SERVERS=127.0.0.1:19092 .venv/bin/python bench/bench_connectors.py
[--records N] [--org ORG ...]``. Each connector's generator makes one payload; the stages
(split, map, validate, encode) are timed alone over it, then the whole publish (pipeline +
idempotent producer, acks=all) is timed end to end on fresh topics. "publish" is what the
end-to-end run costs beyond the four CPU stages: headers, the producer client, metrics.
Stage shares are CPU time of this process (the machine may be shared); records/s is wall
clock, "per CPU s" what one free core would reach. With ``--workers N`` the stages run in N
worker processes and "per CPU s" counts the sending main process only.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka.admin import NewTopic
from rich.console import Console
from rich.table import Table

from connectors.base import Connector
from connectors.registry import all_connectors, get_connector
from connectors.runtime.publisher import Publisher
from connectors.synthetic import get_generator
from gateway.contract import AnyAlert
from gateway.contract.codec import encode
from gateway.contract.validation import validate_alert
from gateway.kafka.clients import make_admin
from gateway.kafka.topic_names import TopicNames
from gateway.logconfig import configure_logging
from gateway.settings import Settings

__all__ = ["main"]


@dataclass
class Result:
    """One connector's figures."""

    org: str
    records: int
    published: int
    stages: dict[str, float]  # CPU seconds per stage over the whole payload
    end_to_end: float  # wall seconds of the whole publish
    end_to_end_cpu: float  # this process's CPU seconds during the whole publish

    @property
    def rate(self) -> float:
        """Records per wall-clock second, end to end."""
        return self.records / self.end_to_end if self.end_to_end else 0.0

    @property
    def cpu_rate(self) -> float:
        """Records per CPU second of this process: the rate on a machine with a free core."""
        return self.records / self.end_to_end_cpu if self.end_to_end_cpu else 0.0


def _time_stages(connector: Connector, payload: bytes) -> dict[str, float]:
    now = datetime.now(UTC)
    t0 = time.process_time()
    records = list(connector.split(payload, "bench"))
    t1 = time.process_time()
    alerts: list[AnyAlert] = []
    for record in records:
        try:
            alerts.append(connector.to_alert(record))
        except Exception:  # noqa: S112  # why: a refused record is simply not timed further
            continue
    t2 = time.process_time()
    valid = [a for a in alerts if not validate_alert(a, now=now)]
    t3 = time.process_time()
    for alert in valid:
        encode(alert)
    t4 = time.process_time()
    return {"split": t1 - t0, "map": t2 - t1, "validate": t3 - t2, "encode": t4 - t3}


async def _publish(
    settings: Settings, connector: Connector, payload: bytes, workers: int
) -> tuple[float, float, int]:
    names = TopicNames(settings.topic_prefix)
    admin = make_admin(settings)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(t, 3, 1) for t in (names.ingress(connector.org), names.quarantine)]
        )
    finally:
        await admin.close()
    async with Publisher(settings, connector, workers=workers) as publisher:
        wall, cpu = time.perf_counter(), time.process_time()
        report = await publisher.publish(payload, "bench")
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return wall, cpu, report.stats.total.published


def bench(connector: Connector, count: int, settings: Settings, workers: int = 1) -> Result | None:
    """Figures for one connector, or None when it has no generator."""
    generator = get_generator(connector.org)
    payload = generator.generate(random.Random(11), count, datetime.now(UTC))
    stages = _time_stages(connector, payload)
    prefix = f"bench{uuid.uuid4().hex[:8]}."
    wall, cpu, published = asyncio.run(
        _publish(settings.model_copy(update={"topic_prefix": prefix}), connector, payload, workers)
    )
    # With workers the main process only sends: its CPU time is the publish stage.
    stages["publish"] = cpu if workers > 1 else max(0.0, cpu - sum(stages.values()))
    return Result(connector.org, count, published, stages, wall, cpu)


def main() -> None:
    """Run the benchmark and print one row per connector."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--org", action="append", default=[])
    parser.add_argument("--workers", type=int, default=1, help="worker processes per publish")
    args = parser.parse_args()
    settings = Settings()
    configure_logging(settings.log_format, "WARNING")
    connectors = [get_connector(o) for o in args.org] if args.org else all_connectors()
    table = Table(title=f"Connector throughput, {args.records:,} records, {args.workers} worker(s)")
    for column in ("org", "records/s", "per CPU s", "published", "split", "map", "validate",
                   "encode", "publish"):  # fmt: skip
        table.add_column(column, justify="right" if column != "org" else "left")
    for connector in connectors:
        result = bench(connector, args.records, settings, args.workers)
        if result is None:
            table.add_row(connector.org, "no generator", *[""] * 7)
            continue
        total = sum(result.stages.values()) or 1.0
        shares = [f"{100 * result.stages[s] / total:.0f}%" for s in
                  ("split", "map", "validate", "encode", "publish")]  # fmt: skip
        table.add_row(
            result.org,
            f"{result.rate:,.0f}",
            f"{result.cpu_rate:,.0f}",
            f"{result.published:,}",
            *shares,
        )
    Console().print(table)


if __name__ == "__main__":
    main()
