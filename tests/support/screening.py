"""Avro-shaped records for screening tests: a wanted person and a commodity, as decoded."""

from __future__ import annotations

from typing import Any

__all__ = ["commodity", "person"]


def person(
    alert_id: str,
    given: str | None,
    family: str,
    *,
    dob: dict[str, int | None] | None = None,
    nationalities: tuple[str, ...] = (),
    documents: tuple[tuple[str, str], ...] = (),
    aliases: tuple[str, ...] = (),
    original: tuple[str | None, str | None] = (None, None),
    action: str = "ARREST",
    org: str = "INTERPOL",
    version: int = 1,
) -> dict[str, Any]:
    """An Avro-shaped wanted-person record as the codec decodes it."""
    return {
        "envelope": {"alert_id": alert_id, "version": version, "source_org": org, "tlp": "AMBER"},
        "subject": {
            "given_names": given,
            "family_name": family,
            "given_names_original": original[0],
            "family_name_original": original[1],
            "aliases": list(aliases),
            "date_of_birth": dob,
            "nationalities": list(nationalities),
            "travel_documents": [
                {"doc_type": "P", "number": number, "issuing_country": country}
                for number, country in documents
            ],
            "category": "ARREST_FOR_EXTRADITION",
            "action": action,
        },
    }


def commodity(alert_id: str, *conveyances: tuple[str, str, str | None]) -> dict[str, Any]:
    """An Avro-shaped commodity record with the given conveyances."""
    return {
        "envelope": {"alert_id": alert_id, "version": 1, "source_org": "EUROPOL", "tlp": "GREEN"},
        "subject": {
            "category": "DRUGS",
            "drug_type": "COCAINE_TYPE",
            "conveyances": [
                {"kind": kind, "identifier": ident, "country": country}
                for kind, ident, country in conveyances
            ],
            "action": "SEIZE",
        },
    }
