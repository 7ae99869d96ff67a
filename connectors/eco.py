"""ECO: drug seizure and trafficker telexes from the Economic Cooperation Organization region.

A payload is a run of telex messages, each opened by a ``ZCZC`` line and closed by
``NNNN``. Inside, one ``FIELD: value`` per line; a line starting with a space continues
the field above. Unknown or repeated fields are refused (a mistyped ``ACTION`` must not
default silently). Dates carry their calendar as a suffix: ``1403/01/15 SH`` (Solar
Hijri), ``1445/09/01 AH`` (lunar Hijri) or ``2024-04-03 AD``, digits ASCII or Persian
(۰-۹); ``TIME`` is local to the origin state. Quantities may use a decimal comma or the
Arabic decimal separator (``2,5 T``, ``۲٫۵ T``). ``ROUTE`` lists points ``ISO3/place``
joined by ``>``, a place being a UN/LOCODE, a known city or a border crossing (Islam
Qala, Torkham, Chaman, Hairatan ...), checked against the country.

``TYPE: SEIZURE`` or ``INTEL`` is a commodity alert; ``TYPE: PERSON`` a wanted trafficker.

Updates and cancels: ``REV`` numbers the message's versions and ``STATUS`` is ``NEW``,
``AMEND`` or ``CANCEL``. Revision 1 is an ALERT, a later one an UPDATE, a ``CANCEL``
(itself a new revision) a CANCEL with the envelope only; the version is ``REV``.
"""

# Persian-script values are this module's data, not look-alike typos:
# ruff: noqa: RUF002

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import ClassVar

from connectors.base import Connector, RawRecord
from connectors.formats.arabic import (
    NativeDate,
    normalize_digits,
    transliterate,
)
from connectors.formats.fields import country3, parse_tlp, refusal
from connectors.formats.native import (
    native_date,
    native_partial,
    parse_grading,
    parse_handling,
    revision_envelope,
    substance_group,
    zoned_instant,
)
from gateway.contract import (
    AnyAlert,
    Commodity,
    CommodityAction,
    CommodityAlert,
    Conveyance,
    ConveyanceKind,
    Envelope,
    MsgType,
    Org,
    PersonAction,
    PersonCategory,
    Quantity,
    QuantityUnit,
    Route,
    RoutePoint,
    Sex,
    TravelDocument,
    WantedPerson,
    WantedPersonAlert,
)

__all__ = ["MEMBER_ZONES", "EcoConnector", "read_fields"]

MEMBER_ZONES = {
    "AFG": "Asia/Kabul", "AZE": "Asia/Baku", "IRN": "Asia/Tehran", "KAZ": "Asia/Almaty",
    "KGZ": "Asia/Bishkek", "PAK": "Asia/Karachi", "TJK": "Asia/Dushanbe",
    "TUR": "Europe/Istanbul", "TKM": "Asia/Ashgabat", "UZB": "Asia/Tashkent",
}  # fmt: skip
LEGAL_BASIS = "Treaty of Izmir (ECO Charter); ECO drug control cooperation arrangements"
# Cities and border crossings on the Afghan routes: country and UN/LOCODE where one exists.
PLACES: dict[str, tuple[str, str | None]] = {
    "KABUL": ("AFG", "AFKBL"), "HERAT": ("AFG", "AFHEA"), "KANDAHAR": ("AFG", "AFKDH"),
    "ISLAM QALA": ("AFG", None), "TORKHAM": ("AFG", None), "SPIN BOLDAK": ("AFG", None),
    "HAIRATAN": ("AFG", None), "SHIRKHAN BANDAR": ("AFG", None), "ZARANJ": ("AFG", None),
    "DOGHAROUN": ("IRN", None), "MILAK": ("IRN", None), "MIRJAVEH": ("IRN", None),
    "BAZARGAN": ("IRN", None), "BANDAR ABBAS": ("IRN", "IRBND"), "CHABAHAR": ("IRN", "IRZBR"),
    "TEHRAN": ("IRN", "IRTHR"), "CHAMAN": ("PAK", None), "TAFTAN": ("PAK", None),
    "KARACHI": ("PAK", "PKKHI"), "PORT QASIM": ("PAK", "PKBQM"), "GWADAR": ("PAK", "PKGWD"),
    "TERMEZ": ("UZB", None), "TASHKENT": ("UZB", "UZTAS"), "DUSHANBE": ("TJK", "TJDYU"),
    "PANJI POYON": ("TJK", None), "BISHKEK": ("KGZ", "KGFRU"), "ALMATY": ("KAZ", "KZALA"),
    "GURBULAK": ("TUR", None), "ISTANBUL": ("TUR", "TRIST"), "MERSIN": ("TUR", "TRMER"),
    "JEBEL ALI": ("ARE", "AEJEA"), "BAKU": ("AZE", "AZBAK"), "SARAKHS": ("IRN", None),
}  # fmt: skip
_FIELDS = frozenset({
    "REF", "REV", "STATUS", "ORIGIN", "DATE", "TIME", "VALID", "TLP", "HANDLING", "GRADE",
    "TYPE", "SUBSTANCE", "QTY", "CONVEYANCE", "ROUTE", "CONCEALMENT", "ACTION", "REMARKS",
    "NAME", "NAME-FA", "SEX", "DOB", "NATIONALITY", "DOC", "CATEGORY", "RELEASE-TO", "DENY",
    "VALID-TIME",
})  # fmt: skip
_UNITS = {
    "KG": (QuantityUnit.KILOGRAM, 1.0), "G": (QuantityUnit.GRAM, 1.0),
    "T": (QuantityUnit.KILOGRAM, 1000.0), "L": (QuantityUnit.LITRE, 1.0),
    "TABLETS": (QuantityUnit.TABLET, 1.0), "TABS": (QuantityUnit.TABLET, 1.0),
}  # fmt: skip
_CONVEYANCE_WORDS = {
    "TRUCK": ConveyanceKind.VEHICLE_PLATE, "CAR": ConveyanceKind.VEHICLE_PLATE,
    "BUS": ConveyanceKind.VEHICLE_PLATE, "CONTAINER": ConveyanceKind.CONTAINER,
    "VESSEL": ConveyanceKind.VESSEL_IMO, "VIN": ConveyanceKind.VEHICLE_VIN,
    "FLIGHT": ConveyanceKind.FLIGHT, "AWB": ConveyanceKind.AIR_WAYBILL,
}  # fmt: skip
_ACTIONS = {
    "SEIZE": CommodityAction.SEIZE, "CONTROLLED DELIVERY": CommodityAction.CONTROLLED_DELIVERY,
    "INSPECT": CommodityAction.INSPECT, "INFORM": CommodityAction.INFORM,
}  # fmt: skip
_CATEGORIES = {
    "WANTED": (PersonCategory.ARREST_FOR_EXTRADITION, PersonAction.ARREST),
    "FTF": (PersonCategory.FOREIGN_TERRORIST_FIGHTER, PersonAction.ARREST),
    "WATCH": (PersonCategory.WARNING, PersonAction.DISCREET_CHECK),
    "LOCATE": (PersonCategory.LOCATE, PersonAction.DETAIN_AND_CONTACT_NODE),
}
_FIELD_LINE = re.compile(r"^([A-Z][A-Z-]*):\s?(.*)$")
_QTY = re.compile(r"^([\d.,]+)\s*([A-Z]+)$")


class EcoConnector(Connector):
    """ECO drug telexes: opiate, methamphetamine and precursor alerts, and wanted traffickers."""

    org: ClassVar[str] = "ECO"
    format_name: ClassVar[str] = "ECO drug telex (ZCZC ... NNNN)"
    description: ClassVar[str] = (
        "Telex messages of FIELD: value lines; Solar Hijri (SH), Hijri (AH) or AD dates with "
        "Persian digits; routes through Afghan border crossings and UN/LOCODEs."
    )
    extensions: ClassVar[tuple[str, ...]] = (".txt", ".tlx")
    sample_file: ClassVar[str] = "eco.txt"

    def split(self, payload: bytes, source: str) -> Iterator[RawRecord]:
        """One record per ZCZC...NNNN message; stray text between messages is a record too."""
        try:
            text = payload.decode("utf-8-sig").replace("\r\n", "\n")
        except UnicodeDecodeError:
            raise refusal("", "bad_encoding", "a telex file is UTF-8 text", "split") from None
        pieces: list[str] = []
        position = 0
        for match in re.finditer(r"^ZCZC", text, re.M):
            pieces.append(text[position : match.start()])
            position = match.start()
        pieces.append(text[position:])
        chunks = [p for p in pieces if p.strip()]
        if not chunks:
            raise refusal("", "empty_payload", "no ZCZC message in the payload", "split")
        for index, chunk in enumerate(chunks):
            yield RawRecord(self.org, source, index, chunk.encode())

    def to_alert(self, record: RawRecord) -> AnyAlert:
        """Map one telex to a commodity or wanted-person alert."""
        fields = read_fields(record.data.decode("utf-8", errors="replace"))
        kind = fields.get("TYPE", "").upper()
        if kind not in ("SEIZURE", "INTEL", "PERSON"):
            raise refusal("TYPE", "unknown_type", "TYPE must be SEIZURE, INTEL or PERSON")
        envelope = _envelope(fields)
        cancel = envelope.msg_type is MsgType.CANCEL
        if kind == "PERSON":
            return WantedPersonAlert(envelope=envelope, subject=None if cancel else _person(fields))
        return CommodityAlert(envelope=envelope, subject=None if cancel else _commodity(fields))


def read_fields(text: str) -> dict[str, str]:
    """The ``FIELD: value`` pairs of one telex, continuation lines joined, in their order."""
    lines = text.strip("\n").split("\n")
    if not lines or not lines[0].startswith("ZCZC"):
        raise refusal("", "not_a_message", "a telex starts with a ZCZC line", "parse")
    if lines[-1].strip() != "NNNN":
        raise refusal("", "truncated_message", "a telex ends with an NNNN line", "parse")
    fields: dict[str, str] = {}
    last = None
    for number, line in enumerate(lines[1:-1], start=2):
        if not line.strip():
            continue
        if line[0] in " \t" and last is not None:
            fields[last] += " " + line.strip()
            continue
        match = _FIELD_LINE.match(line.rstrip())
        if match is None:
            raise refusal(f"line {number}", "bad_line", "expected FIELD: value", "parse")
        name, value = match.groups()
        if name not in _FIELDS:
            raise refusal(name, "unknown_field", "not a field of the ECO telex", "parse")
        if name in fields:
            raise refusal(name, "duplicate_field", "a field may appear once", "parse")
        fields[name] = value.strip()
        last = name
    return fields


def _need(fields: dict[str, str], name: str) -> str:
    value = fields.get(name, "").strip()
    if not value:
        raise refusal(name, "missing_field", f"{name} is required")
    return value


def _field_date(fields: dict[str, str], name: str) -> NativeDate | None:
    """A date field; its suffix (SH, AH, AD, or Persian ه.ش) says the calendar."""
    text = fields.get(name)
    return native_date(text, name) if text else None


def _envelope(fields: dict[str, str]) -> Envelope:
    ref = _need(fields, "REF")
    rev_text = normalize_digits(fields.get("REV", "1"))
    if not rev_text.isdigit() or not 1 <= int(rev_text) < 2**31:
        raise refusal("REV", "bad_revision", "REV must be a whole number from 1")
    status = fields.get("STATUS", "NEW").upper()
    if status not in ("NEW", "AMEND", "CANCEL"):
        raise refusal("STATUS", "unknown_state", "STATUS must be NEW, AMEND or CANCEL")
    origin = country3(_need(fields, "ORIGIN"), "ORIGIN")
    zone = MEMBER_ZONES.get(origin)
    if zone is None:
        raise refusal("ORIGIN", "not_a_member", "only ECO member states send telexes")
    issued = _field_date(fields, "DATE")
    if issued is None:
        raise refusal("DATE", "missing_field", "DATE is required")
    valid = _field_date(fields, "VALID")
    release = fields.get("RELEASE-TO", "").replace(",", " ").split()
    deny = fields.get("DENY", "").replace(",", " ").split()
    return revision_envelope(
        org=Org.ECO,
        local_id=ref,
        revision=int(rev_text),
        withdrawn=status == "CANCEL",
        issued_at=zoned_instant(issued, "DATE", zone, fields.get("TIME")),
        expires_at=(
            zoned_instant(valid, "VALID", zone, fields.get("VALID-TIME"), end_of_day=True)
            if valid
            else None
        ),
        originating_country=origin,
        tlp=parse_tlp(_need(fields, "TLP"), "TLP"),
        handling=parse_handling(fields.get("HANDLING"), "HANDLING"),
        grading=parse_grading(fields.get("GRADE"), "GRADE"),
        release_to=tuple(country3(c, f"RELEASE-TO[{i}]") for i, c in enumerate(release)),
        deny=tuple(country3(c, f"DENY[{i}]") for i, c in enumerate(deny)),
        legal_basis=LEGAL_BASIS,
    )


def _commodity(fields: dict[str, str]) -> Commodity:
    name = _need(fields, "SUBSTANCE")
    group = substance_group(name)
    if group is None:
        raise refusal("SUBSTANCE", "unknown_substance", "not a drug or precursor the ECO lists")
    category, drug_type = group
    action_text = " ".join(fields.get("ACTION", "SEIZE").upper().split())
    if action_text not in _ACTIONS:
        raise refusal("ACTION", "unknown_action", f"ACTION must be one of {list(_ACTIONS)}")
    return Commodity(
        category=category,
        drug_type=drug_type,
        substance=name.lower() if name.isascii() else name,
        description=fields.get("REMARKS") or None,
        quantity=_quantity(fields.get("QTY")),
        conveyances=tuple(
            _conveyance(part.strip(), f"CONVEYANCE[{i}]")
            for i, part in enumerate(fields.get("CONVEYANCE", "").split(";"))
            if part.strip()
        ),
        route=_route(fields.get("ROUTE")),
        concealment=fields.get("CONCEALMENT") or None,
        action=_ACTIONS[action_text],
    )


def _quantity(text: str | None) -> Quantity | None:
    if not text:
        return None
    match = _QTY.match(normalize_digits(text).replace("/", ".").upper().replace(" ", ""))
    if match is None or match.group(2) not in _UNITS:
        raise refusal("QTY", "bad_quantity", "QTY is an amount and a unit (KG, G, T, L, TABLETS)")
    number = match.group(1).replace(",", ".")
    try:
        amount = float(number)
    except ValueError:
        raise refusal("QTY", "bad_quantity", "QTY amount is not a number") from None
    unit, factor = _UNITS[match.group(2)]
    return Quantity(amount=amount * factor, unit=unit)


def _conveyance(text: str, path: str) -> Conveyance:
    words = normalize_digits(text).split()
    kind = _CONVEYANCE_WORDS.get(words[0].upper())
    if kind is None or len(words) < 2:
        raise refusal(path, "unknown_conveyance", "starts with TRUCK, CONTAINER, VESSEL, VIN ...")
    if kind is ConveyanceKind.VEHICLE_PLATE:
        if len(words) < 3:
            raise refusal(path, "plate_country_required", "TRUCK <ISO3> <plate>")
        plate = " ".join(words[2:])
        return Conveyance(kind=kind, identifier=plate, country=country3(words[1], path))
    ident = " ".join(words[1:]).upper()
    if kind is ConveyanceKind.VESSEL_IMO:
        ident = ident.removeprefix("IMO").strip()
    return Conveyance(kind=kind, identifier=ident)


def _route(text: str | None) -> Route | None:
    if not text:
        return None
    points = [_point(part.strip(), f"ROUTE[{i}]") for i, part in enumerate(text.split(">"))]
    if len(points) == 1:
        return Route(origin=points[0])
    return Route(origin=points[0], transit=tuple(points[1:-1]), destination=points[-1])


def _point(text: str, path: str) -> RoutePoint:
    country_text, _, place = text.partition("/")
    country = country3(country_text, path)
    place = " ".join(place.upper().split())
    if not place:
        return RoutePoint(country=country)
    known = PLACES.get(place)
    if known is not None:
        if known[0] != country:
            raise refusal(path, "place_country_mismatch", "the place lies in another country")
        return RoutePoint(country=country, locode=known[1])
    if re.fullmatch(r"[A-Z]{2}[A-Z2-9]{3}", place):
        return RoutePoint(country=country, locode=place)
    raise refusal(path, "unknown_place", "place must be a UN/LOCODE or a known crossing or city")


def _person(fields: dict[str, str]) -> WantedPerson:
    latin = fields.get("NAME")
    original = fields.get("NAME-FA")
    if not latin and not original:
        raise refusal("NAME", "missing_field", "NAME or NAME-FA is required")
    spelled = latin or transliterate(original or "")
    family, _, given = spelled.partition(",")  # NAME is written FAMILY, GIVEN
    family_fa, _, given_fa = (original or "").partition("،")  # Arabic comma in Persian text
    category_text = fields.get("CATEGORY", "WANTED").upper()
    if category_text not in _CATEGORIES:
        raise refusal(
            "CATEGORY", "unknown_category", f"CATEGORY must be one of {list(_CATEGORIES)}"
        )
    category, action = _CATEGORIES[category_text]
    dob = _field_date(fields, "DOB")
    sex = fields.get("SEX", "U").upper()
    if sex not in ("M", "F", "U"):
        raise refusal("SEX", "unknown_code", "SEX must be M, F or U")
    return WantedPerson(
        family_name=family.strip(),
        given_names=given.strip() or None,
        family_name_original=family_fa.strip() or None,
        given_names_original=given_fa.strip() or None,
        name_script="Arab" if original else "Latn",
        aliases=(_spelled(family_fa, given_fa),) if latin and original else (),
        sex={"M": Sex.MALE, "F": Sex.FEMALE}.get(sex, Sex.UNSPECIFIED),
        date_of_birth=native_partial(dob) if dob else None,
        nationalities=tuple(
            country3(c, f"NATIONALITY[{i}]")
            for i, c in enumerate(fields.get("NATIONALITY", "").replace(",", " ").split())
        ),
        travel_documents=(_doc(fields["DOC"]),) if fields.get("DOC") else (),
        category=category,
        offences=tuple(x for x in [fields.get("REMARKS")] if x),
        action=action,
    )


def _spelled(family: str, given: str) -> str:
    """'FAMILY, GIVEN' in Latin letters from the Persian parts."""
    return ", ".join(transliterate(part) for part in (family, given) if part.strip())


def _doc(text: str) -> TravelDocument:
    words = normalize_digits(text).split()
    if len(words) != 3:
        raise refusal("DOC", "bad_document", "DOC is <ICAO type> <ISO3> <number>")
    return TravelDocument(
        doc_type=words[0].upper(), issuing_country=country3(words[1], "DOC"), number=words[2]
    )
