"""The four top-level alerts: an envelope plus a kind-specific subject (null in a CANCEL)."""

from __future__ import annotations

from typing import ClassVar

from gateway.contract._base import ContractModel
from gateway.contract.commodity import Commodity
from gateway.contract.document import DocumentReport
from gateway.contract.enums import AlertKind
from gateway.contract.envelope import Envelope
from gateway.contract.person import WantedPerson
from gateway.contract.threat import ThreatAssessment

__all__ = [
    "ALERT_MODELS",
    "AnyAlert",
    "CommodityAlert",
    "ThreatAssessmentAlert",
    "TravelDocumentAlert",
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


class TravelDocumentAlert(ContractModel):
    """Mirror of ``org.frontline.alert.TravelDocumentAlert`` (a stolen or lost document)."""

    kind: ClassVar[AlertKind] = AlertKind.TRAVEL_DOCUMENT
    schema_name: ClassVar[str] = "org.frontline.alert.TravelDocumentAlert"

    envelope: Envelope
    subject: DocumentReport | None = None


AnyAlert = WantedPersonAlert | CommodityAlert | ThreatAssessmentAlert | TravelDocumentAlert

ALERT_MODELS: dict[AlertKind, type[AnyAlert]] = {
    AlertKind.WANTED_PERSON: WantedPersonAlert,
    AlertKind.COMMODITY: CommodityAlert,
    AlertKind.THREAT_ASSESSMENT: ThreatAssessmentAlert,
    AlertKind.TRAVEL_DOCUMENT: TravelDocumentAlert,
}


def kind_of(alert: AnyAlert) -> AlertKind:
    """Which kind an alert model is."""
    return alert.kind
