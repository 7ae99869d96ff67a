"""How the national nodes' consumer group shares the work: whole countries, never halves.

Every ``frontline node run`` joins one consumer group (``<prefix>node``), whatever countries
it serves; each member subscribes to the national and ``up`` topics of its countries, and the
group's leader assigns partitions with :class:`CountryAssignor`:

- **the unit is a country**: every partition of ``ncb.<ISO3>`` and ``up.<ISO3>`` goes to one
  member, because the node's way back (flags, receipts, hits: :mod:`gateway.node.wayback`)
  is shared by a country's partitions and is exact only in one process;
- **a member gets only countries it subscribed to** (Kafka's group protocol guarantees
  nothing else; this assignor keeps to it);
- **the most specific member wins**: a country goes to the members whose subscriptions are
  smallest, so ``node run FRA`` keeps France while ``node run --all`` elsewhere serves the
  rest, and takes France over if the FRA instance dies;
- **equals share**: among those members, countries are spread by partition count (largest
  first, to the least-loaded member; ties broken by a hash of country and member so the
  result does not depend on member order).

Exactly-once across a move is the engine's (:mod:`gateway.kafka.eos`): one transactional id
per input partition, so the new owner's producer fences the old one.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from aiokafka.coordinator.assignors.abstract import AbstractPartitionAssignor
from aiokafka.coordinator.protocol import (
    ConsumerProtocolMemberAssignment,
    ConsumerProtocolMemberMetadata,
)

__all__ = ["CountryAssignor", "country_of_topic"]


def country_of_topic(topic: str) -> str:
    """The unit a node topic belongs to: its last dot-separated part (``fl.ncb.FRA`` -> FRA)."""
    return topic.rsplit(".", 1)[-1]


def _tiebreak(unit: str, member: str) -> bytes:
    return hashlib.blake2b(f"{unit}\0{member}".encode(), digest_size=8).digest()


class CountryAssignor(AbstractPartitionAssignor):  # type: ignore[misc]  # why: aiokafka ships no types
    """Assigns each country's node topics, all partitions together, to one member."""

    name = "frontline-country"
    version = 0

    @classmethod
    def assign(
        cls, cluster: Any, members: Mapping[str, ConsumerProtocolMemberMetadata]
    ) -> dict[str, ConsumerProtocolMemberAssignment]:
        """Country by country, to the most specific subscribed member with the least load."""
        subscribed = {m: set(meta.subscription) for m, meta in members.items()}
        units: dict[str, dict[str, list[int]]] = defaultdict(dict)
        for topic in sorted(set().union(*subscribed.values()) if subscribed else ()):
            partitions = cluster.partitions_for_topic(topic)
            if partitions:
                units[country_of_topic(topic)][topic] = sorted(partitions)
        breadth = {
            m: len({country_of_topic(t) for t in topics}) for m, topics in subscribed.items()
        }
        load = dict.fromkeys(members, 0)
        plan: dict[str, dict[str, list[int]]] = {m: {} for m in members}

        def weight(unit: str) -> int:
            return sum(len(p) for p in units[unit].values())

        for unit in sorted(units, key=lambda u: (-weight(u), u)):
            topics = units[unit]
            whole = [m for m, s in subscribed.items() if s >= topics.keys()]
            if whole:
                owner = cls._pick(unit, whole, breadth, load)
                plan[owner].update(topics)
                load[owner] += weight(unit)
                continue
            # No member reads all of the country's topics (members of mixed versions):
            # each topic still goes whole to one member that reads it.
            for topic, partitions in topics.items():
                readers = [m for m, s in subscribed.items() if topic in s]
                owner = cls._pick(unit, readers, breadth, load)
                plan[owner][topic] = partitions
                load[owner] += len(partitions)
        return {
            m: ConsumerProtocolMemberAssignment(cls.version, sorted(plan[m].items()), b"")
            for m in members
        }

    @staticmethod
    def _pick(
        unit: str, candidates: list[str], breadth: Mapping[str, int], load: Mapping[str, int]
    ) -> str:
        narrowest = min(breadth[m] for m in candidates)
        tier = [m for m in candidates if breadth[m] == narrowest]
        return min(tier, key=lambda m: (load[m], _tiebreak(unit, m)))

    @classmethod
    def metadata(cls, topics: Iterable[str]) -> ConsumerProtocolMemberMetadata:
        """What a member tells the group: the topics it reads."""
        return ConsumerProtocolMemberMetadata(cls.version, sorted(topics), b"")

    @classmethod
    def on_assignment(cls, assignment: ConsumerProtocolMemberAssignment) -> None:
        """Nothing to remember: the assignment is computed afresh at each rebalance."""
