"""ICAO Doc 9303 (Part 3) state and organization codes, and their ISO 3166-1 alpha-3 country.

Most ICAO codes are ISO alpha-3 codes; these are not, or stand for no country at all:
Germany's single ``D``, the five British nationality classes, Kosovo, the stateless and
refugee codes, the specimen state ``UTO`` and the organizations that issue documents.
"""

from __future__ import annotations

from gateway.contract.identifiers import is_iso3

__all__ = ["ICAO_SPECIAL_CODES", "icao_to_iso3"]

#: ICAO codes that are not ISO 3166-1 states, or differ from ISO (Doc 9303 Part 3).
ICAO_SPECIAL_CODES: dict[str, tuple[str | None, str]] = {
    "D": ("DEU", "Germany"),
    "GBD": ("GBR", "British Overseas Territories citizen"),
    "GBN": ("GBR", "British National (Overseas)"),
    "GBO": ("GBR", "British Overseas citizen"),
    "GBP": ("GBR", "British protected person"),
    "GBS": ("GBR", "British subject"),
    "RKS": ("XKX", "Kosovo"),
    "UNK": ("XKX", "resident of Kosovo (UNMIK document)"),
    "ZIM": ("ZWE", "Zimbabwe (former ICAO code)"),
    "UTO": (None, "Utopia: ICAO's fictional specimen state"),
    "XXA": (None, "stateless person (1954 Convention)"),
    "XXB": (None, "refugee (1951 Convention)"),
    "XXC": (None, "refugee (other)"),
    "XXX": (None, "nationality unspecified"),
    "EUE": (None, "European Union"),
    "UNO": (None, "United Nations"),
    "UNA": (None, "United Nations specialized agency"),
    "XBA": (None, "African Development Bank"),
    "XIM": (None, "African Export-Import Bank"),
    "XCC": (None, "Caribbean Community"),
    "XCE": (None, "Council of Europe"),
    "XCO": (None, "Common Market for Eastern and Southern Africa"),
    "XEC": (None, "Economic Community of West African States"),
    "XPO": (None, "INTERPOL"),
    "XOM": (None, "Sovereign Military Order of Malta"),
    "XDC": (None, "Southern African Development Community"),
}


def icao_to_iso3(code: str) -> str | None:
    """The ISO 3166-1 alpha-3 code of an ICAO code ('D' -> DEU, 'GBN' -> GBR), None if none.

    Stateless persons and refugees (XXA, XXB, XXC), an unspecified nationality (XXX), the
    specimen state UTO and organizations (UNO, EUE, XPO ...) have no country.
    """
    code = code.strip("<").upper()
    if code in ICAO_SPECIAL_CODES:
        return ICAO_SPECIAL_CODES[code][0]
    return code if is_iso3(code) else None
