"""The Kafka topic layout planned from the topology, and its idempotent creation on a broker."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import structlog
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaConnectionError, KafkaError

from gateway.errors import SetupError
from gateway.kafka.clients import make_admin
from gateway.kafka.durability import (
    FIXABLE,
    MIN_INSYNC,
    alter_topic_configs,
    durability_configs,
    fix_hint,
    reassignment_plan,
    replication_for,
)
from gateway.kafka.topic_names import TopicNames
from gateway.kafka.waiting import wait_for_topics
from gateway.settings import Settings
from gateway.topology import Topology

__all__ = [
    "COMPACTED",
    "Applied",
    "TopicResult",
    "TopicSpec",
    "TopicStatus",
    "apply_topics",
    "apply_topics_report",
    "plan_topics",
]

log = structlog.get_logger(__name__)

DAY_MS = 24 * 60 * 60 * 1000

# Compacted topics hold current state: the last value per key (an alert, a watchlist entry,
# a store row), and a tombstone (null value) when it is cancelled or expires.
COMPACTED: Mapping[str, str] = {
    "cleanup.policy": "compact",
    # Clean once 10% of the log is superseded (default 50%): a border post that bootstraps
    # its watchlist from offset 0 reads little more than the live alerts.
    "min.cleanable.dirty.ratio": "0.1",
    # The cleaner never touches the active segment; rolling every 6 hours (default 7 days)
    # bounds how long superseded versions linger, at the cost of more, smaller files.
    "segment.ms": str(6 * 60 * 60 * 1000),
    # Tombstones stay 7 days after compaction. A post offline for less than that still sees
    # the cancellation; one offline longer may miss it and must rebuild its watchlist from
    # offset 0 (a post client must, when its committed offset fell below the log start).
    # Longer keeps more dead keys on disk and slows every bootstrap a little.
    "delete.retention.ms": str(7 * DAY_MS),
}

TopicStatus = Literal["created", "exists", "would-create", "failed"]


@dataclass(frozen=True)
class TopicSpec:
    """One topic Frontline needs: name, sizing, broker configs, and what it is for.

    ``replication`` None means "follow the cluster": ``apply_topics`` resolves it to
    ``min(3, brokers)`` with its durability configs (:meth:`sized`).
    """

    name: str
    partitions: int
    replication: int | None
    configs: Mapping[str, str]
    role: str

    @property
    def policy(self) -> str:
        """The cleanup policy in one word: ``compact`` or ``delete``."""
        return self.configs.get("cleanup.policy", "delete")

    def sized(self, brokers: int) -> TopicSpec:
        """This spec for a cluster of ``brokers``: a replication factor and its configs."""
        if self.replication is not None:
            return self
        replication = replication_for(None, brokers)
        configs = {**self.configs, **durability_configs(replication)}
        return replace(self, replication=replication, configs=configs)


@dataclass(frozen=True)
class TopicResult:
    """What ``apply_topics`` did with one spec.

    ``drift`` lists planned values the broker holds differently (planned, broker) and
    ``hints`` how to fix each by hand; ``fixed`` lists those apply changed itself (in a
    dry run: would change), as (planned, broker before).
    """

    spec: TopicSpec
    status: TopicStatus
    drift: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    error: str | None = None
    fixed: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    hints: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """False only when the broker refused to create the topic."""
        return self.status != "failed"


def _delete(retention_days: int) -> dict[str, str]:
    return {"cleanup.policy": "delete", "retention.ms": str(retention_days * DAY_MS)}


def plan_topics(topology: Topology, settings: Settings) -> list[TopicSpec]:
    """Every topic the topology implies, with partitions, replication and configs."""
    names = TopicNames(settings.topic_prefix)
    parts = settings.partitions
    # The hub keeps state per input partition (exactly-once, one transactional id each) and
    # writes it to the changelog partition of the same number, so a restarted task restores
    # exactly its own slice: state topics need at least as many partitions as ingress topics,
    # which is why both take ``settings.partitions``.
    # Unset FRONTLINE_REPLICATION_FACTOR: the factor follows the cluster (TopicSpec.sized).
    replication = settings.replication_factor
    extra = durability_configs(replication) if replication is not None else {}

    def spec(name: str, configs: Mapping[str, str], role: str) -> TopicSpec:
        return TopicSpec(name, parts, replication, {**configs, **extra}, role)

    specs = [
        spec(names.ingress(org.code), _delete(7), f"ingress from {org.code}")
        for org in topology.organizations
    ]
    specs += [
        spec(names.quarantine, _delete(30), "rejected records with reasons"),
        spec(names.audit, _delete(365), "audit trail of every decision"),
        spec(names.review, COMPACTED, "alerts held for neutrality review"),
        spec(names.review_decisions, _delete(365), "reviewers' approve and reject decisions"),
        spec(names.hub_state, COMPACTED, "hub state changelog"),
        spec(names.hub_inbox, _delete(30), "hits, receipt summaries and flags from the nodes"),
    ]
    specs += [
        spec(names.outbound(org.code), _delete(30), f"hits and flags for {org.code}")
        for org in topology.organizations
    ]
    for country in topology.countries:
        specs.append(spec(names.ncb(country.code), COMPACTED, f"national node {country.code}"))
        specs.append(spec(names.access(country.code), _delete(365), f"access log {country.code}"))
        specs.append(spec(names.up(country.code), _delete(30), f"hits and receipts {country.code}"))
    for country, post in topology.posts():
        specs.append(
            spec(names.post(country.code, post.id), COMPACTED, f"{post.type.lower()} {post.name}")
        )
    return specs


@dataclass(frozen=True)
class Applied:
    """Everything ``apply_topics_report`` found: one result per spec, the cluster's brokers,
    and the partition reassignment that would bring low replication factors to the plan."""

    results: list[TopicResult]
    brokers: list[int]
    reassignment: dict[str, Any]


async def apply_topics(
    specs: Iterable[TopicSpec], settings: Settings, *, dry_run: bool = False
) -> list[TopicResult]:
    """Create the missing topics and report drift on existing ones; running it twice is a no-op.

    A topic the broker refuses comes back with status ``failed`` and the broker's message;
    nothing is raised for it, so the caller sees every outcome at once. See
    :func:`apply_topics_report` for what is fixed on existing topics.
    """
    return (await apply_topics_report(specs, settings, dry_run=dry_run)).results


async def apply_topics_report(
    specs: Iterable[TopicSpec], settings: Settings, *, dry_run: bool = False
) -> Applied:
    """:func:`apply_topics`, with the brokers and a reassignment plan for low replication.

    On existing topics the durability configs (``min.insync.replicas``, unclean leader
    election) are set when they differ and the topic's replicas allow it; every other
    difference is only reported, with a hint naming the fix.
    """
    admin = make_admin(settings, request_timeout_ms=15_000)
    try:
        await admin.start()
    except KafkaConnectionError as error:
        raise SetupError(
            f"cannot reach Kafka at {settings.bootstrap_servers or 'the local broker'}: {error}",
            hint="Start one with `frontline broker up`, or fix FRONTLINE_BOOTSTRAP_SERVERS.",
        ) from None
    try:
        brokers = sorted(b["node_id"] for b in (await admin.describe_cluster())["brokers"])
        wanted = [s.sized(len(brokers)) for s in specs]
        existing = set(await admin.list_topics())
        missing = [s for s in wanted if s.name not in existing]
        present = [s for s in wanted if s.name in existing]
        outcome: dict[str, TopicResult] = {}
        replicas: dict[str, list[list[int]]] = {}
        for s, (drift, held) in zip(present, await _drift(admin, present), strict=True):
            outcome[s.name] = TopicResult(s, "exists", drift)
            replicas[s.name] = held
        if dry_run:
            outcome.update({s.name: TopicResult(s, "would-create") for s in missing})
        else:
            created = await _create(admin, missing)
            # Topics another creator made between our listing and our request: check them too.
            raced = [s for s in missing if created[s.name].status == "exists"]
            for s, (drift, held) in zip(raced, await _drift(admin, raced), strict=True):
                created[s.name] = TopicResult(s, "exists", drift)
                replicas[s.name] = held
            outcome.update(created)
            await _visible(admin, [n for n, r in created.items() if r.status == "created"])
    except KafkaError as error:
        raise SetupError(
            f"Kafka refused a topic request: {error}",
            hint="Check the broker is healthy and this client may manage topics (ACLs).",
        ) from None
    finally:
        await admin.close()
    outcome = await _repair(outcome, replicas, settings, dry_run=dry_run)
    low = {
        name: int(r.drift["replication"][0])
        for name, r in outcome.items()
        if "replication" in r.drift
    }
    plan = reassignment_plan({n: replicas[n] for n in low}, low, brokers)
    return Applied([outcome[s.name] for s in wanted], brokers, plan)


async def _repair(
    outcome: dict[str, TopicResult],
    replicas: Mapping[str, list[list[int]]],
    settings: Settings,
    *,
    dry_run: bool,
) -> dict[str, TopicResult]:
    """Set the fixable durability configs that drifted; attach a hint to every other drift."""
    bootstrap = settings.bootstrap_servers or "BROKER:9092"
    changes: dict[str, dict[str, str]] = {}
    for name, result in outcome.items():
        held = replicas.get(name) or [[]]
        have = min(len(r) for r in held)
        for key, (want, _) in result.drift.items():
            # min.insync above the copies a topic has would refuse every acks=all write.
            if key in FIXABLE and not (key == MIN_INSYNC and int(want) > have):
                changes.setdefault(name, {})[key] = want
    errors = {} if dry_run else await alter_topic_configs(settings, changes)
    repaired: dict[str, TopicResult] = {}
    for name, result in outcome.items():
        done = changes.get(name, {}) if not errors.get(name) else {}
        if errors.get(name):
            log.warning("topic_config_fix_failed", topic=name, error=errors[name])
        elif done and not dry_run:
            log.info("topic_config_fixed", topic=name, configs=sorted(done))
        drift = {k: v for k, v in result.drift.items() if k not in done}
        hints = {k: fix_hint(name, k, want, bootstrap) for k, (want, _) in drift.items()}
        fixed = {k: v for k, v in result.drift.items() if k in done}
        error = result.error or errors.get(name)
        repaired[name] = replace(result, drift=drift, fixed=fixed, hints=hints, error=error)
    return repaired


# Creating many topics in one request can exceed the broker's request timeout.
_BATCH = 50
_ALREADY_EXISTS = 36


async def _create(admin: AIOKafkaAdminClient, missing: list[TopicSpec]) -> dict[str, TopicResult]:
    """Create topics in batches; a concurrent creator's win counts as ``exists``."""
    results: dict[str, TopicResult] = {}
    by_name = {s.name: s for s in missing}
    for start in range(0, len(missing), _BATCH):
        batch = missing[start : start + _BATCH]
        request = [
            NewTopic(s.name, s.partitions, s.replication, topic_configs=dict(s.configs))
            for s in batch
        ]
        response: Any = await admin.create_topics(request)
        for row in response.to_object()["topic_errors"]:
            name, code = row["topic"], row["error_code"]
            spec = by_name[name]
            if code == 0:
                results[name] = TopicResult(spec, "created")
                log.info("topic_created", topic=name, partitions=spec.partitions)
            elif code == _ALREADY_EXISTS:
                results[name] = TopicResult(spec, "exists")
            else:
                message = row.get("error_message") or f"error code {code}"
                results[name] = TopicResult(spec, "failed", error=message)
                log.warning("topic_create_failed", topic=name, error_code=code)
    return results


async def _visible(admin: AIOKafkaAdminClient, names: list[str]) -> None:
    """Wait until the broker's metadata lists every created topic (KRaft propagates it
    asynchronously), so a client started right after ``apply`` finds them; best effort."""
    if names:
        await wait_for_topics(admin, names)


async def _describe_configs(
    admin: AIOKafkaAdminClient, resources: list[ConfigResource], attempts: int = 20
) -> dict[str, dict[str, str]]:
    """Topic name -> broker config values; retried while a just-created topic is unknown."""
    actual: dict[str, dict[str, str]] = {}
    for _ in range(attempts):
        pending = False
        for response in await admin.describe_configs(resources):
            for resource in response.to_object()["resources"]:
                if resource["error_code"] != 0:
                    # Metadata of a topic created a moment ago may not have reached
                    # the config handler yet; ask again rather than report no drift.
                    pending = True
                    continue
                actual[resource["resource_name"]] = {
                    # aiokafka names the config key field ``config_names``.
                    entry["config_names"]: entry["config_value"]
                    for entry in resource["config_entries"]
                }
        if not pending:
            break
        await asyncio.sleep(0.25)
    return actual


async def _drift(
    admin: AIOKafkaAdminClient, present: list[TopicSpec]
) -> list[tuple[dict[str, tuple[str, str]], list[list[int]]]]:
    """For each existing topic, the planned settings the broker holds differently, and each
    partition's replicas (leader first)."""
    if not present:
        return []
    held: dict[str, list[list[int]]] = {}
    for _ in range(20):
        described = await admin.describe_topics([s.name for s in present])
        held = {
            t["topic"]: [
                _leader_first(p["leader"], p["replicas"])
                for p in sorted(t["partitions"], key=lambda p: p["partition"])
            ]
            for t in described
        }
        # A topic created a moment ago may still show no partitions: ask again.
        if all(held.get(s.name) for s in present):
            break
        await asyncio.sleep(0.25)
    resources = [
        ConfigResource(ConfigResourceType.TOPIC, s.name, configs=dict(s.configs)) for s in present
    ]
    actual = await _describe_configs(admin, resources)
    drifts: list[tuple[dict[str, tuple[str, str]], list[list[int]]]] = []
    for s in present:
        drift: dict[str, tuple[str, str]] = {}
        partitions = held.get(s.name, [])
        have = len(partitions) or s.partitions
        if have < s.partitions:
            drift["partitions"] = (str(s.partitions), str(have))
        copies = min((len(r) for r in partitions), default=s.replication)
        if s.replication is not None and copies is not None and copies < s.replication:
            drift["replication"] = (str(s.replication), str(copies))
        values = actual.get(s.name, {})
        for key, value in s.configs.items():
            if key in values and values[key] != value:
                drift[key] = (value, values[key])
        drifts.append((drift, partitions))
    return drifts


def _leader_first(leader: int, replicas: list[int]) -> list[int]:
    """The replica list with the current leader first (a reassignment keeps it leading)."""
    return [leader, *(r for r in replicas if r != leader)] if leader in replicas else replicas
