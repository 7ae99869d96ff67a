"""The national node carries the originator's signature to the posts and, with a trust file,
quarantines a record altered after the hub."""

from __future__ import annotations

from types import SimpleNamespace

from aiokafka import TopicPartition
from prometheus_client import CollectorRegistry

from gateway.contract.trust import TrustStore
from gateway.kafka.headers import SIG_HEADERS, RouteHeaders, headers_to_dict
from gateway.kafka.quarantine import QuarantineRecord
from gateway.kafka.topic_names import TopicNames
from gateway.node.metrics import NodeMetrics
from gateway.node.service import NodeProcessor
from gateway.topology import parse_topology
from tests.support.alerts import make_alert
from tests.support.signing import flip_byte, make_key

TOPOLOGY = """version = 1
[[organizations]]
code = "INTERPOL"
name = "INTERPOL"
kind = "global"
[[countries]]
code = "FRA"
name = "France"
  [[countries.posts]]
  id = "CDG"
  name = "Paris CDG"
  type = "AIRPORT"
"""
NAMES = TopicNames("fl.")
NCB = TopicPartition(NAMES.ncb("FRA"), 0)


def node_record(
    offset: int, alert_id: str, value: bytes, sig: list[tuple[str, bytes]]
) -> SimpleNamespace:
    """A record of France's national topic as the hub writes it."""
    headers = RouteHeaders(
        kind="WANTED_PERSON", org="INTERPOL", tlp="GREEN", status="ACTUAL", msg_type="ALERT",
        version=1, ts_hub=1,
    ).to_kafka()  # fmt: skip
    return SimpleNamespace(
        offset=offset, key=alert_id.encode(), value=value, headers=[*headers, *sig]
    )


def processor(trust: TrustStore | None) -> NodeProcessor:
    countries = parse_topology(TOPOLOGY).countries
    return NodeProcessor(NAMES, countries, NodeMetrics(CollectorRegistry()), trust=trust)


def test_node_copies_the_signature_headers_onto_every_feed_record() -> None:
    """The three fl-sig* headers reach the post's feed byte for byte, with the payload."""
    signer, _ = make_key("INTERPOL")
    value = make_alert("INTERPOL:N-1")
    sig = signer.sign(value)
    out = processor(None).process(NCB, [node_record(0, "INTERPOL:N-1", value, sig)])
    assert [o.topic for o in out] == [NAMES.post("FRA", "CDG")]
    assert out[0].value == value
    assert [(k, v) for k, v in out[0].headers if k in SIG_HEADERS] == sig


def test_node_with_a_trust_file_quarantines_an_altered_record() -> None:
    """A payload byte flipped after the hub goes to quarantine (bad_signature), not to a feed."""
    signer, entry = make_key("INTERPOL")
    node = processor(TrustStore([entry]))
    good, altered = make_alert("INTERPOL:N-1"), make_alert("INTERPOL:N-2")
    flipped = flip_byte(altered)
    tp = NCB
    out = node.process(
        tp,
        [
            node_record(0, "INTERPOL:N-1", good, signer.sign(good)),
            node_record(1, "INTERPOL:N-2", flipped, signer.sign(altered)),
        ],
    )
    assert [(o.topic, o.key) for o in out] == [
        (NAMES.post("FRA", "CDG"), b"INTERPOL:N-1"),
        (NAMES.quarantine, out[1].key),
    ]
    q = QuarantineRecord.from_kafka(out[1].value, out[1].headers)
    assert (q.stage, q.component, [r.code for r in q.reasons]) == (
        "signature", "node", ["bad_signature"],
    )  # fmt: skip
    assert q.original == flipped
    assert headers_to_dict(out[0].headers)["fl-sig-key"] == signer.key_id
    node.committed(tp)
    refused = node.metrics.registry.get_sample_value(
        "frontline_node_signature_refused_total", {"country": "FRA", "reason": "bad_signature"}
    )
    assert refused == 1
