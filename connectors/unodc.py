"""UNODC (observer): strategic threat assessments as a STIX 2.1 bundle of reports.

A payload is a STIX 2.1 ``bundle``. Each ``report`` is one threat assessment: ``name``
is the title, ``description`` the summary, ``published`` the start of validity,
``x_unodc_valid_until`` its end, ``labels`` (or ``x_unodc_threat_type``) the threat type
(``drug-trafficking``, ``terrorism`` ...). Regions and countries come from the
``location`` objects the report's ``object_refs`` point at (``region``/``name`` and ISO
alpha-2 ``country``). TLP comes from ``object_marking_refs``: the standard TLP 1.0 and
2.0 marking-definition ids, or a marking definition in the bundle naming ``TLP:...``.
STIX ``confidence`` (0-100) grades the information; UNODC itself is graded B.

Supporting objects (marking definitions, organization identities, locations,
relationships, extension definitions) are context, not records. An ``identity`` of class
``individual`` (a person of interest) or an ``x-unodc-seizure`` is operational: it is
mapped to a wanted-person or commodity alert so the pipeline refuses it precisely with
``observer_operational``. Any other object type is a record refused as
``unsupported_object_type``: nothing in a bundle is dropped without a trace.

Updates and cancels follow STIX versioning: the id stays, ``modified`` moves forward.
The version is :func:`~connectors.base.stamp_version` of ``modified``; equal ``created``
and ``modified`` is an ALERT, a later ``modified`` an UPDATE, ``revoked: true`` a CANCEL
(which needs a ``modified`` after ``created``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import orjson

from connectors.base import Connector, ConnectorError, RawRecord, stamp_version
from connectors.formats.arabic import split_full_name
from connectors.formats.fields import (
    Fields,
    country3,
    json_document,
    parse_instant,
    parse_tlp,
    refusal,
)
from connectors.formats.native import substance_group
from gateway.contract import (
    AnyAlert,
    Commodity,
    CommodityAction,
    CommodityAlert,
    CommodityCategory,
    Envelope,
    HandlingCode,
    InformationAccuracy,
    MsgType,
    Org,
    PersonAction,
    PersonCategory,
    Quantity,
    QuantityUnit,
    Reference,
    SourceReliability,
    Status,
    ThreatAssessment,
    ThreatAssessmentAlert,
    ThreatType,
    Tlp,
    WantedPerson,
    WantedPersonAlert,
)
from gateway.kafka.quarantine import Reason

__all__ = ["HEADQUARTERS", "TLP_MARKINGS", "UnodcConnector"]

HEADQUARTERS = "AUT"  # UNODC, Vienna: the originating country unless a report names another
LEGAL_BASIS = "UN drug control conventions (1961, 1971, 1988) and UNTOC (2000); observer status"
# Standard marking-definition ids: TLP 1.0 from the STIX 2.1 specification, TLP 2.0 from
# the OASIS TLP 2.0 marking definitions.
TLP_MARKINGS: dict[str, Tlp] = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": Tlp.CLEAR,
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": Tlp.GREEN,
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": Tlp.AMBER,
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": Tlp.RED,
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": Tlp.CLEAR,
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": Tlp.GREEN,
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": Tlp.AMBER,
    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": Tlp.AMBER_STRICT,
    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": Tlp.RED,
}
_THREATS = {
    "terrorism": ThreatType.TERRORISM, "drug-trafficking": ThreatType.DRUG_TRAFFICKING,
    "firearms-trafficking": ThreatType.FIREARMS_TRAFFICKING,
    "human-trafficking": ThreatType.HUMAN_TRAFFICKING,
    "migrant-smuggling": ThreatType.MIGRANT_SMUGGLING, "cybercrime": ThreatType.CYBERCRIME,
    "organized-crime": ThreatType.ORGANIZED_CRIME,
}  # fmt: skip
_CONTEXT_TYPES = frozenset(
    {"marking-definition", "location", "relationship", "extension-definition", "identity"}
)
_OPERATIONAL = {"identity": "wanted person", "x-unodc-seizure": "seizure"}


def _is_record(obj: dict[str, Any]) -> bool:
    kind = obj.get("type")
    if not isinstance(kind, str):
        return True  # refused as a record, with the reason, rather than skipped
    if kind == "identity":
        return obj.get("identity_class") == "individual"
    return kind not in _CONTEXT_TYPES


def _refs(obj: dict[str, Any]) -> list[str]:
    refs: list[Any] = []
    for key in ("object_refs", "object_marking_refs"):
        value = obj.get(key)
        if isinstance(value, list):
            refs += value
    if isinstance(obj.get("created_by_ref"), str):
        refs.append(obj["created_by_ref"])
    return [r for r in refs if isinstance(r, str)]


class UnodcConnector(Connector):
    """UNODC threat reports from STIX 2.1 bundles; operational objects are refused."""

    org: ClassVar[str] = "UNODC"
    format_name: ClassVar[str] = "STIX 2.1 bundle of reports"
    description: ClassVar[str] = (
        "STIX 2.1 reports as threat assessments; TLP from marking definitions, regions and "
        "countries from location objects; persons and seizures are refused (observer)."
    )
    extensions: ClassVar[tuple[str, ...]] = (".json", ".stix")
    sample_file: ClassVar[str] = "unodc.json"

    def split(self, payload: bytes, source: str) -> Iterator[RawRecord]:
        """One record per report (or other non-context object), carrying what it references."""
        bundle = json_document(payload, "payload is not JSON")
        if not isinstance(bundle, dict) or bundle.get("type") != "bundle":
            raise refusal("type", "not_a_bundle", "a STIX bundle has type 'bundle'", "split")
        objects = bundle.get("objects")
        if not isinstance(objects, list):
            raise refusal("objects", "unexpected_shape", "a bundle has a list of objects", "split")
        by_id = {
            o["id"]: o for o in objects if isinstance(o, dict) and isinstance(o.get("id"), str)
        }
        index = 0
        for obj in objects:
            if isinstance(obj, dict) and not _is_record(obj):
                continue
            context = [by_id[r] for r in _refs(obj) if r in by_id] if isinstance(obj, dict) else []
            data = orjson.dumps({"object": obj, "context": context})
            yield RawRecord(self.org, source, index, data)
            index += 1

    def to_alert(self, record: RawRecord) -> AnyAlert:
        """Map a report to a threat assessment, a person or seizure to its operational kind."""
        doc = json_document(record.data, "record is not JSON", stage="parse")
        if not isinstance(doc, dict) or not isinstance(doc.get("object"), dict):
            raise refusal("", "not_an_object", "a STIX object is a JSON object", "parse")
        obj: dict[str, Any] = doc["object"]
        context = [c for c in doc.get("context") or [] if isinstance(c, dict)]
        f = Fields(obj)
        kind = f.text("type") or ""
        if kind == "report":
            envelope = _envelope(f, context)
            cancel = envelope.msg_type is MsgType.CANCEL
            return ThreatAssessmentAlert(
                envelope=envelope, subject=None if cancel else _threat(f, context)
            )
        if kind not in _OPERATIONAL:
            raise f.fail("type", "unsupported_object_type", "only reports become alerts")
        try:
            envelope = _envelope(f, context)
            if kind == "identity":
                return WantedPersonAlert(envelope=envelope, subject=_person(f))
            return CommodityAlert(envelope=envelope, subject=_seizure(f))
        except ConnectorError as exc:  # refuse first for what it is, then for what is wrong
            reason = Reason("type", "observer_operational", f"UNODC is an observer: no {kind}")
            raise ConnectorError("map", [reason, *exc.reasons]) from None


def _tlp(f: Fields, context: list[dict[str, Any]]) -> Tlp:
    named = {c.get("id"): c for c in context if c.get("type") == "marking-definition"}
    for i, ref in enumerate(f.texts("object_marking_refs")):
        if ref in TLP_MARKINGS:
            return TLP_MARKINGS[ref]
        marking = named.get(ref)
        name = marking.get("name") if marking else None
        if isinstance(name, str) and name.upper().startswith("TLP:"):
            return parse_tlp(name, f.path(f"object_marking_refs[{i}]"))
    raise f.fail("object_marking_refs", "missing_tlp", "a TLP marking is required")


def _envelope(f: Fields, context: list[dict[str, Any]]) -> Envelope:
    stix_id = f.need("id")
    kind = f.need("type")
    if not stix_id.startswith(f"{kind}--"):
        raise f.fail("id", "bad_stix_id", "a STIX id is '<type>--<uuid>'")
    created = parse_instant(f.need("created"), "created")
    modified = parse_instant(f.text("modified") or f.need("created"), "modified")
    if modified < created:
        raise f.fail("modified", "modified_before_created", "modified precedes created")
    alert_id = f"UNODC:{stix_id}"
    revoked = f.raw("revoked") is True
    msg_type = MsgType.UPDATE if modified > created else MsgType.ALERT
    if revoked:
        if modified == created:
            raise f.fail("modified", "cancel_not_newer", "a revocation needs a later modified")
        msg_type = MsgType.CANCEL
    references = (
        (Reference(alert_id=alert_id, version=stamp_version(created)),)
        if msg_type is not MsgType.ALERT
        else ()
    )
    confidence = f.number("confidence")
    if confidence is not None and not 0 <= confidence <= 100:
        raise f.fail("confidence", "bad_confidence", "confidence is 0-100")
    origin = f.text("x_unodc_originating_country")
    until = f.text("x_unodc_valid_until")
    return Envelope(
        alert_id=alert_id,
        version=stamp_version(modified),
        msg_type=msg_type,
        references=references,
        status=Status.ACTUAL,
        source_org=Org.UNODC,
        originating_country=country3(origin, f.path("x_unodc_originating_country"))
        if origin
        else HEADQUARTERS,
        issued_at=modified,
        expires_at=parse_instant(until, "x_unodc_valid_until") if until else None,
        tlp=_tlp(f, context),
        release_to_countries=_codes(f, "x_unodc_release_to"),
        deny_countries=_codes(f, "x_unodc_deny"),
        handling_code=HandlingCode.H0,
        source_reliability=SourceReliability.B,
        information_accuracy=_accuracy(confidence),
        legal_basis=LEGAL_BASIS,
    )


def _codes(f: Fields, key: str) -> tuple[str, ...]:
    """ISO country codes (alpha-2 as STIX locations write them, or alpha-3) of a list."""
    return tuple(country3(c, f.path(f"{key}[{i}]")) for i, c in enumerate(f.texts(key)))


def _accuracy(confidence: float | None) -> InformationAccuracy:
    if confidence is None:
        return InformationAccuracy.CANNOT_BE_JUDGED
    if confidence >= 85:
        return InformationAccuracy.KNOWN_TRUE
    if confidence >= 60:
        return InformationAccuracy.KNOWN_TO_SOURCE
    if confidence >= 30:
        return InformationAccuracy.NOT_KNOWN_TO_SOURCE
    return InformationAccuracy.CANNOT_BE_JUDGED


def _threat(f: Fields, context: list[dict[str, Any]]) -> ThreatAssessment:
    words = [*f.texts("labels"), *f.texts("x_unodc_threat_type")]
    threat = next((_THREATS[w.lower()] for w in words if w.lower() in _THREATS), ThreatType.OTHER)
    regions: list[str] = []
    countries: list[str] = []
    for i, loc in enumerate(c for c in context if c.get("type") == "location"):
        lf = Fields(loc, f"location[{i}]")
        name = lf.text("name") or lf.text("region")
        if name:
            regions.append(name)
        code = lf.text("country")
        if code:
            countries.append(country3(code, lf.path("country")))
    until = f.text("x_unodc_valid_until")
    return ThreatAssessment(
        title=f.need("name"),
        summary=f.need("description"),
        threat_type=threat,
        regions=tuple(dict.fromkeys(regions)),
        countries=tuple(dict.fromkeys(countries)),
        valid_from=parse_instant(f.need("published"), "published"),
        valid_until=parse_instant(until, "x_unodc_valid_until") if until else None,
    )


def _person(f: Fields) -> WantedPerson:
    family, given = split_full_name(f.need("name"))
    return WantedPerson(
        family_name=family,
        given_names=given,
        nationalities=tuple(
            country3(c, f.path(f"x_unodc_nationalities[{i}]"))
            for i, c in enumerate(f.texts("x_unodc_nationalities"))
        ),
        category=PersonCategory.LOCATE,
        action=PersonAction.INFORM,
    )


def _seizure(f: Fields) -> Commodity:
    name = f.need("substance")
    group = substance_group(name)
    kilograms = f.number("quantity_kg")
    return Commodity(
        category=group[0] if group else CommodityCategory.OTHER,
        drug_type=group[1] if group else None,
        substance=name,
        quantity=Quantity(amount=kilograms, unit=QuantityUnit.KILOGRAM) if kilograms else None,
        action=CommodityAction.INFORM,
    )
