"""The three top-level alerts: an envelope plus a kind-specific subject (null in a CANCEL)."""

from __future__ import annotations

from typing import ClassVar

from gateway.contract._base import ContractModel
from gateway.contract.commodity import Commodity
from gateway.contract.enums import AlertKind
from gateway.contract.envelope import Envelope
from gateway.contract.person import WantedPerson
from gateway.contract.threat import ThreatAssessment

__all__ = [
    "ALERT_MODELS",
    "AnyAlert",
    "CommodityAlert",
    "ThreatAssessmentAlert",
    "WantedPersonAlert",
    "kind_of",
]


class WantedPersonAlert(ContractModel):
    """Mirror of ``org.frontline.alert.WantedPersonAlert``."""

    kind: ClassVar[AlertKind] = AlertKind.WANTED_PERSON
    schema_name: ClassVar[str] = "org.frontline.alert.WantedPersonAlert"

    envelope: Envelope
    subject: WantedPerson | None = None


class CommodityAlert(ContractModel):
    """Mirror of ``org.frontline.alert.CommodityAlert``."""

    kind: ClassVar[AlertKind] = AlertKind.COMMODITY
    schema_name: ClassVar[str] = "org.frontline.alert.CommodityAlert"

    envelope: Envelope
    subject: Commodity | None = None


class ThreatAssessmentAlert(ContractModel):
    """Mirror of ``org.frontline.alert.ThreatAssessmentAlert``."""

    kind: ClassVar[AlertKind] = AlertKind.THREAT_ASSESSMENT
    schema_name: ClassVar[str] = "org.frontline.alert.ThreatAssessmentAlert"

    envelope: Envelope
    subject: ThreatAssessment | None = None


AnyAlert = WantedPersonAlert | CommodityAlert | ThreatAssessmentAlert

ALERT_MODELS: dict[AlertKind, type[AnyAlert]] = {
    AlertKind.WANTED_PERSON: WantedPersonAlert,
    AlertKind.COMMODITY: CommodityAlert,
    AlertKind.THREAT_ASSESSMENT: ThreatAssessmentAlert,
}


def kind_of(alert: AnyAlert) -> AlertKind:
    """Which kind an alert model is."""
    return alert.kind
