"""Checks an alert beyond its types: identifiers, countries, dates and message rules.

Every problem is machine-readable (field path, code) and readable by a person (message);
connectors quarantine records with these problems instead of dropping or crashing.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from pydantic import ValidationError

from gateway.contract import (
    ALERT_MODELS,
    AlertKind,
    AnyAlert,
    Commodity,
    CommodityCategory,
    Conveyance,
    ConveyanceKind,
    DocumentReport,
    Envelope,
    HandlingCode,
    MsgType,
    PartialDate,
    Quantity,
    QuantityUnit,
    RoutePoint,
    ThreatAssessment,
    Tlp,
    WantedPerson,
)
from gateway.contract.identifiers import (
    IdentifierCheck,
    alpha2_to_alpha3,
    check_air_waybill,
    check_container,
    check_imo,
    check_vin,
    is_flight_number,
    is_iata_airport,
    is_icao_document_code,
    is_iso3,
    is_iso4217,
    is_locode,
    normalize_identifier,
)

__all__ = ["Problem", "infer_kind", "problems_from_validation_error", "validate_alert"]

AVRO_INT_MAX = 2**31 - 1
CLOCK_SKEW = dt.timedelta(minutes=5)
OLDEST_BIRTH_YEAR = 1900
_ALERT_ID = re.compile(r"^([A-Z]+):(\S.*)$")
_SCRIPT = re.compile(r"^[A-Z][a-z]{3}$")
# A document number as written: ASCII letters, digits, the MRZ filler '<' and separators;
# 1-20 letters or digits once normalized.
_DOC_NUMBER_TEXT = re.compile(r"^[A-Za-z0-9<\s\-./]+$")


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an alert: where (dotted path), what (stable code), and why."""

    path: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        """The JSON form quarantine records and the CLI use."""
        return asdict(self)

    def __str__(self) -> str:
        """'subject.travel_documents[0].number: message [code]'."""
        return f"{self.path or '<alert>'}: {self.message} [{self.code}]"


def _path(loc: Iterable[int | str]) -> str:
    """Pydantic error location to 'a.b[0].c'."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def problems_from_validation_error(error: ValidationError, prefix: str = "") -> list[Problem]:
    """Map pydantic's errors to problems; the input value is left out (it may be personal)."""
    problems = []
    for item in error.errors(include_url=False, include_input=False):
        path = _path(item["loc"])
        if prefix:
            path = f"{prefix}.{path}" if path else prefix
        problems.append(Problem(path, str(item["type"]), str(item["msg"])))
    return problems


def infer_kind(data: Mapping[str, Any]) -> AlertKind | None:
    """Guess an alert's kind from a top-level 'kind' key or from its subject's fields."""
    declared = data.get("kind")
    if isinstance(declared, str) and declared.upper() in AlertKind.__members__:
        return AlertKind[declared.upper()]
    subject = data.get("subject")
    return _subject_kind(subject) if isinstance(subject, Mapping) else None


def _subject_kind(subject: Mapping[str, Any]) -> AlertKind | None:
    """The kind whose subject has these fields."""
    if "family_name" in subject:
        return AlertKind.WANTED_PERSON
    if "document_number" in subject:
        return AlertKind.TRAVEL_DOCUMENT
    if "title" in subject or "threat_type" in subject:
        return AlertKind.THREAT_ASSESSMENT
    if "category" in subject and "action" in subject:
        return AlertKind.COMMODITY
    return None


def validate_alert(
    data: Mapping[str, Any] | AnyAlert,
    now: dt.datetime | None = None,
    kind: AlertKind | None = None,
) -> list[Problem]:
    """Every problem of an alert given as a model or as a JSON-like dict (kind inferred)."""
    now = now or dt.datetime.now(dt.UTC)
    if isinstance(data, Mapping):
        kind = kind or infer_kind(data)
        if kind is None:
            return [
                Problem("kind", "unknown_kind", "cannot tell the alert kind; pass it explicitly")
            ]
        body = {k: v for k, v in data.items() if k != "kind"}
        try:
            alert: AnyAlert = ALERT_MODELS[kind].model_validate(body)
        except ValidationError as error:
            return problems_from_validation_error(error)
    else:
        alert = data
    checker = _Checker(now)
    checker.envelope(alert.envelope, has_subject=alert.subject is not None)
    subject = alert.subject
    if isinstance(subject, WantedPerson):
        checker.person(subject)
    elif isinstance(subject, Commodity):
        checker.commodity(subject)
    elif isinstance(subject, ThreatAssessment):
        checker.threat(subject)
    elif isinstance(subject, DocumentReport):
        checker.document(subject)
    for path in _unencodable(alert.model_dump(mode="python"), ()):
        checker.add(path, "not_utf8", "holds an unpaired surrogate: not encodable as UTF-8")
    return checker.problems


def _unencodable(value: object, loc: tuple[int | str, ...]) -> Iterator[str]:
    """Paths of the strings in ``value`` that UTF-8 cannot encode (lone surrogates)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            yield _path(loc)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _unencodable(item, (*loc, str(key)))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _unencodable(item, (*loc, index))


class _Checker:
    """Collects problems while walking one alert."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self.problems: list[Problem] = []

    def add(self, path: str, code: str, message: str) -> None:
        """Record one problem."""
        self.problems.append(Problem(path, code, message))

    def country(self, path: str, code: str | None) -> None:
        """ISO 3166-1 alpha-3, upper case."""
        if code is not None and not is_iso3(code):
            self.add(path, "country_code", f"{code!r} is not an ISO 3166-1 alpha-3 country code")

    def countries(self, path: str, codes: Iterable[str]) -> None:
        """Each code of a list is ISO alpha-3."""
        for index, code in enumerate(codes):
            self.country(f"{path}[{index}]", code)

    def text(self, path: str, value: str | None) -> None:
        """A required text is not blank."""
        if value is not None and not value.strip():
            self.add(path, "blank_text", "must not be blank")

    def envelope(self, env: Envelope, *, has_subject: bool) -> None:
        """Identity, version, message rules, labels and dates of the envelope."""
        self.identity(env)
        self.message_rules(env, has_subject=has_subject)
        self.releasability(env)
        p = "envelope"
        if env.handling_code is HandlingCode.H3 and not (env.handling_note or "").strip():
            self.add(f"{p}.handling_note", "handling_note_required", "H3 must spell out the rule")
        self.text(f"{p}.legal_basis", env.legal_basis)
        if env.issued_at > self.now + CLOCK_SKEW:
            self.add(f"{p}.issued_at", "issued_in_future", "is later than now")
        if env.expires_at is not None and env.expires_at <= env.issued_at:
            self.add(f"{p}.expires_at", "expiry_before_issue", "must be after issued_at")

    def identity(self, env: Envelope) -> None:
        """alert_id shape and prefix, version range, originating country."""
        p = "envelope"
        match = _ALERT_ID.match(env.alert_id)
        if match is None:
            self.add(f"{p}.alert_id", "alert_id_format", "must be '<ORG>:<org own id>'")
        elif match.group(1) != env.source_org:
            self.add(
                f"{p}.alert_id",
                "alert_id_org_mismatch",
                f"prefix {match.group(1)!r} differs from source_org {env.source_org.value!r}",
            )
        if not 1 <= env.version <= AVRO_INT_MAX:
            self.add(f"{p}.version", "version_range", "must be between 1 and 2^31-1")
        self.country(f"{p}.originating_country", env.originating_country)

    def message_rules(self, env: Envelope, *, has_subject: bool) -> None:
        """CAP-style rules: what UPDATE and CANCEL carry and which versions they reference."""
        p = "envelope"
        if env.msg_type is not MsgType.ALERT and env.version < 2:
            self.add(
                f"{p}.version",
                "version_not_after_first",
                f"a {env.msg_type.value} replaces an earlier version, so its version is >= 2",
            )
        if env.msg_type is MsgType.CANCEL and has_subject:
            self.add("subject", "cancel_with_subject", "a CANCEL carries only the envelope")
        if env.msg_type is not MsgType.CANCEL and not has_subject:
            self.add("subject", "subject_required", f"a {env.msg_type.value} needs a subject")
        for index, ref in enumerate(env.references):
            ref_path = f"{p}.references[{index}]"
            if _ALERT_ID.match(ref.alert_id) is None:
                self.add(f"{ref_path}.alert_id", "alert_id_format", "must be '<ORG>:<org own id>'")
            if ref.alert_id == env.alert_id and ref.version >= env.version:
                self.add(
                    f"{ref_path}.version",
                    "reference_not_earlier",
                    f"references version {ref.version} of this alert, not one before {env.version}",
                )

    def releasability(self, env: Envelope) -> None:
        """Release and deny lists: valid countries, no contradictions, RED names recipients."""
        p = "envelope"
        self.countries(f"{p}.release_to_countries", env.release_to_countries)
        self.countries(f"{p}.deny_countries", env.deny_countries)
        both = set(env.release_to_countries) & set(env.deny_countries)
        both_orgs = {o.value for o in env.release_to_orgs} & {o.value for o in env.deny_orgs}
        if both or both_orgs:
            self.add(
                f"{p}.deny_countries" if both else f"{p}.deny_orgs",
                "release_and_deny",
                f"{', '.join(sorted(both | both_orgs))} both released to and denied",
            )
        if env.tlp is Tlp.RED and not env.release_to_countries:
            self.add(
                f"{p}.release_to_countries",
                "red_without_recipients",
                "TLP:RED goes to named recipients only; name at least one country",
            )

    def partial_date(self, path: str, value: PartialDate) -> dt.date | None:
        """Check a partial date; return its earliest possible day when it is sane."""
        problem: tuple[str, str, str] | None = None
        last = 31
        if value.month is not None and 1 <= value.month <= 12 and 1 <= value.year <= 9999:
            last = calendar.monthrange(value.year, value.month)[1]
        if not OLDEST_BIRTH_YEAR <= value.year <= 9999:
            problem = ("year", "date_range", f"year must be {OLDEST_BIRTH_YEAR}-9999")
        elif value.month is None and value.day is not None:
            problem = ("day", "day_without_month", "a day needs a month")
        elif value.month is not None and not 1 <= value.month <= 12:
            problem = ("month", "month_range", "month must be 1-12")
        elif value.day is not None and not 1 <= value.day <= last:
            problem = ("day", "day_range", f"day must be 1-{last} in that month")
        if problem is not None:
            self.add(f"{path}.{problem[0]}", problem[1], problem[2])
            return None
        return dt.date(value.year, value.month or 1, value.day or 1)

    def person(self, person: WantedPerson) -> None:
        """Names, birth, nationality and travel documents of a wanted person."""
        p = "subject"
        self.text(f"{p}.family_name", person.family_name)
        if person.name_script is not None and _SCRIPT.match(person.name_script) is None:
            self.add(f"{p}.name_script", "script_code", "must be an ISO 15924 code such as 'Arab'")
        if person.date_of_birth is not None:
            earliest = self.partial_date(f"{p}.date_of_birth", person.date_of_birth)
            if earliest is not None and earliest > self.now.date():
                self.add(f"{p}.date_of_birth", "birth_in_future", "is later than today")
        self.country(f"{p}.country_of_birth", person.country_of_birth)
        self.countries(f"{p}.nationalities", person.nationalities)
        for index, doc in enumerate(person.travel_documents):
            d = f"{p}.travel_documents[{index}]"
            if not is_icao_document_code(doc.doc_type):
                self.add(
                    f"{d}.doc_type",
                    "icao_document_code",
                    f"{doc.doc_type!r} is not an ICAO 9303 document code (P, PD, I, AC, V ...)",
                )
            if _DOC_NUMBER_TEXT.match(doc.number) is None or not (
                1 <= len(normalize_identifier(doc.number)) <= 20
            ):
                self.add(f"{d}.number", "document_number_format", "must be 1-20 letters or digits")
            self.country(f"{d}.issuing_country", doc.issuing_country)
            if doc.issued_on is not None and doc.issued_on > self.now.date():
                self.add(f"{d}.issued_on", "issued_in_future", "is later than today")
            if doc.issued_on and doc.expires_on and doc.expires_on <= doc.issued_on:
                self.add(f"{d}.expires_on", "expiry_before_issue", "must be after issued_on")
        body = person.physical_description
        if body is not None:
            if body.height_cm is not None and not 30 <= body.height_cm <= 272:
                self.add(f"{p}.physical_description.height_cm", "value_range", "must be 30-272")
            if body.weight_kg is not None and not 1 <= body.weight_kg <= 700:
                self.add(f"{p}.physical_description.weight_kg", "value_range", "must be 1-700")

    def identifier(self, path: str, kind: str, result: IdentifierCheck, rule: str) -> None:
        """Report a bad identifier shape or check digit under ``<kind>_format``/``_check_digit``."""
        if result == "bad_format":
            self.add(path, f"{kind}_format", f"is not a well-formed {rule}")
        elif result == "bad_check_digit":
            self.add(path, f"{kind}_check_digit", f"{rule} check digit does not match")

    def commodity(self, goods: Commodity) -> None:
        """Category rules, quantity, conveyance identifiers and route of a commodity."""
        p = "subject"
        drugs = goods.category in (CommodityCategory.DRUGS, CommodityCategory.PRECURSORS)
        if goods.drug_type is not None and not drugs:
            self.add(f"{p}.drug_type", "drug_type_not_drugs", "only DRUGS or PRECURSORS have one")
        if goods.category is CommodityCategory.DRUGS and goods.drug_type is None:
            self.add(f"{p}.drug_type", "drug_type_required", "DRUGS need a UNODC drug group")
        if goods.quantity is not None:
            self.quantity(f"{p}.quantity", goods.quantity)
        for index, conveyance in enumerate(goods.conveyances):
            self.conveyance(f"{p}.conveyances[{index}]", conveyance)
        if goods.route is not None:
            r = f"{p}.route"
            if goods.route.origin is not None:
                self.route_point(f"{r}.origin", goods.route.origin)
            for index, point in enumerate(goods.route.transit):
                self.route_point(f"{r}.transit[{index}]", point)
            if goods.route.destination is not None:
                self.route_point(f"{r}.destination", goods.route.destination)

    def quantity(self, q: str, quantity: Quantity) -> None:
        """A positive finite amount; a currency exactly when the unit is MONEY."""
        if not math.isfinite(quantity.amount) or quantity.amount <= 0:
            self.add(f"{q}.amount", "value_range", "must be a positive number")
        if quantity.unit is QuantityUnit.MONEY and quantity.currency is None:
            self.add(f"{q}.currency", "currency_required", "MONEY needs an ISO 4217 currency")
        elif quantity.currency is not None and quantity.unit is not QuantityUnit.MONEY:
            self.add(f"{q}.currency", "currency_without_money", "only MONEY has a currency")
        elif quantity.currency is not None and not is_iso4217(quantity.currency):
            self.add(f"{q}.currency", "currency_code", "is not an ISO 4217 currency code")

    def conveyance(self, c: str, conveyance: Conveyance) -> None:
        """The identifier follows the scheme its kind names, with its check digit."""
        ident, kind = conveyance.identifier, conveyance.kind
        path = f"{c}.identifier"
        checks = {
            ConveyanceKind.CONTAINER: ("container", check_container, "ISO 6346 container number"),
            ConveyanceKind.VESSEL_IMO: ("imo", check_imo, "IMO ship number"),
            ConveyanceKind.VEHICLE_VIN: ("vin", check_vin, "VIN (ISO 3779)"),
            ConveyanceKind.AIR_WAYBILL: ("awb", check_air_waybill, "IATA air waybill number"),
        }
        if kind in checks:
            name, check, rule = checks[kind]
            self.identifier(path, name, check(ident), rule)
        elif kind is ConveyanceKind.FLIGHT and not is_flight_number(ident):
            self.add(path, "flight_format", "is not a flight number like 'LH400'")
        elif kind is ConveyanceKind.VEHICLE_PLATE and conveyance.country is None:
            self.add(f"{c}.country", "plate_country_required", "a plate needs its country")
        self.text(path, ident)
        self.country(f"{c}.country", conveyance.country)

    def route_point(self, path: str, point: RoutePoint) -> None:
        """Country, UN/LOCODE (whose first two letters name the same country) and IATA code."""
        self.country(f"{path}.country", point.country)
        if point.locode is not None:
            if not is_locode(point.locode):
                self.add(f"{path}.locode", "locode_format", "is not a UN/LOCODE like 'NLRTM'")
            elif alpha2_to_alpha3(point.locode[:2]) != point.country:
                self.add(f"{path}.locode", "locode_country_mismatch", "names another country")
        if point.iata is not None and not is_iata_airport(point.iata):
            self.add(f"{path}.iata", "iata_format", "is not a three-letter IATA code")

    def threat(self, threat: ThreatAssessment) -> None:
        """Texts, countries and validity window of a threat assessment."""
        p = "subject"
        self.text(f"{p}.title", threat.title)
        self.text(f"{p}.summary", threat.summary)
        self.countries(f"{p}.countries", threat.countries)
        if threat.valid_until is not None and threat.valid_until <= threat.valid_from:
            self.add(f"{p}.valid_until", "validity_end_before_start", "must be after valid_from")

    def document(self, report: DocumentReport) -> None:
        """Number, issuing state and dates of a reported travel document."""
        p = "subject"
        number = normalize_identifier(report.document_number)
        if _DOC_NUMBER_TEXT.match(report.document_number) is None or not 1 <= len(number) <= 20:
            self.add(
                f"{p}.document_number",
                "document_number_format",
                "must be 1-20 letters or digits once normalized (ASCII, with spaces, dashes, "
                "dots, slashes or the MRZ filler '<' allowed)",
            )
        if not is_iso3(report.issuing_country):
            self.add(
                f"{p}.issuing_country",
                "country_code",
                f"{report.issuing_country!r} is not an ISO 3166-1 alpha-3 country code "
                "(map ICAO codes such as 'D' to 'DEU')",
            )
        if report.reported_at > self.now + CLOCK_SKEW:
            self.add(f"{p}.reported_at", "reported_in_future", "is later than now")
        if report.review_at is not None and report.review_at <= report.reported_at:
            self.add(f"{p}.review_at", "review_before_report", "must be after reported_at")
