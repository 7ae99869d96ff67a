"""Enumerations of the alert contract, symbol for symbol the Avro enums in ``schemas/``."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "AlertKind",
    "CommodityAction",
    "CommodityCategory",
    "ConveyanceKind",
    "DocumentStatus",
    "DocumentType",
    "DrugType",
    "HandlingCode",
    "InformationAccuracy",
    "MsgType",
    "Org",
    "PersonAction",
    "PersonCategory",
    "QuantityUnit",
    "Sex",
    "SourceReliability",
    "Status",
    "ThreatType",
    "Tlp",
    "parse_org",
]


class AlertKind(StrEnum):
    """Which top-level record an alert is; implied by its Avro record type, never a field."""

    WANTED_PERSON = "WANTED_PERSON"
    COMMODITY = "COMMODITY"
    THREAT_ASSESSMENT = "THREAT_ASSESSMENT"
    TRAVEL_DOCUMENT = "TRAVEL_DOCUMENT"


class Org(StrEnum):
    """Dialogue organizations; AIMC = Arab Interior Ministers Council; SCO, UNODC observe."""

    INTERPOL = "INTERPOL"
    EUROPOL = "EUROPOL"
    FRONTEX = "FRONTEX"
    AFRIPOL = "AFRIPOL"
    AMERIPOL = "AMERIPOL"
    ASEANAPOL = "ASEANAPOL"
    GCCPOL = "GCCPOL"
    AIMC = "AIMC"
    ECO = "ECO"
    SCO = "SCO"
    UNODC = "UNODC"


def parse_org(value: object) -> Org:
    """The organization named by ``value``; a ValueError listing the codes if there is none.

    ``Org`` is the one list of organization codes: the policy and topology files, the hub and
    the CLI all check names against it (which ones observe is the policy file's business).
    """
    if isinstance(value, str) and value in _ORG_VALUES:
        return Org(value)
    known = ", ".join(Org)
    raise ValueError(
        f"not an organization of the alert contract; use one of {known} (got {value!r})"
    )


_ORG_VALUES = frozenset(org.value for org in Org)


class MsgType(StrEnum):
    """OASIS CAP msgType: first issue, replacement, withdrawal."""

    ALERT = "ALERT"
    UPDATE = "UPDATE"
    CANCEL = "CANCEL"


class Status(StrEnum):
    """OASIS CAP status; EXERCISE and TEST never reach ACTUAL feeds."""

    ACTUAL = "ACTUAL"
    EXERCISE = "EXERCISE"
    TEST = "TEST"


class Tlp(StrEnum):
    """FIRST Traffic Light Protocol 2.0 labels (AMBER_STRICT is TLP:AMBER+STRICT)."""

    CLEAR = "CLEAR"
    GREEN = "GREEN"
    AMBER = "AMBER"
    AMBER_STRICT = "AMBER_STRICT"
    RED = "RED"


class HandlingCode(StrEnum):
    """Europol-style handling codes H0-H3."""

    H0 = "H0"
    H1 = "H1"
    H2 = "H2"
    H3 = "H3"


class SourceReliability(StrEnum):
    """4x4 source grading: A completely reliable, B mostly, C not reliable, X cannot be judged."""

    A = "A"
    B = "B"
    C = "C"
    X = "X"


class InformationAccuracy(StrEnum):
    """4x4 information grading; ``code`` gives the conventional digit 1-4."""

    KNOWN_TRUE = "KNOWN_TRUE"
    KNOWN_TO_SOURCE = "KNOWN_TO_SOURCE"
    NOT_KNOWN_TO_SOURCE = "NOT_KNOWN_TO_SOURCE"
    CANNOT_BE_JUDGED = "CANNOT_BE_JUDGED"

    @property
    def code(self) -> str:
        """The digit analysts write: '1' for KNOWN_TRUE ... '4' for CANNOT_BE_JUDGED."""
        return str(list(InformationAccuracy).index(self) + 1)


class Sex(StrEnum):
    """Sex as travel documents record it (ICAO 9303 M, F, X)."""

    MALE = "MALE"
    FEMALE = "FEMALE"
    UNSPECIFIED = "UNSPECIFIED"


class PersonCategory(StrEnum):
    """Why a person is sought, in INTERPOL notice terms plus foreign terrorist fighters."""

    ARREST_FOR_EXTRADITION = "ARREST_FOR_EXTRADITION"
    LOCATE = "LOCATE"
    WARNING = "WARNING"
    MISSING = "MISSING"
    FOREIGN_TERRORIST_FIGHTER = "FOREIGN_TERRORIST_FIGHTER"


class PersonAction(StrEnum):
    """What a border officer is asked to do on a hit."""

    ARREST = "ARREST"
    DETAIN_AND_CONTACT_NODE = "DETAIN_AND_CONTACT_NODE"
    DISCREET_CHECK = "DISCREET_CHECK"
    REFUSE_ENTRY = "REFUSE_ENTRY"
    INFORM = "INFORM"


class CommodityCategory(StrEnum):
    """Kinds of illicit goods."""

    DRUGS = "DRUGS"
    PRECURSORS = "PRECURSORS"
    FIREARMS = "FIREARMS"
    CASH = "CASH"
    CULTURAL_GOODS = "CULTURAL_GOODS"
    STOLEN_VEHICLE = "STOLEN_VEHICLE"
    OTHER = "OTHER"


class DrugType(StrEnum):
    """UNODC drug groups (opioids include heroin and fentanyl; ATS include captagon)."""

    COCAINE_TYPE = "COCAINE_TYPE"
    OPIOIDS = "OPIOIDS"
    AMPHETAMINE_TYPE = "AMPHETAMINE_TYPE"
    CANNABIS = "CANNABIS"
    NEW_PSYCHOACTIVE_SUBSTANCES = "NEW_PSYCHOACTIVE_SUBSTANCES"


class QuantityUnit(StrEnum):
    """Units of a seizure quantity; MONEY needs an ISO 4217 currency."""

    KILOGRAM = "KILOGRAM"
    GRAM = "GRAM"
    LITRE = "LITRE"
    TABLET = "TABLET"
    ITEM = "ITEM"
    MONEY = "MONEY"


class ConveyanceKind(StrEnum):
    """Which identifier scheme a conveyance identifier follows."""

    CONTAINER = "CONTAINER"
    VESSEL_IMO = "VESSEL_IMO"
    VEHICLE_VIN = "VEHICLE_VIN"
    VEHICLE_PLATE = "VEHICLE_PLATE"
    FLIGHT = "FLIGHT"
    AIR_WAYBILL = "AIR_WAYBILL"
    OTHER = "OTHER"


class CommodityAction(StrEnum):
    """What a border officer is asked to do; CONTROLLED_DELIVERY means do not intervene."""

    SEIZE = "SEIZE"
    CONTROLLED_DELIVERY = "CONTROLLED_DELIVERY"
    INSPECT = "INSPECT"
    INFORM = "INFORM"


class ThreatType(StrEnum):
    """The crime area a strategic threat assessment covers."""

    TERRORISM = "TERRORISM"
    DRUG_TRAFFICKING = "DRUG_TRAFFICKING"
    FIREARMS_TRAFFICKING = "FIREARMS_TRAFFICKING"
    HUMAN_TRAFFICKING = "HUMAN_TRAFFICKING"
    MIGRANT_SMUGGLING = "MIGRANT_SMUGGLING"
    CYBERCRIME = "CYBERCRIME"
    ORGANIZED_CRIME = "ORGANIZED_CRIME"
    OTHER = "OTHER"


class DocumentType(StrEnum):
    """What kind of travel document a document alert is about (Avro default OTHER)."""

    PASSPORT = "PASSPORT"
    ID_CARD = "ID_CARD"
    VISA = "VISA"
    RESIDENCE_PERMIT = "RESIDENCE_PERMIT"
    TRAVEL_DOCUMENT = "TRAVEL_DOCUMENT"
    OTHER = "OTHER"


class DocumentStatus(StrEnum):
    """Why a travel document must not be accepted, as SLTD records it (Avro default INVALIDATED).

    STOLEN_BLANK is a blank stolen before personalization; REVOKED and INVALIDATED are the
    issuer's own decisions. A hit on a LOST document asks to verify the holder; on any other,
    to seize the document.
    """

    STOLEN_BLANK = "STOLEN_BLANK"
    STOLEN = "STOLEN"
    LOST = "LOST"
    REVOKED = "REVOKED"
    INVALIDATED = "INVALIDATED"
