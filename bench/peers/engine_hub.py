"""The peers' routing run on Frontline's own exactly-once engine (``gateway.kafka.eos``).

It isolates the framework: this and ``quix_hub`` share :class:`Router` line for line, so the
ratio between them is engine against engine. Run: ``python -m bench.peers.engine_hub
--bootstrap HOST:PORT --prefix P. --group G [--topology FILE] [--commit-interval-ms 100]
[--guarantee exactly-once|at-least-once]``; stops on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from aiokafka import TopicPartition

from bench.peers.routing import Router
from gateway.hub.policy.decide import load_policy
from gateway.kafka.eos import EosEngine, Mode, Output
from gateway.kafka.topic_names import TopicNames
from gateway.logconfig import configure_logging
from gateway.settings import LogFormat, Settings
from gateway.signals import run_until_signalled
from gateway.topology import load_topology

__all__ = ["RoutingProcessor", "main", "serve"]


class RoutingProcessor:
    """An engine :class:`~gateway.kafka.eos.Processor` with no state: route and forward."""

    def __init__(self, router: Router, orgs: Mapping[str, str]) -> None:
        self.router = router
        self.orgs = orgs  # ingress topic -> organization code

    async def on_assigned(self, partitions: frozenset[TopicPartition]) -> None:
        """Nothing to restore."""

    def on_revoked(self, partitions: frozenset[TopicPartition]) -> None:
        """Nothing to drop."""

    async def prepare(self, tp: TopicPartition, records: Sequence[Any]) -> bool:
        """Every batch is ready at once."""
        return True

    def process(self, tp: TopicPartition, records: Sequence[Any]) -> Sequence[Output]:
        """Route each record of the batch."""
        org = self.orgs[tp.topic]
        route = self.router.route
        return [
            Output(r.topic, r.key, r.value, r.headers)
            for rec in records
            for r in route(org, rec.key, rec.value)
        ]

    def tick(self, tp: TopicPartition, now_ms: int) -> Sequence[Output]:
        """No timers."""
        return ()

    def committed(self, tp: TopicPartition) -> None:
        """No staged state."""

    def aborted(self, tp: TopicPartition) -> None:
        """No staged state."""


async def serve(
    bootstrap: str,
    prefix: str,
    group: str,
    *,
    topology: Path | None = None,
    commit_interval_ms: int = 100,
    mode: Mode = Mode.EXACTLY_ONCE,
) -> None:
    """Run the engine until SIGTERM or SIGINT."""
    settings = Settings(bootstrap_servers=bootstrap, topic_prefix=prefix)
    names = TopicNames(prefix)
    topo = load_topology(topology)
    router = Router(names, load_policy(None), frozenset(c.code for c in topo.countries))
    orgs = {names.ingress(o.code): o.code for o in topo.organizations}
    engine = EosEngine(
        settings, app_id=group, topics=list(orgs), processor=RoutingProcessor(router, orgs),
        mode=mode, commit_interval_ms=commit_interval_ms,
    )  # fmt: skip
    await run_until_signalled(engine.run(), engine.stop)


def main() -> None:
    """Parse the flags and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--topology", type=Path, default=None)
    parser.add_argument("--commit-interval-ms", type=int, default=100)
    parser.add_argument("--guarantee", default="exactly-once", choices=[m.value for m in Mode])
    args = parser.parse_args()
    configure_logging(LogFormat.JSON, "WARNING")
    asyncio.run(
        serve(
            args.bootstrap,
            args.prefix,
            args.group,
            topology=args.topology,
            commit_interval_ms=args.commit_interval_ms,
            mode=Mode(args.guarantee),
        )
    )


if __name__ == "__main__":
    main()
