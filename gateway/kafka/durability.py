"""How many copies each topic keeps, and the repairs ``topics apply`` makes or explains.

The rule (docs/operations.md, "A production cluster"): a topic has ``min(3, brokers)``
replicas unless ``FRONTLINE_REPLICATION_FACTOR`` says otherwise; with three or more,
``min.insync.replicas=2`` so an acknowledged write (producers use ``acks=all``) is on two
brokers and survives the loss of one; unclean leader election stays off so an out-of-sync
replica never becomes leader and silently drops acknowledged records.

On an existing topic, ``topics apply`` sets the two durability configs itself (incremental
alter configs: nothing else on the topic changes) when the topic's replicas allow it; a
replication factor below the plan needs a partition reassignment, which it writes as a
``kafka-reassign-partitions`` plan and explains, but never runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from confluent_kafka import KafkaException
from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource

from gateway.kafka.access_admin import librdkafka_admin
from gateway.settings import Settings

__all__ = [
    "FIXABLE",
    "MIN_INSYNC",
    "UNCLEAN",
    "alter_topic_configs",
    "durability_configs",
    "fix_hint",
    "reassignment_plan",
    "replication_for",
]

MIN_INSYNC = "min.insync.replicas"
UNCLEAN = "unclean.leader.election.enable"
# Configs ``topics apply`` changes on an existing topic: both only make writes safer.
FIXABLE = (MIN_INSYNC, UNCLEAN)
_TIMEOUT_S = 30.0


def replication_for(configured: int | None, brokers: int) -> int:
    """The replication factor: the configured one, else ``min(3, brokers)``."""
    return configured if configured is not None else max(1, min(3, brokers))


def durability_configs(replication: int) -> dict[str, str]:
    """Topic configs that go with ``replication`` copies: two in sync from three copies on."""
    return {MIN_INSYNC: "2" if replication >= 3 else "1", UNCLEAN: "false"}


def fix_hint(topic: str, key: str, want: str, bootstrap: str) -> str:
    """How an operator fixes one drifted setting of ``topic`` by hand."""
    if key == "replication":
        return (
            f"a partition reassignment: `frontline topics apply --reassignment plan.json`, then "
            f"`kafka-reassign-partitions.sh --bootstrap-server {bootstrap} "
            "--reassignment-json-file plan.json --execute` (and `--verify` until done)"
        )
    if key == MIN_INSYNC:
        return (
            "raise the replication factor first (see replication); the next `topics apply` "
            f"sets {MIN_INSYNC}={want}"
        )
    if key == "partitions":
        return (
            f"`kafka-topics.sh --bootstrap-server {bootstrap} --alter --topic {topic} "
            f"--partitions {want}` only while it holds no data (keys change partition); "
            "else recreate it"
        )
    return (
        f"`kafka-configs.sh --bootstrap-server {bootstrap} --entity-type topics "
        f"--entity-name {topic} --alter --add-config {key}={want}`"
    )


def reassignment_plan(
    current: Mapping[str, Sequence[Sequence[int]]],
    wanted: Mapping[str, int],
    brokers: Sequence[int],
) -> dict[str, Any]:
    """A ``kafka-reassign-partitions`` plan giving each topic ``wanted[topic]`` replicas.

    ``current[topic][p]`` lists partition ``p``'s replicas, leader first; they are kept in
    that order (no leader moves) and the brokers holding the fewest replicas are added.
    """
    load = dict.fromkeys(brokers, 0)
    for layout in current.values():
        for partition in layout:
            for broker in partition:
                load[broker] = load.get(broker, 0) + 1
    rows: list[dict[str, Any]] = []
    for topic in sorted(wanted):
        for index, replicas in enumerate(current.get(topic, ())):
            chosen = list(replicas)
            while len(chosen) < wanted[topic]:
                spare = [b for b in brokers if b not in chosen]
                if not spare:
                    break
                pick = min(spare, key=lambda b: (load[b], b))
                chosen.append(pick)
                load[pick] += 1
            if len(chosen) > len(replicas):
                rows.append({"topic": topic, "partition": index, "replicas": chosen})
    return {"version": 1, "partitions": rows}


def _alter(settings: Settings, changes: Mapping[str, Mapping[str, str]]) -> dict[str, str | None]:
    # librdkafka's notices (level 6, e.g. the background queue purged at close) stay quiet.
    admin = librdkafka_admin(settings, log_level=4)
    resources = [
        ConfigResource(
            "TOPIC",
            topic,
            incremental_configs=[
                ConfigEntry(key, value, incremental_operation=AlterConfigOpType.SET)
                for key, value in sorted(configs.items())
            ],
        )
        for topic, configs in sorted(changes.items())
    ]
    outcome: dict[str, str | None] = {}
    for resource, future in admin.incremental_alter_configs(resources).items():
        try:
            future.result(timeout=_TIMEOUT_S)
            outcome[resource.name] = None
        except KafkaException as error:
            kafka_error = error.args[0] if error.args else None
            outcome[resource.name] = kafka_error.str() if kafka_error is not None else str(error)
        except TimeoutError:
            outcome[resource.name] = f"no answer within {_TIMEOUT_S:.0f}s"
    return outcome


async def alter_topic_configs(
    settings: Settings, changes: Mapping[str, Mapping[str, str]]
) -> dict[str, str | None]:
    """Set ``changes[topic]`` configs (IncrementalAlterConfigs); topic -> error or None."""
    if not changes:
        return {}
    return await asyncio.to_thread(_alter, settings, changes)
