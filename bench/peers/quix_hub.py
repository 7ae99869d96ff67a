"""The hub's routing written with Quix Streams, exactly-once, as the peer the hub is compared to.

Run: ``python -m bench.peers.quix_hub --bootstrap HOST:PORT --prefix P. --group G
[--topology FILE] [--commit-interval-ms 100] [--guarantee exactly-once]``; stops on SIGTERM.
Same input topics (every organization's ingress), same decisions (:class:`Router`), same
output topics (``ncb.<ISO3>``, review, quarantine, audit) as the hub.
"""

from __future__ import annotations

import argparse
import logging
from functools import partial
from pathlib import Path
from typing import Any, Literal, cast

from quixstreams import Application
from quixstreams.models.serializers import Serializer

from bench.peers.routing import Routed, Router
from gateway.hub.policy.decide import load_policy
from gateway.kafka.topic_names import TopicNames
from gateway.topology import load_topology

__all__ = ["build_app", "main"]


class _Payload(Serializer):
    """Writes a :class:`Routed` row's prepared bytes unchanged."""

    def __call__(self, value: Routed, ctx: Any) -> bytes:
        return value.value


def _topic_of(topics: dict[str, Any], value: Routed, key: Any, ts: int, headers: Any) -> Any:
    return topics[value.topic]


def _headers_of(value: Routed, key: Any, ts: int, headers: Any) -> list[tuple[str, bytes]]:
    return value.headers


def _key_of(value: Routed) -> bytes | None:
    return value.key


def build_app(
    bootstrap: str,
    prefix: str,
    group: str,
    *,
    topology: Path | None = None,
    commit_interval_ms: int = 100,
    guarantee: str = "exactly-once",
) -> Application:
    """A Quix application that routes every ingress topic of the topology."""
    names = TopicNames(prefix)
    topo = load_topology(topology)
    router = Router(names, load_policy(None), frozenset(c.code for c in topo.countries))
    app = Application(
        broker_address=bootstrap,
        consumer_group=group,
        auto_offset_reset="earliest",
        commit_interval=commit_interval_ms / 1000,
        processing_guarantee=cast(Literal["at-least-once", "exactly-once"], guarantee),
        auto_create_topics=False,
        use_changelog_topics=False,
        loglevel="WARNING",
    )
    outputs = [names.quarantine, names.audit, names.review, *router.ncb.values()]
    topics = {
        name: app.topic(name, key_serializer="bytes", value_serializer=_Payload())
        for name in outputs
    }
    for org in topo.organizations:
        source = app.topic(
            names.ingress(org.code), key_deserializer="bytes", value_deserializer="bytes"
        )
        route = partial(router.route, org.code)
        sdf = app.dataframe(source)
        sdf = sdf.apply(
            lambda value, key, ts, headers, r=route: r(key, value), metadata=True, expand=True
        )
        sdf = sdf.set_headers(_headers_of)
        sdf.to_topic(partial(_topic_of, topics), key=_key_of)
    return app


def main() -> None:
    """Parse the flags and run until SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--group", required=True)
    parser.add_argument("--topology", type=Path, default=None)
    parser.add_argument("--commit-interval-ms", type=int, default=100)
    parser.add_argument("--guarantee", default="exactly-once")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    app = build_app(
        args.bootstrap, args.prefix, args.group, topology=args.topology,
        commit_interval_ms=args.commit_interval_ms, guarantee=args.guarantee,
    )  # fmt: skip
    app.run()


if __name__ == "__main__":
    main()
