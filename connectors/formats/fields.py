"""Small mapping helpers every connector needs: typed field access with precise error paths,
code words, organization lists and the dates a validity ends on.

Each helper raises :class:`~connectors.base.ConnectorError` with the field path and a
machine-readable code, so a bad native value ends in quarantine with a reason a person can
act on. Messages never quote the value itself: it may be personal data.
"""

from __future__ import annotations

import calendar
import math
import re
import unicodedata
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any, TypeVar

import orjson

from connectors.base import ConnectorError
from gateway.contract import Org, PartialDate, Tlp
from gateway.contract.identifiers import alpha2_to_alpha3, is_iso3

__all__ = [
    "Fields",
    "choice",
    "code_word",
    "country3",
    "flag",
    "full_date",
    "json_document",
    "json_object",
    "next_midnight",
    "orgs",
    "parse_instant",
    "parse_partial_date",
    "parse_tlp",
    "refusal",
]

T = TypeVar("T")
_ORGS = {o.value: o for o in Org}
# Codes some European systems write instead of ISO 3166 alpha-2 (Eurostat / EU protocol order).
_EU_ALPHA2 = {"EL": "GR", "UK": "GB"}
_TLP_WORDS = {
    "CLEAR": Tlp.CLEAR,
    "WHITE": Tlp.CLEAR,  # TLP 1.0 name of CLEAR
    "GREEN": Tlp.GREEN,
    "AMBER": Tlp.AMBER,
    "AMBER+STRICT": Tlp.AMBER_STRICT,
    "AMBER_STRICT": Tlp.AMBER_STRICT,
    "AMBER STRICT": Tlp.AMBER_STRICT,
    "RED": Tlp.RED,
}


class Fields:
    """Read typed values out of a parsed native record, naming the path on any error."""

    __slots__ = ("_data", "_prefix", "stage")

    def __init__(self, data: Mapping[str, Any], prefix: str = "", stage: str = "map") -> None:
        self._data = data
        self._prefix = prefix
        self.stage = stage

    def path(self, key: str) -> str:
        """The full path of ``key`` under this record."""
        return f"{self._prefix}.{key}" if self._prefix else key

    def fail(self, key: str, code: str, message: str) -> ConnectorError:
        """An error about ``key``, to raise."""
        return ConnectorError.one(self.stage, self.path(key), code, message)

    def raw(self, key: str) -> Any:
        """The value as parsed, or None."""
        return self._data.get(key)

    def text(self, key: str, *, required: bool = False) -> str | None:
        """A non-blank string with outer spaces removed; None when absent or blank."""
        value = self._data.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise self.fail(key, "missing_field", f"{key} is required")
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.fail(key, "wrong_type", f"{key} must be text")
        return str(value).strip()

    def need(self, key: str) -> str:
        """A required non-blank string."""
        value = self.text(key, required=True)
        assert value is not None  # text(required=True) raised otherwise
        return value

    def number(self, key: str) -> float | None:
        """A number (or numeric text); None when absent."""
        value = self._data.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            raise self.fail(key, "wrong_type", f"{key} must be a number")
        if not isinstance(value, int | float | str):
            raise self.fail(key, "wrong_type", f"{key} must be a number")
        try:
            text = value.strip().replace(",", ".") if isinstance(value, str) else value
            number = float(text)
        except (ValueError, OverflowError):  # not a number, or an integer past a float's range
            raise self.fail(key, "wrong_type", f"{key} must be a number") from None
        if not math.isfinite(number):  # JSON's NaN and Infinity, 1e999, "nan" as text
            raise self.fail(key, "wrong_type", f"{key} must be a finite number")
        return number

    def texts(self, key: str) -> list[str]:
        """A list of non-blank strings; a single string counts as a list of one."""
        value = self._data.get(key)
        if value is None:
            return []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise self.fail(key, "wrong_type", f"{key} must be a list of text")
        out: list[str] = []
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise self.fail(f"{key}[{i}]", "wrong_type", f"{key} items must be text")
            if item.strip():
                out.append(item.strip())
        return out

    def objects(self, key: str) -> list[Fields]:
        """A list of nested objects, each as Fields under its own path."""
        value = self._data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(key, "wrong_type", f"{key} must be a list of objects")
        out: list[Fields] = []
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                raise self.fail(f"{key}[{i}]", "wrong_type", f"{key} items must be objects")
            out.append(Fields(item, self.path(f"{key}[{i}]"), self.stage))
        return out

    def nested(self, key: str) -> Fields | None:
        """A nested object as Fields (its errors name the full path), None when absent."""
        value = self.raw(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise self.fail(key, "wrong_type", f"{key} must be an object")
        return Fields(value, self.path(key), self.stage)


def refusal(path: str, code: str, message: str, stage: str = "map") -> ConnectorError:
    """A one-reason ``ConnectorError`` about ``path`` (``map`` stage unless told), to raise."""
    return ConnectorError.one(stage, path, code, message)


def country3(code: str, path: str, *, stage: str = "map") -> str:
    """ISO alpha-3 from an alpha-2 or alpha-3 code (EU 'EL' and 'UK' accepted)."""
    text = code.strip().upper()
    if len(text) == 2:
        alpha3 = alpha2_to_alpha3(_EU_ALPHA2.get(text, text))
        if alpha3 is not None:
            return alpha3
    elif len(text) == 3 and is_iso3(text):
        return text
    raise ConnectorError.one(stage, path, "unknown_country", "not an ISO 3166 country code")


def parse_tlp(text: str, path: str, *, stage: str = "map") -> Tlp:
    """A FIRST TLP label as written ('TLP:AMBER+STRICT', 'amber', 'WHITE')."""
    word = text.strip().upper().removeprefix("TLP:").strip()
    try:
        return _TLP_WORDS[word]
    except KeyError:
        raise ConnectorError.one(stage, path, "unknown_tlp", "not a TLP 2.0 label") from None


def parse_instant(text: str, path: str, *, stage: str = "map") -> datetime:
    """An ISO 8601 instant ('2024-05-01T10:00:00Z'); a value without offset is UTC."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConnectorError.one(stage, path, "bad_timestamp", "not an ISO 8601 instant") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


_DIGITS = re.compile(r"^\d+$")


def parse_partial_date(
    year: str, month: str | None, day: str | None, path: str, *, stage: str = "map"
) -> PartialDate:
    """A Gregorian date known to the year, month or day, with each part range-checked."""
    parts = [p for p in (year, month, day) if p is not None]
    if not all(_DIGITS.match(p) for p in parts) or len(year) != 4:
        raise ConnectorError.one(stage, path, "bad_date", "date parts must be digits, YYYY first")
    y = int(year)
    m = int(month) if month is not None else None
    d = int(day) if day is not None else None
    if y < 1800 or (m is not None and not 1 <= m <= 12):
        raise ConnectorError.one(stage, path, "bad_date", "year or month out of range")
    if d is not None and (m is None or not 1 <= d <= calendar.monthrange(y, m)[1]):
        raise ConnectorError.one(stage, path, "bad_date", "day out of range for its month")
    return PartialDate(year=y, month=m, day=d)


def json_document(data: bytes | str, message: str, *, stage: str = "split") -> Any:
    """Parse a JSON document; a ``bad_json`` refusal at ``stage`` with ``message`` otherwise."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        raise ConnectorError.one(stage, "", "bad_json", message) from None


def json_object(data: bytes | str, what: str) -> dict[str, Any]:
    """Parse one record's JSON object; ``parse``-stage refusals for bad JSON or a non-object.

    ``what`` names the record in the message ("a notice", "a circular").
    """
    parsed = json_document(data, f"{what} is not valid JSON", stage="parse")
    if not isinstance(parsed, dict):
        raise ConnectorError.one("parse", "", "not_an_object", f"{what} is a JSON object")
    return parsed


def code_word(text: str) -> str:
    """A code word as the tables spell it: upper case, accents dropped, spaces and hyphens as
    ``_`` ('annulée' -> 'ANNULEE', 'Captura extradición' -> 'CAPTURA_EXTRADICION'): every
    run of other characters is one ``_``."""
    plain = unicodedata.normalize("NFKD", text.strip())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return re.sub(r"[^A-Z0-9]+", "_", plain.upper()).strip("_")


def choice(f: Fields, key: str, table: Mapping[str, T], default: T | None = None) -> T:
    """A field holding one of the format's code words (required unless a default is given).

    Case, accents and the spaces or hyphens between words do not matter: a code word typed
    with or without its accent is the same word in every format.
    """
    raw = f.text(key, required=default is None)
    if raw is None:
        assert default is not None  # text(required=True) raised otherwise
        return default
    for word in (raw.upper(), code_word(raw)):
        if word in table:
            return table[word]
    raise f.fail(key, "unknown_code", f"{key} must be one of {', '.join(table)}")


def flag(f: Fields, key: str, words: Mapping[str, bool], spelled: str) -> bool:
    """A yes/no field: JSON true or false (absent is false), or one of the format's words
    (``words`` as :func:`code_word` spells them: case and accents do not matter);
    ``spelled`` is how the refusal names those words ("oui/non")."""
    value = f.raw(key)
    if value is None or isinstance(value, bool):
        return bool(value)
    if isinstance(value, str) and (word := code_word(value)) in words:
        return words[word]
    raise f.fail(key, "wrong_type", f"{key} must be true/false or {spelled}")


def orgs(f: Fields | None, key: str) -> tuple[Org, ...]:
    """A list of organization codes (the contract's Org), duplicates dropped; () when absent."""
    if f is None:
        return ()
    names = [n.upper() for n in f.texts(key)]
    if any(n not in _ORGS for n in names):
        raise f.fail(key, "unknown_org", "not a Frontline organization code")
    return tuple(dict.fromkeys(_ORGS[n] for n in names))


def full_date(f: Fields, key: str, value: PartialDate | None, form: str) -> date | None:
    """A partial date that must be complete here (``form`` names the format's spelling)."""
    if value is None:
        return None
    if value.month is None or value.day is None:
        raise f.fail(key, "bad_date", f"a full {form} date is required here")
    return date(value.year, value.month, value.day)


def next_midnight(f: Fields, key: str, day: date | None, tz: tzinfo | None) -> datetime | None:
    """When a validity written as a bare date ends: the next midnight, in ``tz``."""
    if day is None:
        return None
    try:
        return datetime.combine(day + timedelta(days=1), datetime.min.time(), tz)
    except OverflowError:
        raise f.fail(key, "bad_date", "date out of range") from None
