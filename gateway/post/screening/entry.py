"""Watchlist entries: what a border post keeps of one delivered alert, built from its Avro record.

Entries are built from the plain dict ``codec.decode_dict`` returns (no pydantic pass) so a
post materializes its feed fast; every name is normalized once here, never at query time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from gateway.contract.identifiers import normalize_identifier
from gateway.post.screening.normalize import (
    DateRange,
    NameForm,
    normalize_name,
    parse_partial_date,
)

__all__ = [
    "ACTION_SEVERITY",
    "Document",
    "Entry",
    "NameVariant",
    "ObjectId",
    "Person",
    "entry_from_record",
]

# Strictest first: a subject linked to several alerts asks for the strictest action.
ACTION_SEVERITY: Mapping[str, int] = {
    "ARREST": 0,
    "DETAIN_AND_CONTACT_NODE": 1,
    "SEIZE": 1,
    "REFUSE_ENTRY": 2,
    "CONTROLLED_DELIVERY": 2,
    "DISCREET_CHECK": 3,
    "INSPECT": 3,
    "INFORM": 4,
}


class NameVariant(NamedTuple):
    """One way a name is written: ``primary`` (Latin), ``original`` script, or ``alias``."""

    label: str
    display: str
    form: NameForm


class Document(NamedTuple):
    """A travel document: ICAO type, normalized number, issuing country (alpha-3)."""

    doc_type: str
    number: str
    issuing_country: str


class ObjectId(NamedTuple):
    """A conveyance identifier: kind (CONTAINER, VESSEL_IMO, VEHICLE_VIN, VEHICLE_PLATE ...)."""

    kind: str
    number: str
    country: str | None


@dataclass(slots=True)
class Person:
    """The screenable part of a wanted person."""

    names: tuple[NameVariant, ...]
    dob: DateRange | None
    nationalities: tuple[str, ...]
    documents: tuple[Document, ...]
    category: str
    sex: str
    armed: bool
    violent: bool


@dataclass(slots=True)
class Entry:
    """One alert on a post's watchlist, at one version; treat as immutable (not frozen: speed)."""

    alert_id: str
    version: int
    kind: str
    org: str
    tlp: str
    action: str
    linked: tuple[str, ...]
    person: Person | None = None
    objects: tuple[ObjectId, ...] = ()
    commodity_category: str | None = None
    drug_type: str | None = None
    expires_at_ms: int | None = None


def _name_variants(subject: Mapping[str, Any]) -> tuple[NameVariant, ...]:
    variants: list[NameVariant] = []

    def add(label: str, *parts: str | None) -> None:
        display = " ".join(p for p in parts if p)
        form = normalize_name(display)
        if form and all(v.form.tokens != form.tokens for v in variants):
            variants.append(NameVariant(label, display, form))

    add("primary", subject.get("given_names"), subject.get("family_name"))
    add("original", subject.get("given_names_original"), subject.get("family_name_original"))
    for alias in subject.get("aliases") or ():
        add("alias", alias)
    return tuple(variants)


def _dob(value: Any) -> DateRange | None:
    try:
        return parse_partial_date(value)
    except (ValueError, TypeError):
        return None  # an impossible date (month 13) screens as unknown, never as a crash


def _person(subject: Mapping[str, Any]) -> Person:
    documents = tuple(
        Document(
            doc_type=str(doc.get("doc_type") or ""),
            number=normalize_identifier(str(doc.get("number") or "")),
            issuing_country=str(doc.get("issuing_country") or "").upper(),
        )
        for doc in subject.get("travel_documents") or ()
        if doc.get("number")
    )
    return Person(
        names=_name_variants(subject),
        dob=_dob(subject.get("date_of_birth")),
        nationalities=tuple(str(n).upper() for n in subject.get("nationalities") or ()),
        documents=documents,
        category=str(subject.get("category") or ""),
        sex=str(subject.get("sex") or "UNSPECIFIED"),
        armed=bool(subject.get("armed")),
        violent=bool(subject.get("violent")),
    )


def _objects(conveyances: Sequence[Mapping[str, Any]]) -> tuple[ObjectId, ...]:
    found: list[ObjectId] = []
    for item in conveyances:
        number = normalize_identifier(str(item.get("identifier") or ""))
        if number:
            country = item.get("country")
            found.append(
                ObjectId(str(item.get("kind") or "OTHER"), number, country and str(country))
            )
    return tuple(found)


def _epoch_ms(value: Any) -> int | None:
    timestamp = getattr(value, "timestamp", None)
    return int(timestamp() * 1000) if callable(timestamp) else None


def entry_from_record(
    kind: str, record: Mapping[str, Any], *, org: str = "", linked: Sequence[str] = ()
) -> Entry:
    """The watchlist entry of a decoded alert record; ``linked`` comes from the headers."""
    envelope = record["envelope"]
    subject = record.get("subject") or {}
    person: Person | None = None
    objects: tuple[ObjectId, ...] = ()
    action = str(subject.get("action") or "")
    category = None
    drug = None
    if kind == "WANTED_PERSON" and subject:
        person = _person(subject)
    elif kind == "COMMODITY" and subject:
        objects = _objects(subject.get("conveyances") or ())
        category = str(subject.get("category") or "") or None
        drug = subject.get("drug_type")
    return Entry(
        alert_id=str(envelope["alert_id"]),
        version=int(envelope["version"]),
        kind=kind,
        org=org or str(envelope.get("source_org") or ""),
        tlp=str(envelope.get("tlp") or ""),
        action=action,
        linked=tuple(x for x in linked if x and x != envelope["alert_id"]),
        person=person,
        objects=objects,
        commodity_category=category,
        drug_type=None if drug is None else str(drug),
        expires_at_ms=_epoch_ms(envelope.get("expires_at")),
    )
