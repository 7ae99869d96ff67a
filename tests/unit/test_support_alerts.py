"""The shared sample-alert builder (tests/support/alerts.py) round-trips through the codec."""

from __future__ import annotations

from gateway.contract import AlertKind
from gateway.contract.codec import decode_dict
from tests.support.alerts import make_alert


def test_make_alert_round_trips() -> None:
    """The sample builder produces bytes the hub's decoder reads back with the overrides."""
    kind, record = decode_dict(make_alert("EUROPOL:X-9", 3, tlp="AMBER"))
    assert kind is AlertKind.WANTED_PERSON
    env = record["envelope"]
    assert (env["alert_id"], env["version"], env["source_org"], env["tlp"]) == (
        "EUROPOL:X-9", 3, "EUROPOL", "AMBER",
    )  # fmt: skip
