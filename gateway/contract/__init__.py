"""The alert contract as pydantic models, mirroring the Avro schemas in ``schemas/`` one to one."""

from __future__ import annotations

from gateway.contract.alerts import (
    ALERT_MODELS,
    AnyAlert,
    CommodityAlert,
    ThreatAssessmentAlert,
    TravelDocumentAlert,
    WantedPersonAlert,
    kind_of,
)
from gateway.contract.commodity import Commodity, Conveyance, Quantity, Route, RoutePoint
from gateway.contract.document import DocumentReport
from gateway.contract.enums import (
    AlertKind,
    CommodityAction,
    CommodityCategory,
    ConveyanceKind,
    DocumentStatus,
    DocumentType,
    DrugType,
    HandlingCode,
    InformationAccuracy,
    MsgType,
    Org,
    PersonAction,
    PersonCategory,
    QuantityUnit,
    Sex,
    SourceReliability,
    Status,
    ThreatType,
    Tlp,
)
from gateway.contract.envelope import Envelope, Reference
from gateway.contract.person import PartialDate, PhysicalDescription, TravelDocument, WantedPerson
from gateway.contract.threat import ThreatAssessment

__all__ = [
    "ALERT_MODELS",
    "AlertKind",
    "AnyAlert",
    "Commodity",
    "CommodityAction",
    "CommodityAlert",
    "CommodityCategory",
    "Conveyance",
    "ConveyanceKind",
    "DocumentReport",
    "DocumentStatus",
    "DocumentType",
    "DrugType",
    "Envelope",
    "HandlingCode",
    "InformationAccuracy",
    "MsgType",
    "Org",
    "PartialDate",
    "PersonAction",
    "PersonCategory",
    "PhysicalDescription",
    "Quantity",
    "QuantityUnit",
    "Reference",
    "Route",
    "RoutePoint",
    "Sex",
    "SourceReliability",
    "Status",
    "ThreatAssessment",
    "ThreatAssessmentAlert",
    "ThreatType",
    "Tlp",
    "TravelDocument",
    "TravelDocumentAlert",
    "WantedPerson",
    "WantedPersonAlert",
    "kind_of",
]
