"""Watchlist entries as compact JSON, so a post restarts without decoding and normalizing again.

The post's store keeps each alert's payload (the truth) and this snapshot of its entry (a
cache of the normalization work): loading a snapshot is a few times faster than decoding the
Avro payload and normalizing every name. JSON, not pickle: a store file is data, never code.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from gateway.post.screening.entry import Document, Entry, NameVariant, ObjectId, Person
from gateway.post.screening.normalize import DateRange, NameForm

__all__ = ["SNAPSHOT_VERSION", "entry_from_snapshot", "entry_to_snapshot"]

SNAPSHOT_VERSION = 2  # 2: particles glued to the next word (normalize_name)


def entry_to_snapshot(entry: Entry) -> str:
    """The entry as one JSON array (positional, to keep it small)."""
    person: list[Any] | None = None
    if entry.person is not None:
        p = entry.person
        person = [
            [[v.label, v.display, v.form.tokens, v.form.skeletons, v.form.abjad] for v in p.names],
            None if p.dob is None else [p.dob.start.toordinal(), p.dob.end.toordinal()],
            p.nationalities,
            p.documents,
            p.category,
            p.sex,
            p.armed,
            p.violent,
        ]
    return json.dumps(
        [
            SNAPSHOT_VERSION,
            entry.alert_id,
            entry.version,
            entry.kind,
            entry.org,
            entry.tlp,
            entry.action,
            entry.linked,
            person,
            entry.objects,
            entry.commodity_category,
            entry.drug_type,
            entry.expires_at_ms,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _person(data: list[Any]) -> Person:
    names, dob, nationalities, documents, category, sex, armed, violent = data
    return Person(
        names=tuple(
            NameVariant(label, display, NameForm(tuple(tokens), tuple(skels), abjad))
            for label, display, tokens, skels, abjad in names
        ),
        dob=None
        if dob is None
        else DateRange(dt.date.fromordinal(dob[0]), dt.date.fromordinal(dob[1])),
        nationalities=tuple(nationalities),
        documents=tuple(Document(*d) for d in documents),
        category=category,
        sex=sex,
        armed=armed,
        violent=violent,
    )


def entry_from_snapshot(text: str) -> Entry | None:
    """The entry a snapshot holds; None when it is of another version or malformed."""
    try:
        data = json.loads(text)
        if not isinstance(data, list) or data[0] != SNAPSHOT_VERSION:
            return None
        (_, alert_id, version, kind, org, tlp, action, linked, person, objects,
         category, drug, expires) = data  # fmt: skip
        return Entry(
            alert_id=alert_id,
            version=version,
            kind=kind,
            org=org,
            tlp=tlp,
            action=action,
            linked=tuple(linked),
            person=None if person is None else _person(person),
            objects=tuple(ObjectId(*o) for o in objects),
            commodity_category=category,
            drug_type=drug,
            expires_at_ms=expires,
        )
    except (ValueError, TypeError, IndexError):
        return None  # the caller falls back to decoding the payload
