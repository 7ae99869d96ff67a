"""Shared readers for travel-document records (SLTD-style): issuing state, type and status.

Exports write the issuing state as ICAO Doc 9303 does (``D`` for Germany, ``GBN`` for a
British National (Overseas) passport, ``RKS`` for Kosovo) or as ISO alpha-2/alpha-3; the
document type as an ICAO 9303 document code (``P``, ``PD``, ``I``, ``V`` ...) or a word.
"""

from __future__ import annotations

from collections.abc import Mapping

from connectors.base import ConnectorError
from connectors.formats.fields import country3
from gateway.contract import DocumentStatus, DocumentType
from gateway.contract.icao import ICAO_SPECIAL_CODES, icao_to_iso3

__all__ = ["document_type", "issuing_state", "status_of"]

# ICAO 9303 document codes by first letter; two-letter codes listed first.
_TYPE_CODES: dict[str, DocumentType] = {
    "AC": DocumentType.OTHER,  # crew member certificate
    "IR": DocumentType.RESIDENCE_PERMIT,  # codes EU states use for the residence permit card
    "AR": DocumentType.RESIDENCE_PERMIT,
    "P": DocumentType.PASSPORT,
    "I": DocumentType.ID_CARD,
    "A": DocumentType.ID_CARD,
    "C": DocumentType.ID_CARD,
    "V": DocumentType.VISA,
}
_TYPE_WORDS: dict[str, DocumentType] = {
    "PASSPORT": DocumentType.PASSPORT,
    "ID_CARD": DocumentType.ID_CARD,
    "IDENTITY_CARD": DocumentType.ID_CARD,
    "ID": DocumentType.ID_CARD,
    "VISA": DocumentType.VISA,
    "RESIDENCE_PERMIT": DocumentType.RESIDENCE_PERMIT,
    "TRAVEL_DOCUMENT": DocumentType.TRAVEL_DOCUMENT,
    "REFUGEE_TRAVEL_DOCUMENT": DocumentType.TRAVEL_DOCUMENT,
    "OTHER": DocumentType.OTHER,
}


def _word(text: str) -> str:
    """'Stolen blank' and 'stolen-blank' -> 'STOLEN_BLANK'."""
    return "_".join(text.replace("-", " ").upper().split())


def issuing_state(code: str, path: str) -> str:
    """ISO alpha-3 of an issuing state written as an ICAO, alpha-2 or alpha-3 code."""
    text = code.strip().strip("<").upper()
    if text in ICAO_SPECIAL_CODES and ICAO_SPECIAL_CODES[text][0] is None:
        raise ConnectorError.one(
            "map", path, "no_issuing_state",
            f"ICAO code {text} ({ICAO_SPECIAL_CODES[text][1]}) names no state; "
            "the contract needs an ISO 3166-1 country",
        )  # fmt: skip
    iso3 = icao_to_iso3(text)
    if iso3 is not None:
        return iso3
    return country3(text, path)


def document_type(text: str, path: str) -> DocumentType:
    """The contract's type of an ICAO 9303 document code (``P``, ``PD``, ``ID``) or a word."""
    word = _word(text)
    if word in _TYPE_WORDS:
        return _TYPE_WORDS[word]
    if 1 <= len(word) <= 2 and word.isalpha():
        for prefix in (word, word[0]):
            if prefix in _TYPE_CODES:
                return _TYPE_CODES[prefix]
    raise ConnectorError.one(
        "map", path, "unknown_document_type",
        "an ICAO 9303 document code (P, PD, I, ID, V ...) or PASSPORT, ID_CARD, VISA, "
        "RESIDENCE_PERMIT, TRAVEL_DOCUMENT, OTHER",
    )  # fmt: skip


def status_of(text: str, path: str, words: Mapping[str, DocumentStatus]) -> DocumentStatus:
    """The contract's status of an export's status word, through the export's own table."""
    word = _word(text)
    if word in words:
        return words[word]
    raise ConnectorError.one(
        "map", path, "unknown_document_status", f"one of {', '.join(sorted(words))}"
    )
