"""EUROPOL: XML in the style of the EU Universal Message Format (UMF 3).

A message has a ``Header`` (sender, originating member state, handling labels), a list of
``Entities`` (``Person``, ``Document``, ``Vehicle``, each with a local ``id``) and
``Relations`` between them (``HOLDS_DOCUMENT``, ``USES_VEHICLE``). One alert per subject
entity: each ``Person`` becomes a wanted-person alert carrying the documents it is related
to; each ``Vehicle`` reported ``STOLEN`` becomes a stolen-vehicle commodity alert. The
splitter cuts the message into one self-contained mini message per subject (header, the
subject, its related entities and relations), so a refused record keeps its context.
Namespaces are accepted with any prefix, or none; DTDs and entities are refused (XXE).
A document or unreported vehicle that nothing refers to is refused as an orphan.

Updates and cancels: each subject entity has a ``Revision`` (1, 2, ...) and a ``Status``
(``ACTIVE`` or ``WITHDRAWN``). The version is the revision; revision 1 is an ALERT, a later
one an UPDATE referencing the revision before it, ``WITHDRAWN`` a CANCEL (envelope only).
Entities may override the header's ``Tlp``, ``HandlingCode``, ``ReleaseTo`` and ``Deny``, and
carry a ``ValidUntil`` instant (the alert's expiry).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # building only; all parsing goes through defusedxml
from collections.abc import Iterator
from datetime import date
from typing import ClassVar
from xml.sax.saxutils import escape, quoteattr

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from connectors.base import Connector, ConnectorError, RawRecord
from connectors.formats.fields import country3, parse_instant, parse_partial_date, parse_tlp
from gateway.contract import (
    AnyAlert,
    Commodity,
    CommodityAction,
    CommodityAlert,
    CommodityCategory,
    Conveyance,
    ConveyanceKind,
    Envelope,
    HandlingCode,
    InformationAccuracy,
    MsgType,
    Org,
    PartialDate,
    PersonAction,
    PersonCategory,
    Reference,
    Sex,
    SourceReliability,
    Status,
    Tlp,
    TravelDocument,
    WantedPerson,
    WantedPersonAlert,
)

__all__ = ["EuropolConnector", "parse_message"]

_CATEGORIES = {
    "ARREST": (PersonCategory.ARREST_FOR_EXTRADITION, PersonAction.ARREST),
    "LOCATE": (PersonCategory.LOCATE, PersonAction.DISCREET_CHECK),
    "FTF": (PersonCategory.FOREIGN_TERRORIST_FIGHTER, PersonAction.DISCREET_CHECK),
    "WARNING": (PersonCategory.WARNING, PersonAction.INFORM),
    "MISSING": (PersonCategory.MISSING, PersonAction.INFORM),
}
_SEX = {"M": Sex.MALE, "F": Sex.FEMALE, "U": Sex.UNSPECIFIED, "X": Sex.UNSPECIFIED}
_ACCURACY = {
    "1": InformationAccuracy.KNOWN_TRUE,
    "2": InformationAccuracy.KNOWN_TO_SOURCE,
    "3": InformationAccuracy.NOT_KNOWN_TO_SOURCE,
    "4": InformationAccuracy.CANNOT_BE_JUDGED,
}
_DEFAULT_LEGAL_BASIS = "Regulation (EU) 2016/794 (Europol Regulation), Art. 25"


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _strip_namespaces(root: ET.Element) -> None:
    for element in root.iter():
        element.tag = _local(element.tag)
        if element.attrib:
            element.attrib = {_local(k): v for k, v in element.attrib.items()}


# A UMF message nests about six levels; far deeper input would exhaust the recursion of
# ``_serialize`` (a parser bug, not a refusal), so it is refused with a reason instead.
MAX_DEPTH = 64


def _too_deep(root: ET.Element) -> bool:
    """True when any element lies more than ``MAX_DEPTH`` levels below ``root`` (iterative)."""
    level: list[ET.Element] = [root]
    for _ in range(MAX_DEPTH):
        level = [child for element in level for child in element]
        if not level:
            return False
    return True


def parse_message(data: bytes, stage: str) -> ET.Element:
    try:
        root: ET.Element = fromstring(data)
    except DefusedXmlException:
        raise ConnectorError.one(
            stage, "", "forbidden_xml", "DTDs, entities and external references are refused"
        ) from None
    except ET.ParseError as exc:
        raise ConnectorError.one(stage, "", "bad_xml", f"not well-formed XML ({exc})") from None
    except LookupError:  # the declaration names an encoding Python does not know
        raise ConnectorError.one(stage, "", "bad_xml", "unknown declared encoding") from None
    if _too_deep(root):
        raise ConnectorError.one(
            stage, "", "too_deep", f"elements nest deeper than {MAX_DEPTH} levels"
        )
    _strip_namespaces(root)
    if root.tag != "Message":
        raise ConnectorError.one(stage, "", "unexpected_shape", "the root must be a UMF Message")
    return root


def _serialize(element: ET.Element) -> str:
    """Compact XML of a namespace-free element; far cheaper than ElementTree's writer."""
    attrs = "".join(f" {k}={quoteattr(v)}" for k, v in element.attrib.items())
    inner = escape(element.text) if element.text and element.text.strip() else ""
    children = "".join(_serialize(child) for child in element)
    return f"<{element.tag}{attrs}>{inner}{children}</{element.tag}>"


def _text(element: ET.Element | None, child: str) -> str | None:
    if element is None:
        return None
    found = element.find(child)
    if found is None or found.text is None or not found.text.strip():
        return None
    return found.text.strip()


def _need(element: ET.Element, child: str, path: str) -> str:
    value = _text(element, child)
    if value is None:
        raise ConnectorError.one("map", f"{path}/{child}", "missing_field", f"{child} is required")
    return value


def _is_subject(entity: ET.Element) -> bool:
    return entity.tag == "Person" or (
        entity.tag == "Vehicle" and (_text(entity, "Reported") or "").upper() == "STOLEN"
    )


class EuropolConnector(Connector):
    """EUROPOL persons and stolen vehicles from UMF-style XML messages."""

    org: ClassVar[str] = "EUROPOL"
    format_name: ClassVar[str] = "EUROPOL UMF-style XML"
    description: ClassVar[str] = (
        "UMF 3 style messages: Person, Document and Vehicle entities linked by Relations; "
        "one alert per person or stolen vehicle, carrying its linked documents; any namespace."
    )
    extensions: ClassVar[tuple[str, ...]] = (".xml",)
    sample_file: ClassVar[str] = "europol.xml"

    def split(self, payload: bytes, source: str) -> Iterator[RawRecord]:
        """One mini message per subject entity (and per orphan entity, to be refused)."""
        root = parse_message(payload, "split")
        header = root.find("Header")
        entities = root.find("Entities")
        if header is None or entities is None:
            raise ConnectorError.one(
                "split", "", "unexpected_shape", "a Message needs a Header and Entities"
            )
        relations = list(root.iterfind("Relations/Relation"))
        by_id: dict[str, ET.Element] = {}
        for entity in entities:
            local_id = entity.get("id")
            if local_id:
                by_id.setdefault(local_id, entity)
        linked: dict[str, list[ET.Element]] = {}
        referenced: set[str] = set()
        for relation in relations:
            source_id, target_id = relation.get("from", ""), relation.get("to", "")
            linked.setdefault(source_id, []).append(relation)
            referenced.add(target_id)
        # Each element is serialised once and the mini messages are assembled from the pieces.
        texts: dict[int, str] = {}

        def xml(element: ET.Element) -> str:
            key = id(element)
            if key not in texts:
                texts[key] = _serialize(element)
            return texts[key]

        for index, entity in enumerate(entities):
            local_id = entity.get("id", "")
            if not _is_subject(entity) and local_id in referenced:
                continue  # travels inside the mini message of the entity that refers to it
            mini = ET.Element("Message")
            mini.append(header)
            box = ET.SubElement(mini, "Entities")
            box.append(entity)
            rels = ET.SubElement(mini, "Relations")
            for relation in linked.get(local_id, []) if local_id else []:
                rels.append(relation)
                target = by_id.get(relation.get("to", ""))
                if target is not None and target is not entity:
                    box.append(target)
            data = "".join(
                ("<Message>", xml(header), "<Entities>", *map(xml, box), "</Entities>",
                 "<Relations>", *map(xml, rels), "</Relations></Message>")
            )  # fmt: skip
            yield RawRecord(self.org, source, index, data.encode(), mini)

    def to_alert(self, record: RawRecord) -> AnyAlert:
        """Map one mini message's subject entity."""
        root = record.parsed if record.parsed is not None else parse_message(record.data, "parse")
        header = root.find("Header")
        entities = list(root.iterfind("Entities/*"))
        if header is None or not entities:
            raise ConnectorError.one("parse", "", "unexpected_shape", "no Header or no entity")
        subject = entities[0]
        path = f"Entities/{subject.tag}[@id='{subject.get('id', '')}']"
        if not _is_subject(subject):
            raise ConnectorError.one(
                "map", path, "orphan_entity",
                f"a {subject.tag} that no person refers to and that is not reported stolen",
            )  # fmt: skip
        by_id = {e.get("id"): e for e in entities[1:] if e.get("id")}
        related: dict[str, list[ET.Element]] = {}
        for relation in root.iterfind("Relations/Relation"):
            target = by_id.get(relation.get("to"))
            if target is None:
                raise ConnectorError.one(
                    "map", f"Relations/Relation[@to='{relation.get('to', '')}']",
                    "dangling_relation", "the relation points to no entity of the message",
                )  # fmt: skip
            related.setdefault(relation.get("type", "").upper(), []).append(target)
        envelope = _envelope(header, subject, path)
        if subject.tag == "Person":
            person = (
                None if envelope.msg_type is MsgType.CANCEL else _person(subject, path, related)
            )
            return WantedPersonAlert(envelope=envelope, subject=person)
        vehicle = None if envelope.msg_type is MsgType.CANCEL else _vehicle(subject, path)
        return CommodityAlert(envelope=envelope, subject=vehicle)


def _envelope(header: ET.Element, subject: ET.Element, path: str) -> Envelope:
    entity_id = _need(subject, "EntityId", path)
    alert_id = f"EUROPOL:{entity_id}"
    revision_text = _need(subject, "Revision", path)
    if not revision_text.isdigit() or not 1 <= int(revision_text) < 2**31:
        raise ConnectorError.one(
            "map", f"{path}/Revision", "bad_revision", "Revision is a whole number from 1"
        )
    revision = int(revision_text)
    status = (_text(subject, "Status") or "ACTIVE").upper()
    if status not in ("ACTIVE", "WITHDRAWN"):
        raise ConnectorError.one(
            "map", f"{path}/Status", "unknown_status", "Status is ACTIVE or WITHDRAWN"
        )
    if status == "WITHDRAWN":
        msg_type = MsgType.CANCEL
    else:
        msg_type = MsgType.ALERT if revision == 1 else MsgType.UPDATE
    references = (
        (Reference(alert_id=alert_id, version=revision - 1),)
        if msg_type is not MsgType.ALERT and revision > 1
        else ()
    )
    stamp = _text(subject, "Modified") or _text(header, "Created")
    if stamp is None:
        raise ConnectorError.one(
            "map", f"{path}/Modified", "missing_field", "an entity Modified or a header Created"
        )
    expiry = _text(subject, "ValidUntil")
    country = _need(header, "OriginatingCountry", "Header")
    tlp = _text(subject, "Tlp") or _text(header, "Tlp")
    handling = (_text(subject, "HandlingCode") or _text(header, "HandlingCode") or "H0").upper()
    if handling not in HandlingCode.__members__:
        raise ConnectorError.one(
            "map", "Header/HandlingCode", "unknown_handling_code", "HandlingCode is H0-H3"
        )
    reliability = (_text(header, "SourceReliability") or "B").upper()
    if reliability not in SourceReliability.__members__:
        raise ConnectorError.one(
            "map", "Header/SourceReliability", "unknown_code", "SourceReliability is A, B, C or X"
        )
    accuracy = _text(header, "InformationAccuracy") or "2"
    if accuracy not in _ACCURACY:
        raise ConnectorError.one(
            "map", "Header/InformationAccuracy", "unknown_code", "InformationAccuracy is 1-4"
        )
    return Envelope(
        alert_id=alert_id,
        version=revision,
        msg_type=msg_type,
        references=references,
        status=Status.ACTUAL,
        source_org=Org.EUROPOL,
        originating_country=country3(country, "Header/OriginatingCountry"),
        issued_at=parse_instant(stamp, f"{path}/Modified"),
        tlp=parse_tlp(tlp, f"{path}/Tlp") if tlp else Tlp.AMBER,
        expires_at=parse_instant(expiry, f"{path}/ValidUntil") if expiry else None,
        release_to_countries=_countries(header, subject, "ReleaseTo", path),
        deny_countries=_countries(header, subject, "Deny", path),
        handling_code=HandlingCode(handling),
        handling_note=_text(header, "HandlingNote"),
        source_reliability=SourceReliability(reliability),
        information_accuracy=_ACCURACY[accuracy],
        legal_basis=_text(header, "LegalBasis") or _DEFAULT_LEGAL_BASIS,
    )


def _countries(header: ET.Element, subject: ET.Element, group: str, path: str) -> tuple[str, ...]:
    """The entity's own country list when it has one (even empty), else the header's."""
    owner, where = (subject, path) if subject.find(group) is not None else (header, "Header")
    return tuple(
        country3(c.text or "", f"{where}/{group}/Country[{i}]")
        for i, c in enumerate(owner.iterfind(f"{group}/Country"))
    )


def _names(person: ET.Element, kind: str) -> list[str]:
    return [
        n.text.strip()
        for n in person.iterfind("Name")
        if n.get("type", "").lower() == kind and n.text and n.text.strip()
    ]


def _person(person: ET.Element, path: str, related: dict[str, list[ET.Element]]) -> WantedPerson:
    surnames = _names(person, "surname")
    if not surnames:
        raise ConnectorError.one(
            "map", f"{path}/Name[@type='surname']", "missing_field", "a surname is required"
        )
    category_code = (_text(person, "Category") or "").upper()
    if category_code not in _CATEGORIES:
        raise ConnectorError.one(
            "map", f"{path}/Category", "unknown_category",
            f"Category is one of {', '.join(_CATEGORIES)}",
        )  # fmt: skip
    category, action = _CATEGORIES[category_code]
    action_text = _text(person, "Action")
    if action_text is not None:
        if action_text.upper() not in PersonAction.__members__:
            raise ConnectorError.one("map", f"{path}/Action", "unknown_action", "unknown Action")
        action = PersonAction(action_text.upper())
    gender = (_text(person, "Gender") or "U").upper()
    if gender not in _SEX:
        raise ConnectorError.one("map", f"{path}/Gender", "unknown_code", "Gender is M, F, X or U")
    birth_place = person.find("BirthPlace")
    birth_country = birth_place.get("country") if birth_place is not None else None
    return WantedPerson(
        family_name=" ".join(surnames),
        given_names=" ".join(_names(person, "forename")) or None,
        name_script="Latn",
        aliases=tuple(_names(person, "alias")),
        sex=_SEX[gender],
        date_of_birth=_birth_date(person, path),
        place_of_birth=_text(person, "BirthPlace"),
        country_of_birth=(
            country3(birth_country, f"{path}/BirthPlace/@country") if birth_country else None
        ),
        nationalities=tuple(
            country3(n.text or "", f"{path}/Nationality[{i}]")
            for i, n in enumerate(person.iterfind("Nationality"))
        ),
        travel_documents=tuple(_document(d) for d in related.get("HOLDS_DOCUMENT", [])),
        category=category,
        offences=tuple(o.text.strip() for o in person.iterfind("Offence") if o.text),
        action=action,
        armed=(_text(person, "Armed") or "").lower() == "true",
        violent=(_text(person, "Violent") or "").lower() == "true",
    )


def _birth_date(person: ET.Element, path: str) -> PartialDate | None:
    element = person.find("BirthDate")
    if element is None or not (element.text or "").strip():
        return None
    text = (element.text or "").strip()
    precision = element.get("precision", "day").lower()
    parts = text.split("-")
    keep = {"year": 1, "month": 2, "day": 3}.get(precision)
    if keep is None or len(parts) < keep:
        raise ConnectorError.one(
            "map", f"{path}/BirthDate", "bad_date", "BirthDate must be YYYY[-MM[-DD]] per precision"
        )
    year = parts[0]
    month = parts[1] if keep >= 2 else None
    day = parts[2] if keep == 3 else None
    return parse_partial_date(year, month, day, f"{path}/BirthDate")


def _document(doc: ET.Element) -> TravelDocument:
    path = f"Entities/Document[@id='{doc.get('id', '')}']"
    issued = _text(doc, "IssueDate")
    expires = _text(doc, "ExpiryDate")
    return TravelDocument(
        doc_type=_need(doc, "DocumentType", path).upper(),
        number=_need(doc, "Number", path),
        issuing_country=country3(_need(doc, "IssuingCountry", path), f"{path}/IssuingCountry"),
        issued_on=_date(issued, f"{path}/IssueDate") if issued else None,
        expires_on=_date(expires, f"{path}/ExpiryDate") if expires else None,
    )


def _date(text: str, path: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConnectorError.one("map", path, "bad_date", "dates are YYYY-MM-DD") from None


def _vehicle(vehicle: ET.Element, path: str) -> Commodity:
    conveyances: list[Conveyance] = []
    vin = _text(vehicle, "VIN")
    if vin:
        conveyances.append(Conveyance(kind=ConveyanceKind.VEHICLE_VIN, identifier=vin.upper()))
    for i, plate in enumerate(vehicle.iterfind("Plate")):
        if plate.text and plate.text.strip():
            country = plate.get("country")
            if not country:
                raise ConnectorError.one(
                    "map", f"{path}/Plate[{i}]/@country", "missing_field", "a plate needs a country"
                )
            conveyances.append(
                Conveyance(
                    kind=ConveyanceKind.VEHICLE_PLATE,
                    identifier=plate.text.strip().upper(),
                    country=country3(country, f"{path}/Plate[{i}]/@country"),
                )
            )
    if not conveyances:
        raise ConnectorError.one("map", f"{path}/VIN", "missing_field", "a VIN or a plate")
    words = [_text(vehicle, k) for k in ("Make", "Model", "Colour")]
    return Commodity(
        category=CommodityCategory.STOLEN_VEHICLE,
        description=" ".join(w for w in words if w) or None,
        conveyances=tuple(conveyances),
        action=CommodityAction.SEIZE,
    )
