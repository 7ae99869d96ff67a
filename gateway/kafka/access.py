"""Who may do what on a secured broker: one principal per participant, ACLs from the topology.

Principals (SCRAM user names, ``User:<name>`` on the broker):

- ``connector-<org>`` (lower case, as the ingress topic) writes its organization's ingress
  topic and the quarantine topic, idempotently, and reads its ``outbound.<org>`` topic;
- ``hub`` reads every ingress topic, its state changelog, the review decisions and the hub
  inbox, writes the national topics, outbound topics, audit, review, state and quarantine,
  in its group and under its own transactional-id prefix;
- ``node-<ISO3>`` reads its own ``ncb.<ISO3>`` and ``up.<ISO3>`` topics and writes its own
  posts' feeds (one prefixed ACL, ``<prefix>post.<ISO3>.``), the hub inbox and the quarantine,
  with its own transactional ids;
- ``post-<ISO3>.<POST>`` reads its own feed (in its own group) and writes its country's
  access log and ``up.<ISO3>`` topic (hits, receipts);
- ``operator`` reads audit, review and the access logs and writes review decisions.

Group and transactional-id names are the ones the components use: the exactly-once engine
(:mod:`gateway.kafka.eos`) takes ``app_id`` as the group and ``<app_id>-<topic>-<partition>``
as transactional ids, with ``app_id`` ``<prefix>hub`` and ``<prefix>node``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from gateway.kafka.topic_names import TopicNames
from gateway.topology import Topology

__all__ = [
    "HUB",
    "OPERATOR",
    "Acl",
    "Principal",
    "connector_principal",
    "node_principal",
    "plan_access",
    "post_principal",
]

HUB = "hub"
OPERATOR = "operator"

Resource = Literal["topic", "group", "transactional_id", "cluster"]
Pattern = Literal["literal", "prefixed"]
Operation = Literal["read", "write", "describe", "idempotent_write"]

CLUSTER = "kafka-cluster"


@dataclass(frozen=True, order=True)
class Acl:
    """One ALLOW rule: ``principal`` may ``operation`` on ``resource`` ``name`` (from any host)."""

    principal: str
    resource: Resource
    pattern: Pattern
    name: str
    operation: Operation

    def __str__(self) -> str:
        star = "*" if self.pattern == "prefixed" else ""
        return f"User:{self.principal} {self.operation} {self.resource}:{self.name}{star}"


@dataclass(frozen=True)
class Principal:
    """A participant: its SCRAM user name, what it is, and its ACLs."""

    name: str
    role: str
    acls: tuple[Acl, ...]


def connector_principal(org: str) -> str:
    return f"connector-{org.lower()}"


def node_principal(country: str) -> str:
    return f"node-{country.upper()}"


def post_principal(country: str, post_id: str) -> str:
    return f"post-{country.upper()}.{post_id.upper()}"


class _Rules:
    """Collects ACLs for one principal."""

    def __init__(self, principal: str) -> None:
        self.principal = principal
        self.acls: list[Acl] = []

    def topic(self, operation: Operation, *names: str, prefixed: bool = False) -> _Rules:
        pattern: Pattern = "prefixed" if prefixed else "literal"
        self.acls += [Acl(self.principal, "topic", pattern, n, operation) for n in names]
        return self

    def group(self, name: str) -> _Rules:
        self.acls.append(Acl(self.principal, "group", "literal", name, "read"))
        return self

    def transactions(self, prefix: str) -> _Rules:
        for operation in ("write", "describe"):
            self.acls.append(Acl(self.principal, "transactional_id", "prefixed", prefix, operation))
        return self

    def idempotent(self) -> _Rules:
        self.acls.append(Acl(self.principal, "cluster", "literal", CLUSTER, "idempotent_write"))
        return self

    def done(self, role: str) -> Principal:
        return Principal(self.principal, role, tuple(sorted(set(self.acls))))


def hub_transaction_prefix(prefix: str) -> str:
    """Every transactional id of the hub starts with this (``<app_id>-``)."""
    return f"{prefix}hub-"


def node_transaction_prefix(names: TopicNames, country: str) -> str:
    """A node's transactional ids: ``<prefix>node-<its ncb topic>-<partition>``."""
    return f"{names.prefix}node-{names.ncb(country)}-"


def node_up_transaction_prefix(names: TopicNames, country: str) -> str:
    """A node's transactional ids for its ``up`` input: ``<prefix>node-<up topic>-<partition>``."""
    return f"{names.prefix}node-{names.up(country)}-"


def plan_access(topology: Topology, prefix: str) -> list[Principal]:
    """Every principal the topology implies, with its ACLs, in a stable order."""
    names = TopicNames(prefix)
    principals: list[Principal] = []
    for org in topology.organizations:
        rules = _Rules(connector_principal(org.code))
        rules.topic("write", names.ingress(org.code), names.quarantine).idempotent()
        # The way back: hits and flags on its own alerts, read in its own group.
        rules.topic("read", names.outbound(org.code)).group(names.outbound(org.code))
        principals.append(rules.done(f"connector of {org.code}"))
    hub = _Rules(HUB)
    hub.topic("read", *(names.ingress(o.code) for o in topology.organizations))
    hub.topic("read", names.hub_state, names.review_decisions, names.hub_inbox)
    hub.topic("write", *(names.outbound(o.code) for o in topology.organizations))
    hub.topic("write", *(names.ncb(c.code) for c in topology.countries))
    hub.topic("write", names.audit, names.review, names.hub_state, names.quarantine)
    hub.group(f"{prefix}hub").transactions(hub_transaction_prefix(prefix)).idempotent()
    principals.append(hub.done("hub"))
    for country in topology.countries:
        node = _Rules(node_principal(country.code))
        node.topic("read", names.ncb(country.code), names.up(country.code))
        # Its bureau's hit decisions and flags enter through its own ``up`` topic, and an
        # auto-confirmed hit's decision is written there in the node's transaction.
        node.topic("write", names.up(country.code))
        node.topic("write", names.hub_inbox)
        node.topic("write", f"{prefix}post.{country.code}.", prefixed=True)
        node.topic("write", names.quarantine)
        # The nodes of every country share one consumer group (``<prefix>node``, see
        # gateway/node/service.py); the topic ACL still limits each to its own input. The
        # group's leader assigns every member's partitions, so each node may DESCRIBE every
        # national topic (names and partitions, never records): without it, a leader of
        # another country leaves this node's topic unassigned (simulate --secure found it).
        node.topic("describe", f"{names.prefix}ncb.", prefixed=True)
        node.topic("describe", f"{names.prefix}up.", prefixed=True)
        node.group(f"{prefix}node").transactions(node_transaction_prefix(names, country.code))
        node.transactions(node_up_transaction_prefix(names, country.code))
        principals.append(node.idempotent().done(f"national node {country.code}"))
    for country, post in topology.posts():
        name = post_principal(country.code, post.id)
        rules = _Rules(name)
        rules.topic("read", names.post(country.code, post.id))
        rules.group(names.post(country.code, post.id))
        rules.topic("write", names.access(country.code), names.up(country.code)).idempotent()
        principals.append(rules.done(f"border post {country.code}.{post.id}"))
    operator = _Rules(OPERATOR)
    operator.topic("read", names.audit, names.review)
    operator.topic("read", f"{prefix}access.", prefixed=True)
    operator.topic("write", names.review_decisions).idempotent()
    principals.append(operator.done("operator (reviewers, audit, access logs)"))
    return principals


def all_acls(principals: Iterable[Principal]) -> set[Acl]:
    """Every ACL of ``principals``."""
    return {acl for p in principals for acl in p.acls}
