"""Mapping helpers shared by the GCCPOL, AIMC, ECO, SCO and UNODC connectors.

Revision-numbered envelopes, 4x4 grading and handling codes as these formats write them,
native-calendar dates turned into ConnectorErrors with a path, and the substance names
(English, Arabic, Persian, Russian) of the drugs these regions seize.
"""

# Arabic-script letters and digits are this module's data, not look-alike typos:
# ruff: noqa: RUF001

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from zoneinfo import ZoneInfo

from connectors.base import ConnectorError
from connectors.formats.arabic import Calendar, CalendarError, NativeDate, parse_native_date
from gateway.contract import (
    CommodityCategory,
    DrugType,
    Envelope,
    HandlingCode,
    InformationAccuracy,
    MsgType,
    Org,
    PartialDate,
    Reference,
    SourceReliability,
    Status,
    Tlp,
)

__all__ = [
    "native_date",
    "native_partial",
    "parse_grading",
    "parse_handling",
    "revision_envelope",
    "substance_group",
    "zoned_instant",
]

_GRADING = re.compile(r"^\s*([ABCXabcx])\s*[-/ ]?\s*([1-4])\s*$")
_ACCURACY = {
    "1": InformationAccuracy.KNOWN_TRUE,
    "2": InformationAccuracy.KNOWN_TO_SOURCE,
    "3": InformationAccuracy.NOT_KNOWN_TO_SOURCE,
    "4": InformationAccuracy.CANNOT_BE_JUDGED,
}


def parse_grading(
    text: str | None, path: str, *, stage: str = "map"
) -> tuple[SourceReliability, InformationAccuracy]:
    """4x4 grading written 'B2', 'b-2' or 'B/2'; absent means X4 (cannot be judged)."""
    if text is None:
        return SourceReliability.X, InformationAccuracy.CANNOT_BE_JUDGED
    match = _GRADING.match(text)
    if match is None:
        raise ConnectorError.one(stage, path, "bad_grading", "grading must be A-C or X, then 1-4")
    return SourceReliability(match.group(1).upper()), _ACCURACY[match.group(2)]


def parse_handling(text: str | None, path: str, *, stage: str = "map") -> HandlingCode:
    """Handling code 'H0'..'H3' (also '0'..'3'); absent means H0."""
    if text is None:
        return HandlingCode.H0
    code = text.strip().upper()
    code = code if code.startswith("H") else f"H{code}"
    if code not in HandlingCode.__members__:
        raise ConnectorError.one(stage, path, "unknown_handling_code", "handling must be H0-H3")
    return HandlingCode(code)


def revision_envelope(
    *,
    org: Org,
    local_id: str,
    revision: int,
    withdrawn: bool,
    issued_at: dt.datetime,
    originating_country: str,
    tlp: Tlp,
    legal_basis: str,
    handling: HandlingCode = HandlingCode.H0,
    handling_note: str | None = None,
    grading: tuple[SourceReliability, InformationAccuracy] | None = None,
    expires_at: dt.datetime | None = None,
    release_to: tuple[str, ...] = (),
    deny: tuple[str, ...] = (),
    status: Status = Status.ACTUAL,
) -> Envelope:
    """Envelope of a record that carries its own revision number.

    Revision 1 is the ALERT, a later revision an UPDATE referencing the one before, and a
    withdrawal (itself a new revision) a CANCEL; the version is the revision number.
    """
    alert_id = f"{org.value}:{local_id}"
    msg_type = MsgType.ALERT if revision == 1 else MsgType.UPDATE
    if withdrawn:
        msg_type = MsgType.CANCEL
    references = (Reference(alert_id=alert_id, version=revision - 1),) if revision > 1 else ()
    reliability, accuracy = grading or (SourceReliability.X, InformationAccuracy.CANNOT_BE_JUDGED)
    return Envelope(
        alert_id=alert_id,
        version=revision,
        msg_type=msg_type,
        references=references,
        status=status,
        source_org=org,
        originating_country=originating_country,
        issued_at=issued_at,
        expires_at=expires_at,
        tlp=tlp,
        release_to_countries=release_to,
        deny_countries=deny,
        handling_code=handling,
        handling_note=handling_note,
        source_reliability=reliability,
        information_accuracy=accuracy,
        legal_basis=legal_basis,
    )


def native_date(
    text: str,
    path: str,
    calendar: Calendar | str | None = None,
    *,
    stage: str = "map",
) -> NativeDate:
    """Read a native date, turning calendar problems into a ConnectorError at ``path``."""
    try:
        return parse_native_date(text, calendar)
    except CalendarError as exc:
        raise ConnectorError.one(stage, path, exc.code, str(exc)) from None


def native_partial(date: NativeDate) -> PartialDate:
    """The contract's partial date for a native date (already checked by :func:`native_date`)."""
    year, month, day = date.gregorian()
    return PartialDate(year=year, month=month, day=day)


def zoned_instant(
    date: NativeDate,
    path: str,
    zone: str,
    time_text: str | None = None,
    *,
    end_of_day: bool = False,
) -> dt.datetime:
    """An aware instant from a native day and an optional local 'HH:MM' in a time zone."""
    try:
        day = date.gregorian_date()
    except CalendarError as exc:
        raise ConnectorError.one("map", path, exc.code, "an instant needs a full date") from None
    if time_text:
        try:
            clock = dt.time.fromisoformat(time_text.strip())
        except ValueError:
            raise ConnectorError.one("map", path, "bad_time", "time must be HH:MM") from None
    else:
        clock = dt.time(23, 59, 59) if end_of_day else dt.time(0, 0)
    return dt.datetime.combine(day, clock, tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)


_SUBSTANCES_TEXT = """
OPIOIDS: heroin, heroine, heroin base, brown sugar, opium, raw opium, morphine, morphine base,
 codeine, tramadol, fentanyl, هيروين, افيون, مورفين, ترامادول, هروئین, تریاک, مرفین, کراک,
 героин, опий, морфин
AMPHETAMINE_TYPE: methamphetamine, crystal meth, meth, amphetamine, captagon, fenethylline, ecstasy,
 mdma, كبتاغون, كبتاجون, ابتاغون, شبو, ميثامفيتامين, امفيتامين, شیشه, متامفتامین, آمفتامین,
 метамфетамин, амфетамин
CANNABIS: cannabis, hashish, hash, marijuana, charas, حشيش, ماريجوانا, قنب, حشیش, گراس, гашиш,
 марихуана, каннабис
COCAINE_TYPE: cocaine, crack, كوكايين, کوکائین, кокаин
NEW_PSYCHOACTIVE_SUBSTANCES: synthetic cannabinoids, spice, khat, mephedrone, قات, بيرقر
PRECURSORS: acetic anhydride, ephedrine, pseudoephedrine, انيدريد الخل, انیدرید استیک, ангидрид
"""
_PRECURSOR_GROUP = {
    "acetic anhydride": DrugType.OPIOIDS, "انيدريد الخل": DrugType.OPIOIDS,
    "انیدرید استیک": DrugType.OPIOIDS, "ангидрид": DrugType.OPIOIDS,
    "ephedrine": DrugType.AMPHETAMINE_TYPE, "pseudoephedrine": DrugType.AMPHETAMINE_TYPE,
}  # fmt: skip


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFC", text).lower().strip()
    return " ".join(text.replace("أ", "ا").replace("إ", "ا").replace("آ", "ا").split())


def _substance_index() -> dict[str, tuple[CommodityCategory, DrugType | None]]:
    index: dict[str, tuple[CommodityCategory, DrugType | None]] = {}
    current = ""
    for block in _SUBSTANCES_TEXT.strip().split("\n"):
        if not block.strip():
            continue
        if ":" in block:
            group, _, names = block.partition(":")
            current = group.strip()
        else:
            names = block
        for name in names.split(","):
            key = _fold(name)
            if not key:
                continue
            if current == "PRECURSORS":
                index[key] = (CommodityCategory.PRECURSORS, _PRECURSOR_GROUP.get(key))
            else:
                index[key] = (CommodityCategory.DRUGS, DrugType(current))
    return index


_SUBSTANCES = _substance_index()


def substance_group(name: str) -> tuple[CommodityCategory, DrugType | None] | None:
    """Category and UNODC drug group of a substance named in English, Arabic, Persian or Russian."""
    return _SUBSTANCES.get(_fold(name))
