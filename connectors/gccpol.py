"""GCCPOL: Gulf police circulars as JSON, Arabic names and Hijri or Gregorian dates per field.

A payload is ``{"export": {...}, "circulars": [...]}`` (or a bare list of circulars). A
circular is a wanted person (``"type": "wanted"``) or a seizure/smuggling alert
(``"type": "commodity"``). Every date is an object that says its calendar:
``{"calendar": "hijri", "value": "1445-09-01"}`` (Umm al-Qura) or ``"gregorian"``; digits
may be Eastern Arabic-Indic. Names come as the Arabic name chain (given, father,
grandfather, family) with an optional Latin spelling of each part; without one, the
connector transliterates. The issue time is local to the issuing member state.

Updates and cancels: ``revision`` (1, 2, ...) counts the circular's versions and
``state`` is ``active`` or ``withdrawn``. Revision 1 is an ALERT, a later revision an
UPDATE, a withdrawal (itself a new revision) a CANCEL carrying the envelope only. The
version is the revision number, so re-reading an export yields the same versions.
"""

# Arabic-script names and digits are this module's data, not look-alike typos:
# ruff: noqa: RUF001

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import orjson

from connectors.base import Connector, ConnectorError, RawRecord
from connectors.formats.arabic import (
    CalendarError,
    NativeDate,
    has_arabic,
    normalize_digits,
    parse_calendar,
    transliterate,
)
from connectors.formats.fields import Fields, country3, json_document, json_object, parse_tlp
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
    CommodityCategory,
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

__all__ = ["GccpolConnector"]

# Members of the GCC and the time zone their circulars are dated in.
MEMBER_ZONES = {
    "SAU": "Asia/Riyadh", "ARE": "Asia/Dubai", "KWT": "Asia/Kuwait",
    "QAT": "Asia/Qatar", "BHR": "Asia/Bahrain", "OMN": "Asia/Muscat",
}  # fmt: skip
LEGAL_BASIS = "GCC Security Agreement (2012), Art. 16"
_CATEGORIES = {
    "wanted": (PersonCategory.ARREST_FOR_EXTRADITION, PersonAction.ARREST),
    "terrorist": (PersonCategory.FOREIGN_TERRORIST_FIGHTER, PersonAction.ARREST),
    "watch": (PersonCategory.WARNING, PersonAction.DISCREET_CHECK),
    "locate": (PersonCategory.LOCATE, PersonAction.DETAIN_AND_CONTACT_NODE),
    "missing": (PersonCategory.MISSING, PersonAction.INFORM),
}
_ACTIONS = {
    "arrest": PersonAction.ARREST, "detain": PersonAction.DETAIN_AND_CONTACT_NODE,
    "discreet_check": PersonAction.DISCREET_CHECK, "refuse_entry": PersonAction.REFUSE_ENTRY,
    "inform": PersonAction.INFORM,
}  # fmt: skip
_GOODS_ACTIONS = {
    "seize": CommodityAction.SEIZE, "controlled_delivery": CommodityAction.CONTROLLED_DELIVERY,
    "inspect": CommodityAction.INSPECT, "inform": CommodityAction.INFORM,
}  # fmt: skip
_GOODS = {
    "firearms": CommodityCategory.FIREARMS, "cash": CommodityCategory.CASH,
    "cultural_goods": CommodityCategory.CULTURAL_GOODS,
    "stolen_vehicle": CommodityCategory.STOLEN_VEHICLE, "other": CommodityCategory.OTHER,
}  # fmt: skip
_UNITS = {
    "kg": QuantityUnit.KILOGRAM, "g": QuantityUnit.GRAM, "l": QuantityUnit.LITRE,
    "tablet": QuantityUnit.TABLET, "tablets": QuantityUnit.TABLET, "item": QuantityUnit.ITEM,
    "items": QuantityUnit.ITEM, "money": QuantityUnit.MONEY,
}  # fmt: skip
_CONVEYANCES = {
    "container": ConveyanceKind.CONTAINER, "vessel": ConveyanceKind.VESSEL_IMO,
    "vin": ConveyanceKind.VEHICLE_VIN, "plate": ConveyanceKind.VEHICLE_PLATE,
    "flight": ConveyanceKind.FLIGHT, "awb": ConveyanceKind.AIR_WAYBILL,
}  # fmt: skip
# Saudi plates print each Arabic letter with a fixed Latin counterpart.
_PLATE_LETTERS = str.maketrans({
    "ا": "A", "أ": "A", "ب": "B", "ح": "J", "د": "D", "ر": "R", "س": "S", "ص": "X", "ط": "T",
    "ع": "E", "ق": "G", "ك": "K", "ل": "L", "م": "Z", "ن": "N", "ه": "H", "و": "U", "ى": "V",
    "ي": "V",
})  # fmt: skip
_NAME_PARTS = ("given", "father", "grandfather", "family")


def plate_latin(text: str) -> str:
    """A GCC plate in Latin letters and ASCII digits ('١٢٣٤ ح ب أ' -> '1234 J B A')."""
    return " ".join(normalize_digits(text).translate(_PLATE_LETTERS).upper().split())


class GccpolConnector(Connector):
    """GCCPOL circulars: wanted persons and smuggling alerts from the Gulf member states."""

    org: ClassVar[str] = "GCCPOL"
    format_name: ClassVar[str] = "GCCPOL circulars JSON"
    description: ClassVar[str] = (
        "Wanted-person and commodity circulars; Arabic name chains with optional Latin "
        "spelling; each date says its calendar (Hijri Umm al-Qura or Gregorian)."
    )
    extensions: ClassVar[tuple[str, ...]] = (".json",)
    sample_file: ClassVar[str] = "gccpol.json"

    def split(self, payload: bytes, source: str) -> Iterator[RawRecord]:
        """One record per circular."""
        doc = json_document(payload, "payload is not JSON")
        circulars = doc.get("circulars") if isinstance(doc, dict) else doc
        if not isinstance(circulars, list):
            raise ConnectorError.one(
                "split", "circulars", "unexpected_shape", "expected a list of circulars"
            )
        for index, circular in enumerate(circulars):
            yield RawRecord(self.org, source, index, orjson.dumps(circular))

    def to_alert(self, record: RawRecord) -> AnyAlert:
        """Map one circular to a wanted-person or commodity alert."""
        circular = json_object(record.data, "a circular")
        f = Fields(circular)
        kind = f.need("type").lower()
        if kind not in ("wanted", "commodity"):
            raise f.fail("type", "unknown_type", "type must be wanted or commodity")
        envelope = _envelope(f)
        if kind == "wanted":
            person = None if envelope.msg_type is MsgType.CANCEL else _person(f)
            return WantedPersonAlert(envelope=envelope, subject=person)
        goods = None if envelope.msg_type is MsgType.CANCEL else _commodity(f)
        return CommodityAlert(envelope=envelope, subject=goods)


def _date_field(f: Fields, key: str) -> tuple[NativeDate, str | None] | None:
    """(native date, local time) of a ``{"calendar", "value", "time"}`` object, or None."""
    raw = f.raw(key)
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise f.fail(key, "wrong_type", f"{key} must be an object with calendar and value")
    d = Fields(raw, f.path(key))
    calendar_text = d.text("calendar")
    if calendar_text is None:
        raise d.fail("calendar", "missing_calendar", "every date must say its calendar")
    try:
        calendar = parse_calendar(calendar_text)
    except CalendarError as exc:
        raise d.fail("calendar", exc.code, str(exc)) from None
    return native_date(d.need("value"), d.path("value"), calendar), d.text("time")


def _country(f: Fields, key: str) -> str:
    return country3(f.need(key), f.path(key))


def _envelope(f: Fields) -> Envelope:
    number = f.need("circular_no")
    revision = f.number("revision")
    if revision is None or revision != int(revision) or not 1 <= revision < 2**31:
        raise f.fail("revision", "bad_revision", "revision must be a whole number from 1")
    state = (f.text("state") or "active").lower()
    if state not in ("active", "withdrawn"):
        raise f.fail("state", "unknown_state", "state must be active or withdrawn")
    issuer = _country(f, "issuing_state")
    zone = MEMBER_ZONES.get(issuer)
    if zone is None:
        raise f.fail("issuing_state", "not_a_member", "only GCC member states issue circulars")
    issued = _date_field(f, "issued")
    if issued is None:
        raise f.fail("issued", "missing_field", "issued is required")
    issued_at = zoned_instant(issued[0], f.path("issued"), zone, issued[1])
    valid = _date_field(f, "valid_until")
    expires_at = (
        zoned_instant(valid[0], f.path("valid_until"), zone, valid[1], end_of_day=True)
        if valid
        else None
    )
    c = Fields(f.raw("classification") or {}, "classification")
    if not isinstance(f.raw("classification") or {}, dict):
        raise f.fail("classification", "wrong_type", "classification must be an object")
    return revision_envelope(
        org=Org.GCCPOL,
        local_id=number,
        revision=int(revision),
        withdrawn=state == "withdrawn",
        issued_at=issued_at,
        expires_at=expires_at,
        originating_country=issuer,
        tlp=parse_tlp(c.need("tlp"), c.path("tlp")),
        handling=parse_handling(c.text("handling"), c.path("handling")),
        handling_note=c.text("handling_note"),
        grading=parse_grading(c.text("grading"), c.path("grading")),
        release_to=tuple(
            country3(x, c.path(f"release_to[{i}]")) for i, x in enumerate(c.texts("release_to"))
        ),
        deny=tuple(country3(x, c.path(f"deny[{i}]")) for i, x in enumerate(c.texts("deny"))),
        legal_basis=f.text("legal_basis") or LEGAL_BASIS,
    )


def _names(p: Fields) -> tuple[list[str], list[str]]:
    """(Arabic parts, Latin parts) of the name chain, given first and family last."""
    name = p.raw("name")
    if not isinstance(name, dict):
        raise p.fail("name", "missing_field", "name with its ar parts is required")
    n = Fields(name, p.path("name"))
    ar_raw = n.raw("ar")
    if not isinstance(ar_raw, dict):
        raise n.fail("ar", "missing_field", "the Arabic name chain is required")
    ar = Fields(ar_raw, n.path("ar"))
    arabic = [ar.text(k) or "" for k in _NAME_PARTS]
    if not arabic[0] or not any(arabic[1:]):
        raise ar.fail("given", "incomplete_name", "a name needs given and father or family parts")
    for key, part in zip(_NAME_PARTS, arabic, strict=True):
        if part and not has_arabic(part):
            raise ar.fail(key, "not_arabic_script", "ar name parts must be in Arabic script")
    en_raw = n.raw("en")
    if en_raw is not None and not isinstance(en_raw, dict):
        raise n.fail("en", "wrong_type", "en must be an object of name parts")
    en = Fields(en_raw or {}, n.path("en"))
    latin = []
    for key, part in zip(_NAME_PARTS, arabic, strict=True):
        spelled = en.text(key)
        if spelled and has_arabic(spelled):
            raise en.fail(key, "not_latin_script", "en name parts must be in Latin script")
        latin.append(spelled or (transliterate(part) if part else ""))
    return arabic, latin


def _person(f: Fields) -> WantedPerson:
    raw = f.raw("person")
    if not isinstance(raw, dict):
        raise f.fail("person", "missing_field", "a wanted circular needs a person object")
    p = Fields(raw, "person")
    arabic, latin = _names(p)
    # With no family name the last name of the chain is what passports print as surname.
    last = max(i for i, part in enumerate(arabic) if part)
    aliases: list[str] = []
    for alias in p.texts("aliases"):
        aliases.append(alias)
        if has_arabic(alias):
            aliases.append(transliterate(alias))
    machine = " ".join(transliterate(a) for a in arabic if a)
    if machine != " ".join(x for x in latin if x):  # keep the other spelling searchable
        aliases.append(machine)
    sex = (p.text("sex") or "U").upper()
    if sex not in ("M", "F", "U"):
        raise p.fail("sex", "unknown_code", "sex must be M, F or U")
    category_text = (p.text("category") or "wanted").lower()
    if category_text not in _CATEGORIES:
        raise p.fail("category", "unknown_category", f"category must be one of {list(_CATEGORIES)}")
    category, action = _CATEGORIES[category_text]
    action_text = p.text("action")
    if action_text is not None:
        if action_text.lower() not in _ACTIONS:
            raise p.fail("action", "unknown_action", f"action must be one of {list(_ACTIONS)}")
        action = _ACTIONS[action_text.lower()]
    dob = _date_field(p, "dob")
    return WantedPerson(
        family_name=latin[last],
        given_names=" ".join(x for x in latin[:last] if x) or None,
        family_name_original=arabic[last],
        given_names_original=" ".join(x for x in arabic[:last] if x) or None,
        name_script="Arab",
        aliases=tuple(dict.fromkeys(aliases)),
        sex={"M": Sex.MALE, "F": Sex.FEMALE}.get(sex, Sex.UNSPECIFIED),
        date_of_birth=native_partial(dob[0]) if dob else None,
        place_of_birth=p.text("pob"),
        nationalities=tuple(
            country3(x, p.path(f"nationality[{i}]")) for i, x in enumerate(p.texts("nationality"))
        ),
        travel_documents=tuple(_document(d) for d in p.objects("documents")),
        category=category,
        offences=tuple(p.texts("offences")),
        action=action,
        armed=p.raw("armed") is True,
        violent=p.raw("violent") is True,
    )


def _document(d: Fields) -> TravelDocument:
    expiry = _date_field(d, "expiry")
    issued = _date_field(d, "issued")
    return TravelDocument(
        doc_type=(d.text("type") or "P").upper(),
        number=normalize_digits(d.need("number")).upper(),
        issuing_country=country3(d.need("state"), d.path("state")),
        issued_on=issued[0].gregorian_date() if issued and issued[0].day else None,
        expires_on=expiry[0].gregorian_date() if expiry and expiry[0].day else None,
    )


def _commodity(f: Fields) -> Commodity:
    raw = f.raw("commodity")
    if not isinstance(raw, dict):
        raise f.fail("commodity", "missing_field", "a commodity circular needs a commodity object")
    g = Fields(raw, "commodity")
    substance = g.text("substance")
    category_text = (g.text("category") or "drugs").lower()
    drug_type = None
    if category_text in ("drugs", "precursors"):
        group = substance_group(substance) if substance else None
        if group is None:
            raise g.fail("substance", "unknown_substance", "drugs need a known substance name")
        category, drug_type = group
    elif category_text in _GOODS:
        category = _GOODS[category_text]
    else:
        raise g.fail("category", "unknown_category", "unknown commodity category")
    quantity = None
    q_raw = g.raw("quantity")
    if q_raw is not None:
        if not isinstance(q_raw, dict):
            raise g.fail("quantity", "wrong_type", "quantity is an object with amount and unit")
        q = Fields(q_raw, g.path("quantity"))
        unit = q.need("unit").lower()
        amount = q.number("amount")
        if unit not in _UNITS or amount is None:
            raise q.fail("unit", "bad_quantity", "quantity needs an amount and a known unit")
        currency = q.text("currency")
        quantity = Quantity(
            amount=amount, unit=_UNITS[unit], currency=currency.upper() if currency else None
        )
    action_text = (g.text("action") or "seize").lower()
    if action_text not in _GOODS_ACTIONS:
        raise g.fail("action", "unknown_action", f"action must be one of {list(_GOODS_ACTIONS)}")
    return Commodity(
        category=category,
        drug_type=drug_type,
        substance=substance,
        description=g.text("description"),
        quantity=quantity,
        conveyances=tuple(_conveyance(c) for c in g.objects("conveyances")),
        route=_route(g),
        concealment=g.text("concealment"),
        action=_GOODS_ACTIONS[action_text],
    )


def _conveyance(c: Fields) -> Conveyance:
    kind_text = c.need("kind").lower()
    if kind_text not in _CONVEYANCES:
        raise c.fail("kind", "unknown_conveyance", f"kind must be one of {list(_CONVEYANCES)}")
    kind = _CONVEYANCES[kind_text]
    ident = c.need("id")
    ident = plate_latin(ident) if kind is ConveyanceKind.VEHICLE_PLATE else ident.upper()
    state = c.text("state")
    return Conveyance(
        kind=kind, identifier=ident, country=country3(state, c.path("state")) if state else None
    )


def _route(g: Fields) -> Route | None:
    points = [
        RoutePoint(
            country=country3(p.need("state"), p.path("state")),
            locode=(p.text("locode") or "").upper() or None,
            iata=(p.text("iata") or "").upper() or None,
        )
        for p in g.objects("route")
    ]
    if not points:
        return None
    if len(points) == 1:
        return Route(origin=points[0])
    return Route(origin=points[0], transit=tuple(points[1:-1]), destination=points[-1])
