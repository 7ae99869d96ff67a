"""Identifier checks with their published check-digit rules, ICAO document codes and countries.

``normalize_identifier`` is the one normalizer of document, container, ship, vehicle and plate
numbers: the hub links duplicates on it and the border post screens on it, so both agree on
whether two documents are the same. Each ``check_*`` function tells a wrong shape
(``bad_format``) apart from a wrong check digit (``bad_check_digit``), so validation can report
which one a person has to fix; it accepts only ASCII letters, digits and separators.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Literal

import pycountry
from anyascii import anyascii

__all__ = [
    "ICAO_DOCUMENT_CODES",
    "IdentifierCheck",
    "alpha2_to_alpha3",
    "check_air_waybill",
    "check_container",
    "check_imo",
    "check_vin",
    "icao_check_digit",
    "imo_check_digit",
    "is_flight_number",
    "is_iata_airport",
    "is_icao_document_code",
    "is_iso3",
    "is_iso4217",
    "is_locode",
    "is_valid_air_waybill",
    "is_valid_container",
    "is_valid_imo",
    "is_valid_vin",
    "iso6346_check_digit",
    "iso_countries",
    "normalize_identifier",
    "vin_check_digit",
]

IdentifierCheck = Literal["ok", "bad_format", "bad_check_digit"]

# Codes the ISO 3166 maintenance agency reserves for user assignment, used by the EU and
# INTERPOL for Kosovo; accepted as a country although pycountry does not list it.
_USER_ASSIGNED_COUNTRIES = frozenset({"XKX"})

ICAO_DOCUMENT_CODES: dict[str, str] = {
    "P": "passport",
    "PP": "passport (ordinary)",
    "PD": "diplomatic passport",
    "PO": "official passport",
    "PS": "service passport",
    "PE": "emergency passport",
    "PT": "travel document for refugees or stateless persons",
    "I": "identity card",
    "ID": "identity card",
    "IR": "residence permit",
    "A": "identity document (TD1)",
    "AC": "crew member certificate",
    "C": "identity document (TD1)",
    "V": "machine-readable visa",
    "VA": "visa, type A",
    "VB": "visa, type B",
}
_ICAO_CODE = re.compile(r"^([PIACV])([A-Z<]?)$")

_NOT_ALNUM = re.compile(r"[^A-Z0-9]")
_IMO_PREFIXED = re.compile(r"IMO\d{7}")
# What a check function accepts before normalizing: ASCII letters, digits and separators.
_PLAIN = re.compile(r"^[A-Za-z0-9\s\-./]*$")
_CONTAINER = re.compile(r"^[A-Z]{3}[UJZ]\d{7}$")
_IMO = re.compile(r"^\d{7}$")
_VIN = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
_AWB = re.compile(r"^\d{11}$")
_FLIGHT = re.compile(r"^(?:[A-Z]{3}|[A-Z]{2}|[A-Z]\d|\d[A-Z])\d{1,4}[A-Z]?$")
_LOCODE = re.compile(r"^[A-Z]{2}[A-Z2-9]{3}$")
_IATA_AIRPORT = re.compile(r"^[A-Z]{3}$")


def normalize_identifier(text: str) -> str:
    """An identifier as upper-case ASCII letters and digits only: the form two sides compare.

    Unicode is NFKC-folded and transliterated with ``anyascii`` (full-width digits, Cyrillic or
    Arabic script), every other character (spaces, dashes, dots, slashes, the MRZ filler ``<``)
    is dropped, and an ``IMO`` prefix before a seven-digit ship number goes:
    'mwcu 605978-4' -> 'MWCU6059784', 'imo 9074729' -> '9074729'.
    """
    if not text.isascii():
        text = anyascii(unicodedata.normalize("NFKC", text))
    cleaned = _NOT_ALNUM.sub("", text.upper())
    return cleaned[3:] if _IMO_PREFIXED.fullmatch(cleaned) else cleaned


def _checkable(text: str) -> str | None:
    """The normalized identifier of plain text (ASCII letters, digits, separators), else None."""
    return normalize_identifier(text) if _PLAIN.match(text) else None


def _icao_value(char: str) -> int:
    """ICAO 9303 character value: digits as is, A-Z 10-35, '<' zero."""
    if char.isdigit():
        return int(char)
    if char == "<":
        return 0
    if "A" <= char <= "Z":
        return ord(char) - ord("A") + 10
    raise ValueError(f"{char!r} is not an MRZ character")


def icao_check_digit(field: str) -> int:
    """ICAO 9303 check digit of an MRZ field: weights 7, 3, 1 repeating, sum mod 10."""
    weights = (7, 3, 1)
    return sum(_icao_value(c) * weights[i % 3] for i, c in enumerate(field.upper())) % 10


def is_icao_document_code(code: str) -> bool:
    """ICAO 9303 document code: P, I, A, C or V, then one issuer-chosen letter or '<'.

    Identity documents (I, A, C) may not use V as second letter, which marks visas.
    """
    match = _ICAO_CODE.match(code.upper())
    if match is None:
        return False
    first, second = match.groups()
    return not (first in "IAC" and second == "V")


@functools.cache
def _iso6346_letter_values() -> dict[str, int]:
    """A=10, B=12 ... Z=38: consecutive values skipping the multiples of 11."""
    values: dict[str, int] = {}
    value = 10
    for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        if value % 11 == 0:
            value += 1
        values[letter] = value
        value += 1
    return values


def iso6346_check_digit(prefix: str) -> int:
    """ISO 6346 check digit of the first ten characters (owner, category, serial)."""
    letters = _iso6346_letter_values()
    total = 0
    for position, char in enumerate(prefix.upper()[:10]):
        value = int(char) if char.isdigit() else letters[char]
        total += value << position
    return total % 11 % 10


def check_container(code: str) -> IdentifierCheck:
    """Check an ISO 6346 container number such as 'MWCU6059784'."""
    normalized = _checkable(code)
    if normalized is None or _CONTAINER.match(normalized) is None:
        return "bad_format"
    ok = iso6346_check_digit(normalized[:10]) == int(normalized[10])
    return "ok" if ok else "bad_check_digit"


def is_valid_container(code: str) -> bool:
    """True for a well-formed ISO 6346 container number with the right check digit."""
    return check_container(code) == "ok"


def imo_check_digit(first_six: str) -> int:
    """IMO ship number check digit: digits times 7..2, last digit of the sum."""
    return sum(int(d) * w for d, w in zip(first_six, (7, 6, 5, 4, 3, 2), strict=True)) % 10


def check_imo(number: str) -> IdentifierCheck:
    """Check an IMO ship number, with or without its 'IMO' prefix."""
    normalized = _checkable(number)
    if normalized is None or _IMO.match(normalized) is None:
        return "bad_format"
    return "ok" if imo_check_digit(normalized[:6]) == int(normalized[6]) else "bad_check_digit"


def is_valid_imo(number: str) -> bool:
    """True for a seven-digit IMO number whose last digit checks."""
    return check_imo(number) == "ok"


_VIN_VALUES = dict(
    zip(
        "ABCDEFGHJKLMNPRSTUVWXYZ",
        (1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 7, 9, 2, 3, 4, 5, 6, 7, 8, 9),
        strict=True,
    )
)
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def vin_check_digit(vin: str) -> str:
    """The VIN check character (position 9): transliterate, weigh, sum mod 11, 10 is 'X'."""
    total = 0
    for char, weight in zip(vin.upper(), _VIN_WEIGHTS, strict=True):
        total += (int(char) if char.isdigit() else _VIN_VALUES[char]) * weight
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def check_vin(vin: str, *, require_check_digit: bool | None = None) -> IdentifierCheck:
    """Check a 17-character VIN (no I, O or Q).

    The check digit is mandatory for North American VINs (first character 1-5) and optional
    elsewhere; ``require_check_digit=None`` applies that rule, True or False forces it.
    """
    normalized = _checkable(vin)
    if normalized is None or _VIN.match(normalized) is None:
        return "bad_format"
    required = normalized[0] in "12345" if require_check_digit is None else require_check_digit
    if required and vin_check_digit(normalized) != normalized[8]:
        return "bad_check_digit"
    return "ok"


def is_valid_vin(vin: str, *, require_check_digit: bool | None = None) -> bool:
    """True for a well-formed VIN whose check digit holds where one is required."""
    return check_vin(vin, require_check_digit=require_check_digit) == "ok"


def check_air_waybill(number: str) -> IdentifierCheck:
    """Check an IATA air waybill: 3-digit airline prefix, 7-digit serial, serial mod 7 digit."""
    normalized = _checkable(number)
    if normalized is None or _AWB.match(normalized) is None:
        return "bad_format"
    return "ok" if int(normalized[3:10]) % 7 == int(normalized[10]) else "bad_check_digit"


def is_valid_air_waybill(number: str) -> bool:
    """True for an 11-digit air waybill number whose last digit checks."""
    return check_air_waybill(number) == "ok"


def is_flight_number(text: str) -> bool:
    """IATA (2-character) or ICAO (3-letter) airline designator, 1-4 digits, optional suffix."""
    normalized = _checkable(text)
    return normalized is not None and _FLIGHT.match(normalized) is not None


def is_locode(code: str) -> bool:
    """UN/LOCODE shape: ISO alpha-2 country then three letters or digits 2-9 ('NLRTM')."""
    normalized = _checkable(code)
    if normalized is None:
        return False
    return _LOCODE.match(normalized) is not None and alpha2_to_alpha3(normalized[:2]) is not None


def is_iata_airport(code: str) -> bool:
    """IATA airport (location) code shape: three letters."""
    return _IATA_AIRPORT.match(code) is not None


@functools.cache
def iso_countries() -> frozenset[str]:
    """Every ISO 3166-1 alpha-3 code pycountry knows, plus the user-assigned XKX (Kosovo)."""
    return frozenset(c.alpha_3 for c in pycountry.countries) | _USER_ASSIGNED_COUNTRIES


@functools.cache
def _alpha2_map() -> dict[str, str]:
    """ISO alpha-2 to alpha-3, plus XK for Kosovo."""
    mapping = {c.alpha_2: c.alpha_3 for c in pycountry.countries}
    mapping["XK"] = "XKX"
    return mapping


def is_iso3(code: str) -> bool:
    """True for an assigned ISO 3166-1 alpha-3 country code in upper case ('FRA', not 'fra')."""
    return code in iso_countries()


def alpha2_to_alpha3(code: str) -> str | None:
    """The alpha-3 code of an ISO alpha-2 code ('FR' -> 'FRA'), None when unassigned."""
    return _alpha2_map().get(code.upper())


@functools.cache
def _currencies() -> frozenset[str]:
    """ISO 4217 alphabetic codes pycountry knows."""
    return frozenset(c.alpha_3 for c in pycountry.currencies)


def is_iso4217(code: str) -> bool:
    """True for an ISO 4217 currency code in upper case ('EUR')."""
    return code in _currencies()
