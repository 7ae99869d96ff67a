"""National-node routing: profiles, post types, TLP:RED and revocation, without a broker."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka import TopicPartition
from prometheus_client import CollectorRegistry

from gateway.contract import CommodityAlert, WantedPersonAlert
from gateway.contract.codec import encode
from gateway.kafka.headers import H, RouteHeaders, headers_to_dict
from gateway.kafka.topic_names import TopicNames
from gateway.node.metrics import NodeMetrics
from gateway.node.route import decide
from gateway.node.service import NodeProcessor
from gateway.topology import Topology, parse_topology

EXAMPLES = Path(__file__).resolve().parents[2] / "schemas" / "examples"

TOPOLOGY = """
version = 1
[[organizations]]
code = "INTERPOL"
name = "INTERPOL"
kind = "global"
[[organizations]]
code = "EUROPOL"
name = "Europol"
kind = "regional"

[[countries]]
code = "FRA"
name = "France"
  [[countries.posts]]
  id = "CDG"
  name = "Paris CDG"
  type = "AIRPORT"
  [countries.posts.subscribes]
  kinds = ["WANTED_PERSON", "COMMODITY"]
  [[countries.posts]]
  id = "FRLEH"
  name = "Le Havre"
  type = "SEAPORT"
  [countries.posts.subscribes]
  kinds = ["COMMODITY"]
  commodity_categories = ["DRUGS"]
  routes = ["ECU", "BRA"]
  [[countries.posts]]
  id = "MENTON"
  name = "Menton"
  type = "LAND"
  [countries.posts.subscribes]
  kinds = ["WANTED_PERSON"]
  nationalities = ["ITA"]
  organizations = ["EUROPOL"]
"""


@pytest.fixture(scope="module")
def topology() -> Topology:
    """A country with an airport, a seaport and a land crossing of different profiles."""
    return parse_topology(TOPOLOGY)


def alert(name: str, **envelope: Any) -> dict[str, Any]:
    """A shipped example as an Avro-shaped dict, with envelope fields overridden."""
    data: dict[str, Any] = json.loads((EXAMPLES / name).read_text())
    data["envelope"].update(envelope)
    return data


def test_commodity_goes_to_posts_whose_profile_and_type_fit(topology: Topology) -> None:
    """Drugs by container ship from Ecuador reach the seaport only: ships never reach an airport."""
    record = alert("commodity.json", version=1, msg_type="ALERT")
    decision = decide(topology.country("FRA"), "COMMODITY", "EUROPOL", record)
    assert decision.deliver == ("FRLEH",)
    assert decision.tombstone == ()


def test_route_and_category_filters(topology: Topology) -> None:
    """A seaport whose routes or categories do not fit the alert does not receive it."""
    record = alert("commodity.json")
    record["subject"]["route"] = {"origin": {"country": "NLD"}, "transit": [], "destination": None}
    assert decide(topology.country("FRA"), "COMMODITY", "EUROPOL", record).deliver == ()
    record = alert("commodity.json")
    record["subject"]["category"] = "FIREARMS"
    assert decide(topology.country("FRA"), "COMMODITY", "EUROPOL", record).deliver == ()


def test_person_nationality_and_organization_filters(topology: Topology) -> None:
    """A land post for Italian nationals from EUROPOL skips a Swedish INTERPOL subject."""
    record = alert("wanted_person.json")
    assert decide(topology.country("FRA"), "WANTED_PERSON", "INTERPOL", record).deliver == ("CDG",)
    record["subject"]["nationalities"] = ["ITA"]
    both = decide(topology.country("FRA"), "WANTED_PERSON", "EUROPOL", record)
    assert both.deliver == ("CDG", "MENTON")


@pytest.mark.parametrize(
    ("record", "header_tlp", "reason"),
    [
        (None, "", "REVOKED"),
        (alert("wanted_person.json", tlp="RED"), "", "TLP_RED"),
        (alert("wanted_person.json"), "RED", "TLP_RED"),
        (alert("wanted_person.json", msg_type="CANCEL"), "", "CANCELLED"),
    ],
)
def test_revocations_reach_every_post(
    topology: Topology, record: dict[str, Any] | None, header_tlp: str, reason: str
) -> None:
    """Tombstones, TLP:RED (header or payload) and CANCEL tombstone every post and deliver none."""
    decision = decide(
        topology.country("FRA"), "WANTED_PERSON", "INTERPOL", record, header_tlp=header_tlp
    )
    assert decision.deliver == ()
    assert decision.tombstone == ("CDG", "FRLEH", "MENTON")
    assert decision.reason == reason


def test_update_tombstones_posts_that_no_longer_want_it(topology: Topology) -> None:
    """An update that narrows the profile match sends tombstones to the posts left out."""
    record = alert("wanted_person.json", version=2, msg_type="UPDATE")
    decision = decide(topology.country("FRA"), "WANTED_PERSON", "INTERPOL", record)
    assert decision.deliver == ("CDG",)
    assert decision.tombstone == ("FRLEH", "MENTON")
    assert decision.reason == "NARROWED"


def _record(offset: int, key: bytes, value: bytes | None, tlp: str = "AMBER") -> SimpleNamespace:
    headers = RouteHeaders(
        kind="WANTED_PERSON", org="INTERPOL", tlp=tlp, status="ACTUAL", msg_type="ALERT",
        version=1, ts_hub=5, ts_node=1,
    ).to_kafka()  # fmt: skip
    return SimpleNamespace(offset=offset, key=key, value=value, headers=headers)


def test_processor_writes_feeds_tombstones_and_quarantine(topology: Topology) -> None:
    """Payload bytes pass unchanged with a fresh fl-ts-node; garbage goes to quarantine."""
    registry = CollectorRegistry()
    names = TopicNames("t.")
    processor = NodeProcessor(
        names, [topology.country("FRA")], NodeMetrics(registry), clock=lambda: 42.0
    )
    payload = encode(WantedPersonAlert.model_validate(alert("wanted_person.json")))
    tp = TopicPartition("t.ncb.FRA", 0)
    outputs = processor.process(
        tp, [_record(0, b"A:1", payload), _record(1, b"A:1", None), _record(2, b"A:2", b"\x00bad")]
    )
    delivered, *tombstones, quarantined = outputs
    assert (delivered.topic, delivered.key, delivered.value) == ("t.post.FRA.CDG", b"A:1", payload)
    assert headers_to_dict(delivered.headers)[H.TS_NODE] == "42000"
    assert [t.topic for t in tombstones] == [
        "t.post.FRA.CDG",
        "t.post.FRA.FRLEH",
        "t.post.FRA.MENTON",
    ]
    assert all(t.value is None for t in tombstones)
    assert quarantined.topic == "t.quarantine"
    assert quarantined.value == b"\x00bad"
    assert (
        registry.get_sample_value(
            "frontline_node_records_total", {"country": "FRA", "outcome": "routed"}
        )
        is None
    )  # counted only once the transaction commits
    processor.committed(tp)
    value = registry.get_sample_value
    assert value("frontline_node_records_total", {"country": "FRA", "outcome": "routed"}) == 1
    assert value("frontline_node_tombstones_total", {"country": "FRA", "reason": "REVOKED"}) == 3
    assert value("frontline_node_records_total", {"country": "FRA", "outcome": "quarantined"}) == 1


def test_commodity_example_decodes_for_routing() -> None:
    """The commodity example is a valid alert (guards the fixtures these tests use)."""
    assert CommodityAlert.model_validate(alert("commodity.json")).subject is not None
