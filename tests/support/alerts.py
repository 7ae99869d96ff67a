"""Sample alerts for the tests of every stage, built from the contract's shipped examples."""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

from gateway.contract import ALERT_MODELS, AlertKind
from gateway.contract.codec import encode
from tests.support.paths import EXAMPLES

__all__ = ["make_alert"]

_FILES = {
    AlertKind.WANTED_PERSON: "wanted_person.json",
    AlertKind.COMMODITY: "commodity.json",
    AlertKind.THREAT_ASSESSMENT: "threat_assessment.json",
    AlertKind.TRAVEL_DOCUMENT: "travel_document.json",
}


@cache
def _example(kind: AlertKind) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / _FILES[kind]).read_text(encoding="utf-8"))
    return data


def make_alert(
    alert_id: str = "INTERPOL:T-1",
    version: int = 1,
    *,
    kind: AlertKind = AlertKind.WANTED_PERSON,
    msg_type: str | None = None,
    tlp: str = "GREEN",
    expires_at: str | None = "2099-01-01T00:00:00Z",
    subject: dict[str, Any] | None = None,
    **envelope: Any,
) -> bytes:
    """An encoded alert whose source org is the alert id's prefix; envelope fields overridable."""
    data = copy.deepcopy(_example(kind))
    env = data["envelope"]
    org = alert_id.partition(":")[0]
    env.update(
        alert_id=alert_id,
        version=version,
        msg_type=msg_type or ("ALERT" if version == 1 else "UPDATE"),
        source_org=org,
        tlp=tlp,
        expires_at=expires_at,
        release_to_orgs=[],
        references=[],
    )
    env.update(envelope)
    if subject is not None:
        data["subject"] = {**data["subject"], **subject}
    if env["msg_type"] == "CANCEL":
        data["subject"] = None
    return encode(ALERT_MODELS[kind].model_validate(data))
