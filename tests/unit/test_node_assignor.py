"""The national nodes' group assigns whole countries, to the most specific member, balanced."""

from __future__ import annotations

from collections.abc import Mapping

from aiokafka.coordinator.protocol import ConsumerProtocolMemberMetadata

from gateway.node.assignor import CountryAssignor, country_of_topic

COUNTRIES = ["DEU", "ESP", "FRA", "ITA", "NLD", "POL"]


class _Cluster:
    """Three partitions per topic, as ClusterMetadata reports them."""

    def partitions_for_topic(self, topic: str) -> set[int]:
        return {0, 1, 2}


def _topics(*codes: str) -> list[str]:
    return [t for c in codes for t in (f"fl.ncb.{c}", f"fl.up.{c}")]


def _assign(members: Mapping[str, list[str]]) -> dict[str, dict[str, list[int]]]:
    metadata = {m: CountryAssignor.metadata(topics) for m, topics in members.items()}
    assert all(isinstance(v, ConsumerProtocolMemberMetadata) for v in metadata.values())
    result = CountryAssignor.assign(_Cluster(), metadata)
    return {m: dict(a.assignment) for m, a in result.items()}


def _countries(assigned: dict[str, list[int]]) -> set[str]:
    return {country_of_topic(t) for t in assigned}


def test_instances_of_all_split_countries_whole_and_evenly() -> None:
    """Two --all instances get three countries each, every country's six partitions on one."""
    plan = _assign({"a": _topics(*COUNTRIES), "b": _topics(*COUNTRIES)})
    assert sorted(len(_countries(p)) for p in plan.values()) == [3, 3]
    assert _countries(plan["a"]) | _countries(plan["b"]) == set(COUNTRIES)
    for assigned in plan.values():
        for topic, partitions in assigned.items():
            assert partitions == [0, 1, 2]
            other = topic.replace(".ncb.", ".up.") if ".ncb." in topic else topic
            assert other in assigned  # the national and up topics of a country travel together


def test_a_member_naming_a_country_keeps_it_and_gets_nothing_else() -> None:
    """`node run FRA` owns France; `node run --all` owns the rest and never France."""
    plan = _assign({"fra": _topics("FRA"), "all": _topics(*COUNTRIES)})
    assert _countries(plan["fra"]) == {"FRA"}
    assert _countries(plan["all"]) == set(COUNTRIES) - {"FRA"}


def test_different_subsets_never_get_unsubscribed_topics() -> None:
    """Members with disjoint subsets each get exactly their own countries."""
    plan = _assign({"x": _topics("DEU", "ESP"), "y": _topics("ITA"), "z": _topics("NLD", "POL")})
    assert _countries(plan["x"]) == {"DEU", "ESP"}
    assert _countries(plan["y"]) == {"ITA"}
    assert _countries(plan["z"]) == {"NLD", "POL"}


def test_the_same_group_gives_the_same_plan_whatever_the_member_order() -> None:
    """The plan depends on members and topics only, not on the order they are listed in."""
    members = {f"m{i}": _topics(*COUNTRIES) for i in range(3)}
    forward = _assign(members)
    backward = _assign(dict(reversed(list(members.items()))))
    assert forward == backward
    assert sorted(len(_countries(p)) for p in forward.values()) == [2, 2, 2]
