"""FRONTEX: semicolon-separated CSV incident reports from maritime operations (commodities).

The export is what a spreadsheet writes: a header row, ``;`` between fields, double quotes
around fields that hold a ``;`` or a line break, UTF-8 (with or without BOM) or, from older
desks, Windows-1252. Dates are ``dd.mm.yyyy`` (optionally ``HH:MM``), Warsaw local time
(Frontex headquarters); quantities use a decimal comma and dot thousands (``1.250,5``);
vessels are given by IMO number (``IMO 9074729`` or bare digits), containers by ISO 6346
number (several separated by ``|``, spaces allowed), ports by UN/LOCODE; member states by
the EU's alpha-2 codes (``EL`` for Greece, ``UK``). Each data row is one incident and one
commodity alert. The splitter keeps the header with each row, so a quarantined row can be
read on its own.

Updates and cancels: ``revision`` counts the report's versions (1, 2, ...) and is the
alert version; revision 1 is an ALERT, a later one an UPDATE referencing the one before,
and ``status`` ``WITHDRAWN`` a CANCEL (envelope only). Optional ``release_to`` and ``deny``
(``|``-separated member-state codes) and ``valid_until`` (the expiry, same date format) carry
releasability and expiry.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import datetime
from typing import ClassVar
from zoneinfo import ZoneInfo

from anyascii import anyascii

from connectors.base import Connector, ConnectorError, RawRecord
from connectors.formats.fields import country3, parse_tlp
from gateway.contract import (
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
    Quantity,
    QuantityUnit,
    Reference,
    Route,
    RoutePoint,
    SourceReliability,
    Status,
    Tlp,
)
from gateway.contract.identifiers import normalize_identifier

__all__ = ["COLUMNS", "WARSAW", "FrontexConnector"]

# The export's columns, in order, and the zone its local stamps are written in.
COLUMNS = (
    "incident_id", "revision", "status", "report_date", "operation", "reporting_ms",
    "category", "substance", "quantity", "unit", "vessel_imo", "vessel_name", "vessel_flag",
    "containers", "concealment", "port_of_loading", "transit_ports", "port_of_discharge",
    "action", "tlp", "handling", "release_to", "deny", "valid_until",
)  # fmt: skip
WARSAW = ZoneInfo("Europe/Warsaw")

_REQUIRED = frozenset({"incident_id", "revision", "report_date", "reporting_ms", "category"})
_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_NUMBER = re.compile(r"^\d{1,3}(?:\.\d{3})*(?:,\d+)?$|^\d+(?:,\d+)?$")
_CATEGORIES = {
    "drugs": CommodityCategory.DRUGS, "precursors": CommodityCategory.PRECURSORS,
    "firearms": CommodityCategory.FIREARMS, "weapons": CommodityCategory.FIREARMS,
    "cash": CommodityCategory.CASH, "cultural goods": CommodityCategory.CULTURAL_GOODS,
    "cigarettes": CommodityCategory.OTHER, "other": CommodityCategory.OTHER,
}  # fmt: skip
# Substance words (English, Spanish, Italian, French, German; accents folded) to UNODC groups.
_DRUG_GROUPS = (
    (re.compile(r"coca[i]?n|kokain|crack|coca paste|pasta base", re.I), DrugType.COCAINE_TYPE),
    (re.compile(r"heroin|eroina|opium|opio|morphin|morfin|fentanyl|tramadol|opioid", re.I),
     DrugType.OPIOIDS),
    (re.compile(r"amph?etamin|anfetamin|captagon|mdma|ecstasy", re.I),
     DrugType.AMPHETAMINE_TYPE),
    (re.compile(r"cannabis|hashish|hachis|haschisch|marijuana|marihuana|resin", re.I),
     DrugType.CANNABIS),
    (re.compile(r"cathinon|synthetic cannabinoid|nitazene|ketamin|\bnps\b", re.I),
     DrugType.NEW_PSYCHOACTIVE_SUBSTANCES),
)  # fmt: skip
_UNITS = {
    "kg": QuantityUnit.KILOGRAM, "g": QuantityUnit.GRAM, "l": QuantityUnit.LITRE,
    "tablets": QuantityUnit.TABLET, "pcs": QuantityUnit.ITEM, "items": QuantityUnit.ITEM,
}  # fmt: skip
_ACTIONS = {a.value: a for a in CommodityAction}


def _decode(payload: bytes) -> str:
    try:
        return payload.decode("utf-8-sig")
    except UnicodeDecodeError:
        return payload.decode("cp1252", errors="replace")


class FrontexConnector(Connector):
    """FRONTEX maritime incident reports: one commodity alert per CSV row."""

    org: ClassVar[str] = "FRONTEX"
    format_name: ClassVar[str] = "FRONTEX maritime incidents CSV"
    description: ClassVar[str] = (
        "Semicolon CSV with a header row: dd.mm.yyyy Warsaw times, decimal commas, IMO and "
        "ISO 6346 numbers, UN/LOCODE ports, EU codes EL/UK; UTF-8 or Windows-1252."
    )
    extensions: ClassVar[tuple[str, ...]] = (".csv",)
    sample_file: ClassVar[str] = "frontex.csv"

    def split(self, payload: bytes, source: str) -> Iterator[RawRecord]:
        """One record per data row, each with the header line in front."""
        lines = _decode(payload).splitlines(keepends=True)
        reader = csv.reader(lines, delimiter=";")
        try:
            header = next(reader, None)
        except csv.Error:
            header = None
        if not header:
            raise ConnectorError.one("split", "", "bad_header", "the first line must be a header")
        names = [h.strip().lower() for h in header]
        missing = sorted(_REQUIRED - set(names))
        if missing:
            raise ConnectorError.one(
                "split", "", "bad_header", f"header lacks column(s): {', '.join(missing)}"
            )
        head = "".join(lines[: reader.line_num]).rstrip("\r\n") + "\r\n"
        consumed = reader.line_num
        index = 0
        while consumed < len(lines):
            try:
                row = next(reader, None)
                end = reader.line_num
            except csv.Error:  # e.g. a quote never closed: the rest is one refused record
                row, end = [], len(lines)
            if row is None:
                return
            text = "".join(lines[consumed:end])
            consumed = end
            if text.strip():
                data = (head + text).encode("utf-8")
                yield RawRecord(self.org, source, index, data, (names, row) if row else None)
                index += 1

    def to_alert(self, record: RawRecord) -> CommodityAlert:
        """Map one row (after its header line)."""
        if record.parsed is not None:
            names, cells = record.parsed
        else:
            names, cells = _parse_record(record.data)
        if len(cells) != len(names):
            raise ConnectorError.one(
                "parse", "", "field_count",
                f"the row has {len(cells)} fields, the header {len(names)}",
            )  # fmt: skip
        row = {n: v.strip() for n, v in zip(names, cells, strict=True)}
        envelope = _envelope(row)
        if envelope.msg_type is MsgType.CANCEL:
            return CommodityAlert(envelope=envelope, subject=None)
        return CommodityAlert(envelope=envelope, subject=_commodity(row))


def _parse_record(data: bytes) -> tuple[list[str], list[str]]:
    """Header names and cells of a record given as its header line and its row."""
    try:
        rows = list(csv.reader(io.StringIO(data.decode("utf-8", "replace")), delimiter=";"))
    except csv.Error:
        rows = []
    if len(rows) != 2:
        raise ConnectorError.one("parse", "", "bad_row", "not one well-formed CSV record")
    return [h.strip().lower() for h in rows[0]], rows[1]


def _need(row: dict[str, str], key: str) -> str:
    value = row.get(key, "")
    if not value:
        raise ConnectorError.one("map", key, "missing_field", f"{key} is required")
    return value


def _when(text: str, key: str) -> datetime:
    match = _DATE.match(text)
    if match is None:
        raise ConnectorError.one("map", key, "bad_date", "dates are dd.mm.yyyy [HH:MM[:SS]]")
    day, month, year, hour, minute, second = (int(g or 0) for g in match.groups())
    try:
        local = datetime(year, month, day, hour, minute, second, tzinfo=WARSAW)
    except ValueError:
        raise ConnectorError.one("map", key, "bad_date", "no such day or time") from None
    return local


def _envelope(row: dict[str, str]) -> Envelope:
    incident = _need(row, "incident_id")
    alert_id = f"FRONTEX:{incident}"
    revision_text = _need(row, "revision")
    if not revision_text.isdigit() or not 1 <= int(revision_text) < 2**31:
        raise ConnectorError.one("map", "revision", "bad_revision", "revision is a number from 1")
    revision = int(revision_text)
    status = (row.get("status") or "NEW").upper()
    if status not in ("NEW", "UPDATED", "WITHDRAWN"):
        raise ConnectorError.one(
            "map", "status", "unknown_status", "status is NEW, UPDATED or WITHDRAWN"
        )
    if status == "WITHDRAWN":
        msg_type = MsgType.CANCEL
    else:
        msg_type = MsgType.ALERT if revision == 1 else MsgType.UPDATE
    handling = (row.get("handling") or "H0").upper()
    if handling not in HandlingCode.__members__:
        raise ConnectorError.one("map", "handling", "unknown_handling_code", "handling is H0-H3")
    tlp = row.get("tlp")
    expiry = row.get("valid_until")
    return Envelope(
        alert_id=alert_id,
        version=revision,
        msg_type=msg_type,
        references=((Reference(alert_id=alert_id, version=revision - 1),) if revision > 1 else ()),
        status=Status.ACTUAL,
        source_org=Org.FRONTEX,
        originating_country=country3(_need(row, "reporting_ms"), "reporting_ms"),
        issued_at=_when(_need(row, "report_date"), "report_date"),
        expires_at=_when(expiry, "valid_until") if expiry else None,
        tlp=parse_tlp(tlp, "tlp") if tlp else Tlp.AMBER,
        release_to_countries=_codes(row, "release_to"),
        deny_countries=_codes(row, "deny"),
        handling_code=HandlingCode(handling),
        source_reliability=SourceReliability.A,
        information_accuracy=InformationAccuracy.KNOWN_TRUE,
        legal_basis="Regulation (EU) 2019/1896 (European Border and Coast Guard), Art. 90",
    )


def _codes(row: dict[str, str], key: str) -> tuple[str, ...]:
    """A ``|``-separated list of member-state codes."""
    parts = [p for p in (row.get(key) or "").split("|") if p.strip()]
    return tuple(dict.fromkeys(country3(p, f"{key}[{i}]") for i, p in enumerate(parts)))


def _quantity(row: dict[str, str]) -> Quantity | None:
    text = row.get("quantity", "")
    if not text:
        return None
    if _NUMBER.match(text) is None:
        raise ConnectorError.one("map", "quantity", "bad_number", "numbers look like 1.250,5")
    amount = float(text.replace(".", "").replace(",", "."))
    unit_text = (row.get("unit") or "kg").strip()
    if unit_text.upper() in ("EUR", "USD", "GBP", "CHF"):
        return Quantity(amount=amount, unit=QuantityUnit.MONEY, currency=unit_text.upper())
    unit = _UNITS.get(unit_text.lower())
    if unit is None:
        raise ConnectorError.one(
            "map", "unit", "unknown_unit", "unit is kg, g, l, tablets, pcs or a currency"
        )
    return Quantity(amount=amount, unit=unit)


def _point(code: str, key: str) -> RoutePoint:
    locode = normalize_identifier(code)
    if len(locode) != 5:
        raise ConnectorError.one("map", key, "bad_locode", "ports are UN/LOCODEs like NLRTM")
    return RoutePoint(country=country3(locode[:2], key), locode=locode)


def _commodity(row: dict[str, str]) -> Commodity:
    category_text = _need(row, "category").lower()
    category = _CATEGORIES.get(category_text)
    if category is None:
        raise ConnectorError.one(
            "map", "category", "unknown_category", f"category is one of {', '.join(_CATEGORIES)}"
        )
    substance = row.get("substance") or None
    drug_type = None
    if category is CommodityCategory.DRUGS:
        folded = anyascii(substance or "")
        drug_type = next((g for p, g in _DRUG_GROUPS if p.search(folded)), None)
        if drug_type is None:
            raise ConnectorError.one(
                "map", "substance", "unknown_substance", "no UNODC drug group for the substance"
            )
    conveyances: list[Conveyance] = []
    imo = row.get("vessel_imo")
    if imo:
        flag = row.get("vessel_flag")
        conveyances.append(
            Conveyance(
                kind=ConveyanceKind.VESSEL_IMO,
                identifier=normalize_identifier(imo).removeprefix("IMO"),
                country=country3(flag, "vessel_flag") if flag else None,
            )
        )
    conveyances.extend(
        Conveyance(kind=ConveyanceKind.CONTAINER, identifier=normalize_identifier(part))
        for part in (row.get("containers") or "").split("|")
        if part.strip()
    )
    transit = tuple(
        _point(p, f"transit_ports[{i}]")
        for i, p in enumerate(x for x in (row.get("transit_ports") or "").split("|") if x.strip())
    )
    loading, discharge = row.get("port_of_loading"), row.get("port_of_discharge")
    route = Route(
        origin=_point(loading, "port_of_loading") if loading else None,
        transit=transit,
        destination=_point(discharge, "port_of_discharge") if discharge else None,
    )
    action_text = (row.get("action") or "INSPECT").upper().replace(" ", "_")
    if action_text not in _ACTIONS:
        raise ConnectorError.one("map", "action", "unknown_action", "unknown action")
    operation = row.get("operation")
    vessel = row.get("vessel_name")
    notes = [f"Operation {operation}" if operation else "", f"vessel {vessel}" if vessel else ""]
    return Commodity(
        category=category,
        drug_type=drug_type,
        substance=substance,
        description=", ".join(n for n in notes if n) or None,
        quantity=_quantity(row),
        conveyances=tuple(conveyances),
        route=route if route != Route() else None,
        concealment=row.get("concealment") or None,
        action=_ACTIONS[action_text],
    )
