"""ICAO Doc 9303 issuing-state codes and what they are in ISO 3166-1 alpha-3.

Most ICAO codes are ISO alpha-3 codes; these are not, or name no country at all: Germany's
single ``D``, the five British nationality classes, Kosovo, the former Zimbabwe code, the
stateless and refugee codes, the specimen state ``UTO`` and organizations that issue travel
documents (the United Nations' laissez-passer, the EU, INTERPOL ...). The contract's
``issuing_country`` is ISO alpha-3, so connectors map a code with :func:`icao_to_iso3` and
refuse one that names no state.
"""

from __future__ import annotations

from gateway.contract.identifiers import is_iso3

__all__ = ["ICAO_SPECIAL_CODES", "icao_to_iso3"]

#: ICAO codes that are not ISO 3166-1 states or differ from ISO: (ISO alpha-3 or None, what).
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
    """The ISO alpha-3 code of an ICAO issuing-state code ('D' -> DEU, 'GBN' -> GBR).

    None for a code that names no state (UTO, XXA, UNO, EUE ...) or is not a code at all.
    Fillers (``<``, as in the MRZ's ``D<<``) and case are ignored.
    """
    text = code.strip().strip("<").upper()
    if text in ICAO_SPECIAL_CODES:
        return ICAO_SPECIAL_CODES[text][0]
    return text if is_iso3(text) else None
