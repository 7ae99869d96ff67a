"""ASEANAPOL connector: CSV person records, family name first, mononyms, Thai and Vietnamese.

A payload is a UTF-8 CSV file (comma-separated, a header row naming the columns, quoted
fields as RFC 4180); one row is one wanted person. A record's original bytes are the header
line plus its row, so a quarantined record replays as is.

The difficulty is names:

- ``full_name`` is written family name first, the family name in capitals (``NGUYEN Van
  An``, ``TAN Wei Ming``, ``JAIDEE Somchai``), or with a comma (``DELA CRUZ, Juan Santos``).
  Without a comma, the leading all-capital words are the family name; if every word is in
  capitals, the first word is.
- ``name_form: SINGLE`` marks names that have no family name at all: Indonesian and Myanmar
  mononyms (``Sutrisno``, ``Aung Kyaw Moe``) and Malay patronymics (``Ahmad bin Ismail``).
  As ICAO 9303 does, the whole name goes into the primary identifier (``family_name``) and
  there are no given names.
- ``native_name`` holds the name in its original script and native order, with its ISO 15924
  ``native_script``: Thai is given name first (``สมชาย ใจดี``), Vietnamese (``Latn``),
  Khmer and Chinese family name first. It fills the ``*_original`` fields. The Latin fields
  are ASCII: Vietnamese diacritics are folded (``Nguyễn`` -> ``Nguyen``, ``Đ`` -> ``D``) and
  the diacritic form kept as the original; a Thai name without a Latin form is transliterated
  with anyascii.
- Thai agencies may write Buddhist Era years (BE = CE + 543): a year of 2400 or more in a
  ``dd/mm/yyyy`` or ``yyyy`` date is BE and converted.
- ``source_grade`` is the analysts' combined 4x4 grade, e.g. ``B2``.

Updates and cancels: ``revision`` (1, 2, ...) is ASEANAPOL's revision number and becomes the
alert version. ``record_status`` NEW (revision 1) is an ALERT, AMENDED an UPDATE and WITHDRAWN
a CANCEL (no subject), both referencing the previous revision. Re-reading a file yields the
same ids and versions. ``expires_on`` is a date (valid to its end) or an ISO 8601 instant.
Every column is described in docs/connectors/aseanapol.md.

Stolen and lost travel documents (e-ADS documents export): a CSV with the same envelope
columns whose header has ``doc_status`` instead of the person columns (:data:`DOC_COLUMNS`);
each row is a travel-document alert. ``doc_no`` as printed, ``doc_country`` the issuing state
(ICAO code such as ``D``, or ISO alpha-2/3), ``doc_type`` an ICAO 9303 code or a word,
``doc_status`` one of LOST, STOLEN, BLANK STOLEN (or STOLEN BLANK), REVOKED, CANCELLED (the
issuer cancelled it: INVALIDATED); ``reported_on`` and ``review_on`` are ``dd/mm/yyyy`` dates
(Buddhist Era years converted), taken at the start of the day in ``last_modified``'s zone.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from datetime import date, datetime, time, tzinfo
from typing import Any, ClassVar

from anyascii import anyascii

from connectors.base import Connector, ConnectorError, RawRecord
from connectors.formats.documents import document_type, issuing_state, status_of
from connectors.formats.fields import (
    Fields,
    choice,
    country3,
    full_date,
    next_midnight,
    parse_instant,
    parse_partial_date,
    parse_tlp,
)
from gateway.contract import (
    AnyAlert,
    DocumentReport,
    DocumentStatus,
    Envelope,
    HandlingCode,
    InformationAccuracy,
    MsgType,
    Org,
    PartialDate,
    PersonAction,
    PersonCategory,
    PhysicalDescription,
    Reference,
    Sex,
    SourceReliability,
    Status,
    TravelDocument,
    TravelDocumentAlert,
    WantedPerson,
    WantedPersonAlert,
)
from gateway.contract.identifiers import normalize_identifier

__all__ = [
    "BUDDHIST_ERA_OFFSET",
    "COLUMNS",
    "DOC_COLUMNS",
    "DOC_STATUS_WORDS",
    "AseanapolConnector",
    "split_family_first",
]

# The export's columns, in order; a Thai year of 2400 or more is Buddhist Era.
COLUMNS = (
    "ref_no", "revision", "record_status", "last_modified", "mode", "issuing_country", "tlp",
    "handling_code", "handling_note", "source_grade", "legal_basis", "release_countries",
    "deny_countries", "expires_on", "full_name", "name_form", "native_name", "native_script",
    "aliases", "sex", "dob", "pob", "birth_country", "nationalities", "doc_type", "doc_no",
    "doc_country", "doc_expiry", "category", "action", "offences", "armed", "violent",
    "height_cm", "marks",
)  # fmt: skip
BUDDHIST_ERA_OFFSET = 543
# The documents export's columns: the envelope columns, then the document's.
DOC_COLUMNS = (
    *COLUMNS[:14], "doc_type", "doc_no", "doc_country", "doc_status", "reported_on",
    "review_on",
)  # fmt: skip
DOC_STATUS_WORDS: dict[str, DocumentStatus] = {
    "LOST": DocumentStatus.LOST,
    "STOLEN": DocumentStatus.STOLEN,
    "BLANK_STOLEN": DocumentStatus.STOLEN_BLANK,
    "STOLEN_BLANK": DocumentStatus.STOLEN_BLANK,
    "REVOKED": DocumentStatus.REVOKED,
    "CANCELLED": DocumentStatus.INVALIDATED,
}


_REQUIRED_COLUMNS = frozenset({"ref_no", "revision", "record_status", "last_modified"})
_STATUS = {"NEW": MsgType.ALERT, "AMENDED": MsgType.UPDATE, "WITHDRAWN": MsgType.CANCEL}
_MODE = {"LIVE": Status.ACTUAL, "EXERCISE": Status.EXERCISE, "TEST": Status.TEST}
_SEX = {"M": Sex.MALE, "F": Sex.FEMALE, "X": Sex.UNSPECIFIED}
_CATEGORY = {
    "WANTED": PersonCategory.ARREST_FOR_EXTRADITION, "LOCATE": PersonCategory.LOCATE,
    "WARNING": PersonCategory.WARNING, "MISSING": PersonCategory.MISSING,
    "FTF": PersonCategory.FOREIGN_TERRORIST_FIGHTER,
}  # fmt: skip
_ACTION = {
    "ARREST": PersonAction.ARREST, "DETAIN_NOTIFY": PersonAction.DETAIN_AND_CONTACT_NODE,
    "DISCREET_CHECK": PersonAction.DISCREET_CHECK, "REFUSE_ENTRY": PersonAction.REFUSE_ENTRY,
    "INFORM": PersonAction.INFORM,
}  # fmt: skip
_HANDLING = {c.value: c for c in HandlingCode}
_RELIABILITY = {c.value: c for c in SourceReliability}
_ACCURACY = {a.code: a for a in InformationAccuracy}
_FLAG = {"Y": True, "YES": True, "N": False, "NO": False}
_FORMS = {"FAMILY_FIRST": False, "SINGLE": True}
# Scripts whose native order puts the given name first; Myanmar names have no family name.
_GIVEN_FIRST_SCRIPTS = frozenset({"Thai", "Laoo"})
_NO_FAMILY_SCRIPTS = frozenset({"Mymr"})
_DATE = re.compile(r"^(?:(\d{1,2})/(\d{1,2})/)?(\d{4})$")
_SCRIPT = re.compile(r"^[A-Z][a-z]{3}$")
_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T")


def split_family_first(name: str) -> tuple[str, str | None]:
    """'NGUYEN Van An' -> ('NGUYEN', 'Van An'); 'DELA CRUZ, Juan' -> ('DELA CRUZ', 'Juan')."""
    if "," in name:
        family, _, given = name.partition(",")
        return family.strip(), given.strip() or None
    words = name.split()
    if len(words) < 2:
        return name.strip(), None
    capitals = 0
    while capitals < len(words) and words[capitals].isupper():
        capitals += 1
    cut = capitals if 0 < capitals < len(words) else 1
    return " ".join(words[:cut]), " ".join(words[cut:])


def _list(f: Fields, key: str, sep: str = ";") -> list[str]:
    raw = f.text(key)
    return [] if raw is None else [item.strip() for item in raw.split(sep) if item.strip()]


def _countries(f: Fields, key: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(country3(c, key) for c in _list(f, key)))


def _partial_date(f: Fields, key: str) -> PartialDate | None:
    """``dd/mm/yyyy`` or ``yyyy``; a year of 2400 or more is Buddhist Era."""
    raw = f.text(key)
    if raw is None:
        return None
    match = _DATE.match(raw)
    if match is None:
        raise f.fail(key, "bad_date", "write dd/mm/yyyy or yyyy")
    day, month, year = match.groups()
    if int(year) >= 2400:
        year = str(int(year) - BUDDHIST_ERA_OFFSET)
    return parse_partial_date(year, month, day, key)


def _full_date(f: Fields, key: str) -> date | None:
    return full_date(f, key, _partial_date(f, key), "dd/mm/yyyy")


def _latin(text: str) -> str:
    """ASCII Latin form: Vietnamese diacritics folded, other scripts transliterated."""
    return text if text.isascii() else " ".join(anyascii(text).split())


def _names(f: Fields) -> dict[str, Any]:
    """Latin and original-script names from ``full_name``, ``native_name`` and their forms."""
    single = choice(f, "name_form", _FORMS, default=False)
    full, native = f.text("full_name"), f.text("native_name")
    script = f.text("native_script")
    if native is not None and (script is None or _SCRIPT.match(script) is None):
        raise f.fail("native_script", "script_code", "an ISO 15924 code such as Thai or Latn")
    if full is None and native is None:
        raise f.fail("full_name", "missing_field", "full_name or native_name is required")
    if native is None and full is not None and not full.isascii():
        native, script = full, "Latn"  # Vietnamese with its diacritics in the Latin column
        full = None
    original: tuple[str | None, str | None] = (None, None)
    if native is not None:
        words = native.split()
        if single or script in _NO_FAMILY_SCRIPTS or len(words) < 2:
            original = (native, None)
        elif script in _GIVEN_FIRST_SCRIPTS:
            original = (words[-1], " ".join(words[:-1]))
        else:
            original = split_family_first(native) if script == "Latn" else (
                words[0], " ".join(words[1:]))  # fmt: skip
    if full is not None:
        latin = (full, None) if single else split_family_first(full)
    else:
        given = original[1] and _latin(original[1]).title()
        latin = (_latin(original[0] or "").upper(), given)
    return {
        "family_name": latin[0], "given_names": latin[1] or None,
        "family_name_original": original[0], "given_names_original": original[1] or None,
        "name_script": script if native is not None else None,
    }  # fmt: skip


def _person(f: Fields) -> WantedPerson:
    doc_no = f.text("doc_no")
    documents: tuple[TravelDocument, ...] = ()
    if doc_no is not None:
        documents = (
            TravelDocument(
                doc_type=f.need("doc_type").upper(), number=normalize_identifier(doc_no),
                issuing_country=country3(f.need("doc_country"), "doc_country"),
                expires_on=_full_date(f, "doc_expiry"),
            ),
        )  # fmt: skip
    height, marks = f.number("height_cm"), f.text("marks")
    description = None
    if height is not None or marks is not None:
        description = PhysicalDescription(
            height_cm=None if height is None else round(height), distinguishing_marks=marks
        )
    birth_country = f.text("birth_country")
    return WantedPerson(
        **_names(f),
        aliases=tuple(_list(f, "aliases", "|")),
        sex=choice(f, "sex", _SEX, Sex.UNSPECIFIED),
        date_of_birth=_partial_date(f, "dob"),
        place_of_birth=f.text("pob"),
        country_of_birth=birth_country and country3(birth_country, "birth_country"),
        nationalities=_countries(f, "nationalities"),
        travel_documents=documents,
        physical_description=description,
        category=choice(f, "category", _CATEGORY),
        offences=tuple(_list(f, "offences", "|")),
        action=choice(f, "action", _ACTION),
        armed=choice(f, "armed", _FLAG, False),
        violent=choice(f, "violent", _FLAG, False),
    )


def _start_of_day(f: Fields, key: str, tz: tzinfo | None) -> datetime | None:
    """A ``dd/mm/yyyy`` date (Buddhist Era converted) at its first instant in zone ``tz``."""
    day = _full_date(f, key)
    return None if day is None else datetime.combine(day, time(), tz)


def _document(f: Fields, tz: tzinfo | None) -> DocumentReport:
    """One e-ADS stolen or lost travel document."""
    reported = _start_of_day(f, "reported_on", tz)
    if reported is None:
        raise f.fail("reported_on", "missing_field", "when the loss or theft was reported")
    return DocumentReport(
        document_number=f.need("doc_no"),
        issuing_country=issuing_state(f.need("doc_country"), "doc_country"),
        document_type=document_type(f.need("doc_type"), "doc_type"),
        status=status_of(f.need("doc_status"), "doc_status", DOC_STATUS_WORDS),
        reported_at=reported,
        review_at=_start_of_day(f, "review_on", tz),
    )


def _end_of_day(f: Fields, key: str, tz: tzinfo | None) -> datetime | None:
    """When a validity ends: an ISO 8601 instant, or a ``dd/mm/yyyy`` date's next midnight."""
    if _INSTANT.match(f.text(key) or "") is not None:
        return parse_instant(f.need(key), key)
    return next_midnight(f, key, _full_date(f, key), tz)


def _envelope(f: Fields) -> Envelope:
    alert_id = f"ASEANAPOL:{f.need('ref_no')}"
    revision = f.number("revision")
    if revision is None or revision != int(revision) or not 1 <= revision < 2**31:
        raise f.fail("revision", "bad_revision", "revision must be a whole number from 1")
    version = int(revision)
    msg_type = choice(f, "record_status", _STATUS)
    if (msg_type is MsgType.ALERT) != (version == 1):
        raise f.fail("record_status", "status_revision_mismatch", "NEW is revision 1, only")
    grade = f.need("source_grade").upper()
    if len(grade) != 2 or grade[0] not in _RELIABILITY or grade[1] not in _ACCURACY:
        raise f.fail("source_grade", "bad_grade", "a 4x4 grade such as B2 (A/B/C/X, 1-4)")
    issued_at = parse_instant(f.need("last_modified"), "last_modified")
    return Envelope(
        alert_id=alert_id,
        version=version,
        msg_type=msg_type,
        references=(Reference(alert_id=alert_id, version=version - 1),) if version > 1 else (),
        status=choice(f, "mode", _MODE, Status.ACTUAL),
        source_org=Org.ASEANAPOL,
        originating_country=country3(f.need("issuing_country"), "issuing_country"),
        issued_at=issued_at,
        expires_at=_end_of_day(f, "expires_on", issued_at.tzinfo),
        tlp=parse_tlp(f.need("tlp"), "tlp"),
        release_to_countries=_countries(f, "release_countries"),
        deny_countries=_countries(f, "deny_countries"),
        handling_code=choice(f, "handling_code", _HANDLING),
        handling_note=f.text("handling_note"),
        source_reliability=_RELIABILITY[grade[0]],
        information_accuracy=_ACCURACY[grade[1]],
        legal_basis=f.need("legal_basis"),
    )


def _lines(text: str) -> Iterator[str]:
    """Lines ended by '\n' only, so a lone '\r' inside a quoted field stays in its line."""
    start = 0
    while start < len(text):
        end = text.find("\n", start) + 1 or len(text)
        yield text[start:end]
        start = end


def _rows(text: str) -> Iterator[tuple[list[str], str]]:
    """Each CSV row with the exact text it was read from (a quoted field may span lines)."""
    consumed: list[str] = []

    def lines() -> Iterator[str]:
        for line in _lines(text):
            consumed.append(line)
            yield line

    for row in csv.reader(lines(), strict=True):
        raw = "".join(consumed)
        consumed.clear()
        yield row, raw


class AseanapolConnector(Connector):
    """ASEANAPOL persons: CSV, family name first, mononyms, Thai and Vietnamese names."""

    org: ClassVar[str] = "ASEANAPOL"
    format_name: ClassVar[str] = "ASEANAPOL person CSV and e-ADS travel documents CSV"
    description: ClassVar[str] = (
        "UTF-8 CSV with a header row: names family first (capitals) or single names, "
        "Thai/Vietnamese original script, Buddhist Era years, combined 4x4 source grade; "
        "a header with doc_status: stolen/lost travel documents"
    )
    extensions: ClassVar[tuple[str, ...]] = (".csv",)
    sample_file: ClassVar[str] = "aseanapol.csv"
    extra_samples: ClassVar[tuple[str, ...]] = ("aseanapol_documents.csv",)

    def split(self, payload: bytes, source: str) -> Iterator[RawRecord]:
        """One record per data row, each carrying the header line and its own row."""
        try:
            text = payload.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ConnectorError.one("split", "", "not_utf8", "the CSV must be UTF-8") from None
        header_end = text.find("\n") + 1 or len(text)
        header = text[:header_end]
        try:
            names = {h.strip() for h in next(csv.reader([header.strip()]), [])}
        except csv.Error:
            names = set()
        missing = sorted(_REQUIRED_COLUMNS - names)
        if missing:
            raise ConnectorError.one(
                "split", "", "bad_header", f"the header row lacks {', '.join(missing)}"
            )
        index, offset = 0, header_end
        try:
            for row, raw in _rows(text[header_end:]):
                if any(cell.strip() for cell in row):
                    yield RawRecord(self.org, source, index, (header + raw).encode())
                    index += 1
                offset += len(raw)
        except csv.Error:  # an unbalanced quote: the rest of the file is one refused record
            yield RawRecord(self.org, source, index, (header + text[offset:]).encode())

    def to_alert(self, record: RawRecord) -> AnyAlert:
        """Map one CSV row to a wanted-person alert."""
        try:
            rows = list(csv.reader(_lines(record.data.decode("utf-8")), strict=True))
        except (csv.Error, UnicodeDecodeError):
            raise ConnectorError.one("parse", "", "bad_csv", "the row is not valid CSV") from None
        rows = [r for r in rows if any(c.strip() for c in r)]
        if len(rows) != 2:
            raise ConnectorError.one("parse", "", "bad_csv", "expected a header and one row")
        header, values = rows
        if len(values) != len(header):
            raise ConnectorError.one(
                "parse", "", "column_count", f"{len(values)} fields for {len(header)} columns"
            )
        f = Fields({h.strip(): v for h, v in zip(header, values, strict=True)})
        envelope = _envelope(f)
        cancel = envelope.msg_type is MsgType.CANCEL
        if f.raw("doc_status") is not None:  # the documents export
            tz = envelope.issued_at.tzinfo
            return TravelDocumentAlert(
                envelope=envelope, subject=None if cancel else _document(f, tz)
            )
        return WantedPersonAlert(envelope=envelope, subject=None if cancel else _person(f))
