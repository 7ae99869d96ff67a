"""AMERIPOL connector: JSON alerts with Spanish field names, ``dd/mm/yyyy`` dates, two surnames.

A payload is one JSON document ``{"formato": "AMERIPOL-SIA/1", "alertas": [...]}`` (a bare
list or a single alert object is accepted too, so a quarantined record replays as is). Each
alert is a person (``tipo: "PERSONA"``) or a seizure (``tipo: "MERCANCIA"``, mostly cocaine).

The difficulty is the double surname: ``apellido_paterno`` and ``apellido_materno``. The
contract's ``family_name`` holds both in the order the person's documents print them
(paternal then maternal in Spanish-speaking countries, maternal then paternal in Brazil, or as
``orden_apellidos`` says), and the paternal-only form is added as an alias because that is
the name most people go by: an officer searching either form finds the person. Numbers use
the decimal comma (``"1.250,5"`` kg); dates are ``dd/mm/yyyy`` with ``00`` for an unknown day
or month; times are local wall-clock times in the IANA ``zona_horaria``.

Updates and cancels: ``revision`` (1, 2, ...) is AMERIPOL's own revision number and becomes
the alert version. ``estado: "VIGENTE"`` at revision 1 is an ALERT, at a later revision an
UPDATE referencing the previous revision; ``estado: "CANCELADA"`` is a CANCEL (no subject)
referencing the previous revision. Re-reading a file yields the same ids and versions.
``vigencia_hasta`` (the expiry) is a date, valid to its end, or an exact local time.
Every field is described in docs/connectors/ameripol.md.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import orjson

from connectors.base import Connector, ConnectorError, RawRecord
from connectors.formats.fields import (
    Fields,
    choice,
    country3,
    flag,
    full_date,
    json_document,
    json_object,
    next_midnight,
    orgs,
    parse_partial_date,
    parse_tlp,
)
from gateway.contract import (
    AnyAlert,
    Commodity,
    CommodityAction,
    CommodityAlert,
    CommodityCategory,
    Conveyance,
    ConveyanceKind,
    DrugType,
    Envelope,
    HandlingCode,
    InformationAccuracy,
    MsgType,
    Org,
    PartialDate,
    PersonAction,
    PersonCategory,
    PhysicalDescription,
    Quantity,
    QuantityUnit,
    Reference,
    Route,
    RoutePoint,
    Sex,
    SourceReliability,
    Status,
    TravelDocument,
    WantedPerson,
    WantedPersonAlert,
)

__all__ = ["AmeripolConnector"]


_MODE = {"REAL": Status.ACTUAL, "EJERCICIO": Status.EXERCISE, "PRUEBA": Status.TEST}
_SEX = {"M": Sex.MALE, "F": Sex.FEMALE, "X": Sex.UNSPECIFIED}
_DOCS = {"PASAPORTE": "P", "PASAPORTE_DIPLOMATICO": "PD", "CEDULA": "I", "DNI": "I", "VISA": "V"}
_MOTIVE = {
    "CAPTURA_EXTRADICION": PersonCategory.ARREST_FOR_EXTRADITION,
    "LOCALIZACION": PersonCategory.LOCATE,
    "ADVERTENCIA": PersonCategory.WARNING,
    "DESAPARECIDO": PersonCategory.MISSING,
    "COMBATIENTE_TERRORISTA_EXTRANJERO": PersonCategory.FOREIGN_TERRORIST_FIGHTER,
}
_PERSON_ACTION = {
    "CAPTURAR": PersonAction.ARREST,
    "RETENER_Y_CONTACTAR": PersonAction.DETAIN_AND_CONTACT_NODE,
    "CONTROL_DISCRETO": PersonAction.DISCREET_CHECK,
    "NEGAR_INGRESO": PersonAction.REFUSE_ENTRY,
    "INFORMAR": PersonAction.INFORM,
}
_CATEGORY = {
    "DROGAS": CommodityCategory.DRUGS, "PRECURSORES": CommodityCategory.PRECURSORS,
    "ARMAS": CommodityCategory.FIREARMS, "DINERO": CommodityCategory.CASH,
    "BIENES_CULTURALES": CommodityCategory.CULTURAL_GOODS,
    "VEHICULO_ROBADO": CommodityCategory.STOLEN_VEHICLE, "OTRO": CommodityCategory.OTHER,
}  # fmt: skip
_DRUG = {
    "COCAINA": DrugType.COCAINE_TYPE, "OPIOIDES": DrugType.OPIOIDS,
    "ANFETAMINAS": DrugType.AMPHETAMINE_TYPE, "CANNABIS": DrugType.CANNABIS,
    "NSP": DrugType.NEW_PSYCHOACTIVE_SUBSTANCES,
}  # fmt: skip
_UNIT = {
    "KG": QuantityUnit.KILOGRAM, "G": QuantityUnit.GRAM, "L": QuantityUnit.LITRE,
    "TABLETAS": QuantityUnit.TABLET, "UNIDADES": QuantityUnit.ITEM, "DINERO": QuantityUnit.MONEY,
}  # fmt: skip
_CONVEYANCE = {
    "CONTENEDOR": ConveyanceKind.CONTAINER, "BUQUE_IMO": ConveyanceKind.VESSEL_IMO,
    "VIN": ConveyanceKind.VEHICLE_VIN, "PLACA": ConveyanceKind.VEHICLE_PLATE,
    "VUELO": ConveyanceKind.FLIGHT, "GUIA_AEREA": ConveyanceKind.AIR_WAYBILL,
    "OTRO": ConveyanceKind.OTHER,
}  # fmt: skip
_GOODS_ACTION = {
    "INCAUTAR": CommodityAction.SEIZE, "ENTREGA_VIGILADA": CommodityAction.CONTROLLED_DELIVERY,
    "INSPECCIONAR": CommodityAction.INSPECT, "INFORMAR": CommodityAction.INFORM,
}  # fmt: skip
_HANDLING = {c.value: c for c in HandlingCode}
_RELIABILITY = {c.value: c for c in SourceReliability}
_ACCURACY = {a.code: a for a in InformationAccuracy}
_STAMP = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4}) (\d{1,2}):(\d{2})(?::(\d{2}))?$")
_SPANISH_NUMBER = re.compile(r"^(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?$")
# Countries whose documents print the maternal surname before the paternal one.
_MATERNAL_FIRST = frozenset({"BRA", "PRT"})


def _countries(f: Fields, key: str) -> tuple[str, ...]:
    codes = f.texts(key)
    return tuple(dict.fromkeys(country3(c, f.path(f"{key}[{i}]")) for i, c in enumerate(codes)))


def _partial_date(f: Fields, key: str) -> PartialDate | None:
    """``dd/mm/yyyy`` with ``00`` for unknown parts, or ``mm/yyyy``, or ``yyyy``."""
    raw = f.text(key)
    if raw is None:
        return None
    parts = raw.split("/")
    if len(parts) > 3:
        raise f.fail(key, "bad_date", "date must be dd/mm/yyyy, mm/yyyy or yyyy")
    day, month, year = [None] * (3 - len(parts)) + parts
    day = None if day in {"00", "0"} else day
    month = None if month in {"00", "0"} else month
    if day is not None and month is None:
        raise f.fail(key, "bad_date", "a day without a month")
    return parse_partial_date(year or "", month, day, f.path(key))


def _full_date(f: Fields, key: str) -> date | None:
    return full_date(f, key, _partial_date(f, key), "dd/mm/yyyy")


@functools.cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


@functools.lru_cache(maxsize=1024)
def _zone_named(name: str) -> ZoneInfo | None:
    """The IANA zone of that name, loaded once; None for a name that is not one."""
    if name not in _zone_names():  # never a file path: ZoneInfo would read it
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def _zone(f: Fields) -> ZoneInfo:
    zone = _zone_named(f.need("zona_horaria"))
    if zone is None:
        raise f.fail("zona_horaria", "unknown_time_zone", "an IANA zone like America/Bogota")
    return zone


def _stamp(f: Fields, key: str, zone: ZoneInfo) -> datetime:
    """``dd/mm/yyyy HH:MM[:SS]``, local to the record's zone."""
    match = _STAMP.match(f.need(key))
    if match is not None:
        day, month, year, hour, minute, second = (int(g or 0) for g in match.groups())
        with contextlib.suppress(ValueError):
            return datetime(year, month, day, hour, minute, second, tzinfo=zone)
    raise f.fail(key, "bad_timestamp", "timestamp must be dd/mm/yyyy HH:MM[:SS]")


def _amount(f: Fields, key: str) -> float | None:
    """A JSON number, or Spanish notation where '.' groups thousands and ',' marks decimals."""
    value = f.raw(key)
    if isinstance(value, str):
        if _SPANISH_NUMBER.match(value.strip()) is None:
            raise f.fail(key, "bad_number", "write numbers like 1.250,5 (',' marks decimals)")
        return float(value.strip().replace(".", "").replace(",", "."))
    return f.number(key)


def _flag(f: Fields, key: str) -> bool:
    return flag(f, key, {"SI": True, "NO": False}, "SI/NO")


def _whole(f: Fields | None, key: str) -> int | None:
    if f is None:
        return None
    value = f.number(key)
    if value is not None and (value != int(value) or not 0 < value < 1000):
        raise f.fail(key, "wrong_type", f"{key} must be a whole number")
    return None if value is None else int(value)


def _names(p: Fields, origin: str) -> dict[str, Any]:
    """Both surnames in document order, plus the paternal-only form as an alias."""
    given = p.text("nombres")
    paternal, maternal = p.text("apellido_paterno"), p.text("apellido_materno")
    if paternal is None and maternal is None:
        raise p.fail("apellido_paterno", "missing_field", "at least one surname is required")
    order = choice(p, "orden_apellidos", {"PATERNO_MATERNO": 0, "MATERNO_PATERNO": 1}, -1)
    maternal_first = order == 1 or (order == -1 and origin in _MATERNAL_FIRST)
    surnames = [maternal, paternal] if maternal_first else [paternal, maternal]
    aliases = p.texts("alias")
    if paternal and maternal:
        aliases.append(f"{given or ''} {paternal}".strip())
    return {
        "family_name": " ".join(s for s in surnames if s),
        "given_names": given,
        "aliases": tuple(dict.fromkeys(aliases)),
    }


def _document(d: Fields) -> TravelDocument:
    return TravelDocument(
        doc_type=choice(d, "tipo", _DOCS), number=d.need("numero").upper(),
        issuing_country=country3(d.need("pais_emisor"), d.path("pais_emisor")),
        issued_on=_full_date(d, "fecha_expedicion"), expires_on=_full_date(d, "fecha_vencimiento"),
    )  # fmt: skip


def _person(f: Fields, origin: str) -> WantedPerson:
    p = f.nested("persona")
    if p is None:
        raise f.fail("persona", "missing_field", "a PERSONA alert needs 'persona'")
    looks = p.nested("rasgos")
    birth_country = p.text("pais_nacimiento")
    description = None
    if looks is not None:
        description = PhysicalDescription(
            height_cm=_whole(looks, "estatura_cm"), weight_kg=_whole(looks, "peso_kg"),
            eye_colour=looks.text("color_ojos"), hair_colour=looks.text("color_cabello"),
            distinguishing_marks=looks.text("senas_particulares"),
        )  # fmt: skip
    return WantedPerson(
        **_names(p, origin),
        sex=choice(p, "sexo", _SEX, Sex.UNSPECIFIED),
        date_of_birth=_partial_date(p, "fecha_nacimiento"),
        place_of_birth=p.text("lugar_nacimiento"),
        country_of_birth=birth_country and country3(birth_country, p.path("pais_nacimiento")),
        nationalities=_countries(p, "nacionalidades"),
        travel_documents=tuple(_document(d) for d in p.objects("documentos")),
        physical_description=description,
        category=choice(p, "motivo", _MOTIVE),
        offences=tuple(p.texts("delitos")),
        action=choice(p, "accion", _PERSON_ACTION),
        armed=_flag(p, "armado"),
        violent=_flag(p, "violento"),
    )


def _point(f: Fields | None) -> RoutePoint | None:
    if f is None:
        return None
    locode, iata = f.text("locode"), f.text("iata")
    return RoutePoint(
        country=country3(f.need("pais"), f.path("pais")),
        locode=locode and locode.upper().replace(" ", ""), iata=iata and iata.upper(),
    )  # fmt: skip


def _commodity(f: Fields) -> Commodity:
    g = f.nested("mercancia")
    if g is None:
        raise f.fail("mercancia", "missing_field", "a MERCANCIA alert needs 'mercancia'")
    amount = _amount(g, "cantidad")
    currency = g.text("moneda")
    quantity = None
    if amount is not None:
        unit = choice(g, "unidad", _UNIT)
        quantity = Quantity(amount=amount, unit=unit, currency=currency and currency.upper())
    route = None
    if (r := g.nested("ruta")) is not None:
        route = Route(
            origin=_point(r.nested("origen")),
            transit=tuple(p for t in r.objects("transito") if (p := _point(t)) is not None),
            destination=_point(r.nested("destino")),
        )
    conveyances = tuple(
        Conveyance(
            kind=choice(m, "tipo", _CONVEYANCE),
            identifier=m.need("identificador").upper(),
            country=(c := m.text("pais")) and country3(c, m.path("pais")),
        )
        for m in g.objects("medios")
    )
    drug = g.text("tipo_droga")
    return Commodity(
        category=choice(g, "categoria", _CATEGORY),
        drug_type=drug and choice(g, "tipo_droga", _DRUG),
        substance=g.text("sustancia"), description=g.text("descripcion"),
        quantity=quantity, conveyances=conveyances, route=route,
        concealment=g.text("ocultamiento"), action=choice(g, "accion", _GOODS_ACTION),
    )  # fmt: skip


def _end_of_day(f: Fields, key: str, tz: ZoneInfo) -> datetime | None:
    """The instant a validity ends: ``dd/mm/yyyy HH:MM[:SS]`` exactly, a bare date at the
    next midnight, local time."""
    if _STAMP.match(f.text(key) or "") is not None:
        return _stamp(f, key, tz)
    return next_midnight(f, key, _full_date(f, key), tz)


def _envelope(f: Fields) -> Envelope:
    local_id = f.need("id_alerta")
    revision = f.number("revision")
    if revision is None or revision != int(revision) or not 1 <= revision < 2**31:
        raise f.fail("revision", "bad_revision", "revision must be a whole number from 1")
    version = int(revision)
    state = choice(f, "estado", {"VIGENTE": MsgType.ALERT, "CANCELADA": MsgType.CANCEL})
    if state is MsgType.CANCEL and version == 1:
        raise f.fail("revision", "cancel_without_prior", "a cancellation revises a revision")
    msg_type = MsgType.UPDATE if state is MsgType.ALERT and version > 1 else state
    alert_id = f"AMERIPOL:{local_id}"
    zone = _zone(f)
    release, deny = f.nested("difundir_a"), f.nested("no_difundir_a")
    return Envelope(
        alert_id=alert_id,
        version=version,
        msg_type=msg_type,
        references=(Reference(alert_id=alert_id, version=version - 1),) if version > 1 else (),
        status=choice(f, "modo", _MODE, Status.ACTUAL),
        source_org=Org.AMERIPOL,
        originating_country=country3(f.need("pais_origen"), "pais_origen"),
        issued_at=_stamp(f, "actualizado", zone),
        expires_at=_end_of_day(f, "vigencia_hasta", zone),
        tlp=parse_tlp(f.need("clasificacion"), "clasificacion"),
        release_to_countries=_countries(release, "paises") if release is not None else (),
        release_to_orgs=orgs(release, "organizaciones"),
        deny_countries=_countries(deny, "paises") if deny is not None else (),
        deny_orgs=orgs(deny, "organizaciones"),
        handling_code=choice(f, "codigo_manejo", _HANDLING),
        handling_note=f.text("nota_manejo"),
        source_reliability=choice(f, "confiabilidad_fuente", _RELIABILITY),
        information_accuracy=choice(f, "exactitud_informacion", _ACCURACY),
        legal_basis=f.need("base_legal"),
    )


class AmeripolConnector(Connector):
    """AMERIPOL alerts: Spanish JSON, two surnames, dd/mm/yyyy dates, cocaine seizures."""

    org: ClassVar[str] = "AMERIPOL"
    format_name: ClassVar[str] = "AMERIPOL-SIA/1 JSON"
    description: ClassVar[str] = (
        "JSON with Spanish field names: 'alertas' of persons (paternal and maternal surnames, "
        "dd/mm/yyyy dates) and seizures (decimal comma); local times with an IANA zone"
    )
    extensions: ClassVar[tuple[str, ...]] = (".json",)
    sample_file: ClassVar[str] = "ameripol.json"

    def split(self, payload: bytes, source: str) -> Iterator[RawRecord]:
        """One record per element of 'alertas' (or of a bare list, or the lone alert object)."""
        document = json_document(payload, "the payload is not a UTF-8 JSON document")
        items = document
        if isinstance(document, dict):
            items = [document] if "id_alerta" in document else document.get("alertas")
        if not isinstance(items, list):
            raise ConnectorError.one(
                "split", "alertas", "no_records", "expected {'alertas': [...]}, a list or an alert"
            )
        for index, item in enumerate(items):
            yield RawRecord(self.org, source, index, orjson.dumps(item))

    def to_alert(self, record: RawRecord) -> AnyAlert:
        """Map one AMERIPOL alert to a wanted-person or commodity alert."""
        f = Fields(json_object(record.data, "an alert"))
        kind = choice(f, "tipo", {"PERSONA": "PERSONA", "MERCANCIA": "MERCANCIA"})
        envelope = _envelope(f)
        cancel = envelope.msg_type is MsgType.CANCEL
        if kind == "PERSONA":
            person = None if cancel else _person(f, envelope.originating_country)
            return WantedPersonAlert(envelope=envelope, subject=person)
        return CommodityAlert(envelope=envelope, subject=None if cancel else _commodity(f))
