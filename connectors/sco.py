"""SCO (observer): RATS threat assessments as a tab-separated export with Russian headers.

The Shanghai Cooperation Organisation's Regional Anti-Terrorist Structure (Tashkent)
exports its register from an office suite: tab-separated, one header row in Russian,
UTF-8 (with or without BOM) or Windows-1251, quoted multi-line summaries, ``dd.mm.yyyy``
dates (Tashkent time), country names in Russian or ISO codes, lists split by ``;``.

Columns: ``Номер`` (id), ``Редакция`` (revision), ``Статус`` (``действует``, ``изменён``,
``отозван``), ``Тип`` (``оценка угрозы``; operational kinds ``розыск`` and ``груз``),
``Страна`` (issuing country), ``Дата``, ``Гриф`` (TLP, also in Russian: ``ЗЕЛЁНЫЙ`` ...),
``Заголовок``, ``Резюме``, ``Угроза`` (threat type in Russian), ``Регионы``, ``Страны``,
``Действует с``, ``Действует до``; for ``розыск`` also ``Фамилия``, ``Имя``,
``Дата рождения``, ``Гражданство``; for ``груз`` also ``Вещество``, ``Количество, кг``.

The SCO is an observer: only threat assessments are published. A ``розыск`` (wanted
person) or ``груз`` (shipment) row is still mapped to its kind, so the pipeline refuses it
precisely with ``observer_operational``; when it cannot even be mapped, the refusal
carries that code too. Each record's original bytes are the header and its row,
re-written as UTF-8 TSV.

Updates and cancels: ``Редакция`` numbers versions; revision 1 is an ALERT, a later one
an UPDATE, ``отозван`` (withdrawn, itself a new revision) a CANCEL; version = revision.
"""

# Cyrillic headers and values are this module's data, not look-alike typos:
# ruff: noqa: RUF001, RUF002

from __future__ import annotations

import csv
import datetime as dt
import gettext
import io
import unicodedata
from collections.abc import Iterator
from functools import cache
from typing import ClassVar

import pycountry
from anyascii import anyascii

from connectors.base import Connector, ConnectorError, RawRecord
from connectors.formats.fields import country3, parse_tlp, refusal
from connectors.formats.native import (
    native_date,
    native_partial,
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
    Envelope,
    MsgType,
    Org,
    PersonAction,
    PersonCategory,
    Quantity,
    QuantityUnit,
    ThreatAssessment,
    ThreatAssessmentAlert,
    ThreatType,
    Tlp,
    WantedPerson,
    WantedPersonAlert,
)
from gateway.kafka.quarantine import Reason

__all__ = ["COLUMNS", "DENY_COLUMN", "RELEASE_COLUMN", "ZONE", "ScoConnector", "country"]

ZONE = "Asia/Tashkent"  # the RATS Executive Committee dates its register in Tashkent
LEGAL_BASIS = "Shanghai Convention on Combating Terrorism, Separatism and Extremism (2001)"
COLUMNS = (
    "Номер", "Редакция", "Статус", "Тип", "Страна", "Дата", "Гриф", "Заголовок", "Резюме",
    "Угроза", "Регионы", "Страны", "Действует с", "Действует до",
)  # fmt: skip
# Optional columns: countries named for release and countries denied, as in Страны.
RELEASE_COLUMN, DENY_COLUMN = "Рассылка", "Не передавать"
_REQUIRED = ("Номер", "Тип", "Страна", "Дата", "Гриф")
_STATUSES = {"действует": False, "изменён": False, "изменен": False, "отозван": True}
_THREATS = {
    "терроризм": ThreatType.TERRORISM, "экстремизм": ThreatType.TERRORISM,
    "сепаратизм": ThreatType.TERRORISM,
    "незаконный оборот наркотиков": ThreatType.DRUG_TRAFFICKING,
    "наркотрафик": ThreatType.DRUG_TRAFFICKING,
    "незаконный оборот оружия": ThreatType.FIREARMS_TRAFFICKING,
    "торговля людьми": ThreatType.HUMAN_TRAFFICKING,
    "незаконная миграция": ThreatType.MIGRANT_SMUGGLING,
    "киберпреступность": ThreatType.CYBERCRIME,
    "организованная преступность": ThreatType.ORGANIZED_CRIME, "иное": ThreatType.OTHER,
}  # fmt: skip
_TLP_RU = {
    "БЕЛЫЙ": "CLEAR", "ПРОЗРАЧНЫЙ": "CLEAR", "ЗЕЛЁНЫЙ": "GREEN", "ЗЕЛЕНЫЙ": "GREEN",
    "ЖЁЛТЫЙ": "AMBER", "ЖЕЛТЫЙ": "AMBER", "ЯНТАРНЫЙ": "AMBER", "КРАСНЫЙ": "RED",
}  # fmt: skip
_COUNTRY_EXTRA = {"россия": "RUS", "кыргызстан": "KGZ", "кнр": "CHN", "иран": "IRN"}

Row = dict[str, str]


def _fold(text: str) -> str:
    """Lower case, ё as е, no stress accents (the catalogue writes Респу́блика)."""
    text = unicodedata.normalize("NFD", text.lower()).replace("\u0301", "")
    return " ".join(unicodedata.normalize("NFC", text).replace("ё", "е").split())


@cache
def _russian_countries() -> dict[str, str]:
    catalogue = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["ru"])
    index = {_fold(k): v for k, v in _COUNTRY_EXTRA.items()}
    for country in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            english = getattr(country, attr, None)
            if english:
                index.setdefault(_fold(catalogue.gettext(english)), country.alpha_3)
    return index


def country(text: str, path: str) -> str:
    """ISO alpha-3 of a country given as an ISO code or by its Russian name."""
    if text.isascii():
        return country3(text, path)
    found = _russian_countries().get(_fold(text))
    if found is None:
        raise refusal(path, "unknown_country", "not a country name the ISO catalogue knows")
    return found


def _decode(payload: bytes) -> str:
    try:
        return payload.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return payload.decode("cp1251")  # a wrong guess fails the headers
    except UnicodeDecodeError:  # 0x98 is the one byte Windows-1251 leaves undefined
        raise refusal(
            "", "bad_encoding", "the export is neither UTF-8 nor Windows-1251", "split"
        ) from None


class ScoConnector(Connector):
    """SCO RATS threat assessments; operational rows are mapped and then refused."""

    org: ClassVar[str] = "SCO"
    format_name: ClassVar[str] = "SCO RATS register, Russian TSV"
    description: ClassVar[str] = (
        "Threat assessments as tab-separated rows with Russian headers; UTF-8 or "
        "Windows-1251, dd.mm.yyyy dates; wanted-person rows are refused (observer)."
    )
    extensions: ClassVar[tuple[str, ...]] = (".tsv", ".txt")
    sample_file: ClassVar[str] = "sco.tsv"

    def split(self, payload: bytes, source: str) -> Iterator[RawRecord]:
        """One record per data row, carried as a UTF-8 TSV of the header and that row."""
        try:
            rows = list(csv.reader(io.StringIO(_decode(payload), newline=""), delimiter="\t"))
        except csv.Error as exc:  # a cell past the csv module's 128 KiB limit, say
            raise refusal("", "bad_tsv", f"not a readable TSV export ({exc})", "split") from None
        rows = [r for r in rows if any(cell.strip() for cell in r)]
        if not rows:
            raise refusal("", "empty_payload", "no header row", "split")
        header = [h.strip() for h in rows[0]]
        missing = [c for c in _REQUIRED if c not in header]
        if missing:
            raise refusal(
                missing[0], "missing_column",
                f"header lacks {', '.join(missing)} (or is not UTF-8 / Windows-1251)", "split",
            )  # fmt: skip
        for index, row in enumerate(rows[1:]):
            out = io.StringIO()
            writer = csv.writer(out, delimiter="\t", lineterminator="\n")
            writer.writerows([header, row])
            yield RawRecord(self.org, source, index, out.getvalue().encode())

    def to_alert(self, record: RawRecord) -> AnyAlert:
        """Map one row to a threat assessment, or an operational row to its own kind."""
        rows = list(
            csv.reader(io.StringIO(record.data.decode("utf-8"), newline=""), delimiter="\t")
        )
        if len(rows) != 2 or len(rows[1]) != len(rows[0]):  # a cut file loses its last cells
            raise refusal("", "bad_row", "a row must have one cell per header column", "parse")
        row: Row = {h: v.strip() for h, v in zip(rows[0], rows[1], strict=False)}
        kind = _fold(row.get("Тип", ""))
        envelope = _envelope(row)
        cancel = envelope.msg_type is MsgType.CANCEL
        if kind == "оценка угрозы":
            subject = None if cancel else _threat(row, envelope)
            return ThreatAssessmentAlert(envelope=envelope, subject=subject)
        if kind not in ("розыск", "груз"):
            raise refusal("Тип", "unknown_type", "Тип must be оценка угрозы (or розыск, груз)")
        try:
            if kind == "розыск":
                return WantedPersonAlert(
                    envelope=envelope, subject=None if cancel else _person(row)
                )
            return CommodityAlert(envelope=envelope, subject=None if cancel else _goods(row))
        except ConnectorError as exc:  # still say first what is wrong with the row
            raise ConnectorError(
                "map",
                [_observer_reason(kind), *exc.reasons],
            ) from None


def _observer_reason(kind: str) -> Reason:
    return Reason("Тип", "observer_operational", f"SCO is an observer: {kind} rows are refused")


def _instant(row: Row, column: str, *, end_of_day: bool = False) -> dt.datetime | None:
    """A ``dd.mm.yyyy`` day (Tashkent), with an optional ``HH:MM[:SS]`` after it."""
    text = row.get(column, "")
    if not text:
        return None
    day, _, clock = text.partition(" ")
    return zoned_instant(
        native_date(day, column, "gregorian"), column, ZONE, clock.strip() or None,
        end_of_day=end_of_day,
    )  # fmt: skip


def _envelope(row: Row) -> Envelope:
    local_id = row.get("Номер", "")
    if not local_id:
        raise refusal("Номер", "missing_field", "Номер is required")
    revision = row.get("Редакция") or "1"
    if not revision.isdigit() or not 1 <= int(revision) < 2**31:
        raise refusal("Редакция", "bad_revision", "Редакция must be a whole number from 1")
    status = _fold(row.get("Статус") or "действует")
    if status not in _STATUSES:
        raise refusal("Статус", "unknown_state", "Статус must be действует, изменён or отозван")
    issued = _instant(row, "Дата")
    if issued is None:
        raise refusal("Дата", "missing_field", "Дата is required")
    label = row.get("Гриф", "").upper()
    label = _TLP_RU.get(label.removeprefix("TLP:").strip(), label)
    return revision_envelope(
        org=Org.SCO,
        local_id=local_id,
        revision=int(revision),
        withdrawn=_STATUSES[status],
        issued_at=issued,
        expires_at=_instant(row, "Действует до", end_of_day=True),
        originating_country=country(row.get("Страна", ""), "Страна"),
        tlp=parse_tlp(label, "Гриф") if label else Tlp.GREEN,
        release_to=tuple(
            country(c, f"{RELEASE_COLUMN}[{i}]") for i, c in enumerate(_listed(row, RELEASE_COLUMN))
        ),
        deny=tuple(
            country(c, f"{DENY_COLUMN}[{i}]") for i, c in enumerate(_listed(row, DENY_COLUMN))
        ),
        legal_basis=LEGAL_BASIS,
    )


def _listed(row: Row, column: str) -> list[str]:
    return [x.strip() for x in row.get(column, "").split(";") if x.strip()]


def _threat(row: Row, envelope: Envelope) -> ThreatAssessment:
    title, summary = row.get("Заголовок", ""), row.get("Резюме", "")
    if not title or not summary:
        raise refusal("Заголовок" if not title else "Резюме", "missing_field", "title and summary")
    threat_text = _fold(row.get("Угроза") or "иное")
    if threat_text not in _THREATS:
        raise refusal("Угроза", "unknown_threat_type", "Угроза is not in the RATS list")
    return ThreatAssessment(
        title=title,
        summary=summary,
        threat_type=_THREATS[threat_text],
        regions=tuple(_listed(row, "Регионы")),
        countries=tuple(country(c, f"Страны[{i}]") for i, c in enumerate(_listed(row, "Страны"))),
        valid_from=_instant(row, "Действует с") or envelope.issued_at,
        valid_until=_instant(row, "Действует до", end_of_day=True),
    )


def _person(row: Row) -> WantedPerson:
    family = row.get("Фамилия", "")
    if not family:
        raise refusal("Фамилия", "missing_field", "a wanted-person row needs Фамилия")
    given = row.get("Имя") or None
    birth = row.get("Дата рождения", "")
    return WantedPerson(
        family_name=anyascii(family),
        given_names=anyascii(given) if given else None,
        family_name_original=family,
        given_names_original=given,
        name_script="Cyrl",
        date_of_birth=native_partial(native_date(birth, "Дата рождения", "gregorian"))
        if birth
        else None,
        nationalities=tuple(
            country(c, f"Гражданство[{i}]") for i, c in enumerate(_listed(row, "Гражданство"))
        ),
        category=PersonCategory.FOREIGN_TERRORIST_FIGHTER,
        action=PersonAction.INFORM,
    )


def _goods(row: Row) -> Commodity:
    name = row.get("Вещество", "")
    group = substance_group(name) if name else None
    amount = row.get("Количество, кг", "").replace(",", ".")
    try:
        quantity = Quantity(amount=float(amount), unit=QuantityUnit.KILOGRAM) if amount else None
    except ValueError:
        raise refusal("Количество, кг", "bad_quantity", "a number of kilograms") from None
    return Commodity(
        category=group[0] if group else CommodityCategory.OTHER,
        drug_type=group[1] if group else None,
        substance=name or None,
        quantity=quantity,
        action=CommodityAction.INFORM,
    )
