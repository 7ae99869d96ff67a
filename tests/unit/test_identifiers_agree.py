"""Hub linking and post screening agree on whether two identifiers name the same thing."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.contract.identifiers import normalize_identifier
from gateway.hub.facts import strong_identifiers
from gateway.post.screening import (
    ObjectQuery,
    PersonQuery,
    Watchlist,
    entry_from_record,
    screen_object,
    screen_person,
)

# Few characters so that hypothesis often draws two spellings of one identifier: case,
# separators, the MRZ filler, full-width forms (NFKC) and Cyrillic look-alikes.
_PIECES = st.sampled_from(
    ["A", "a", "B", "1", "7", "\uff21", "\uff11", "\u0410", "-", " ", ".", "/", "<", "IMO"]
)
IDENTIFIER = st.one_of(
    st.lists(_PIECES, min_size=1, max_size=6).map("".join),
    st.sampled_from(["IMO 9074729", "imo-9074729", "9074729", "\uff29\uff2d\uff2f9074729"]),
).filter(lambda text: normalize_identifier(text) != "")

_OBJECT_FIELD = {"CONTAINER": "container", "VESSEL_IMO": "imo", "VEHICLE_VIN": "vin"}


def _commodity(kind: str, identifier: str) -> dict[str, Any]:
    return {
        "envelope": {"alert_id": "EUROPOL:C1", "version": 1, "source_org": "EUROPOL"},
        "subject": {
            "category": "DRUGS",
            "conveyances": [{"kind": kind, "identifier": identifier, "country": None}],
            "action": "SEIZE",
        },
    }


def _person(number: str) -> dict[str, Any]:
    return {
        "envelope": {"alert_id": "INTERPOL:P1", "version": 1, "source_org": "INTERPOL"},
        "subject": {
            "category": "WANTED",
            "names": [{"given_names": "Karim", "family_name": "Benali"}],
            "travel_documents": [{"doc_type": "P", "number": number, "issuing_country": "FRA"}],
            "action": "ARREST",
        },
    }


@settings(max_examples=150, deadline=None)
@given(kind=st.sampled_from(sorted(_OBJECT_FIELD)), watched=IDENTIFIER, asked=IDENTIFIER)
def test_hub_links_exactly_the_conveyances_a_post_matches(
    kind: str, watched: str, asked: str
) -> None:
    """Two conveyance identifiers link at the hub exactly when screening one finds the other."""
    hub_same = strong_identifiers("COMMODITY", _commodity(kind, watched)["subject"]) == (
        strong_identifiers("COMMODITY", _commodity(kind, asked)["subject"])
    )
    watchlist = Watchlist()
    watchlist.upsert(entry_from_record("COMMODITY", _commodity(kind, watched)))
    hits = screen_object(watchlist, ObjectQuery(**{_OBJECT_FIELD[kind]: asked}))
    post_same = any(hit.subject_id == "EUROPOL:C1" for hit in hits)
    assert hub_same == post_same


@settings(max_examples=150, deadline=None)
@given(watched=IDENTIFIER, asked=IDENTIFIER)
def test_hub_links_exactly_the_documents_a_post_matches(watched: str, asked: str) -> None:
    """Two travel document numbers link at the hub exactly when screening one finds the other."""
    hub_same = strong_identifiers("WANTED_PERSON", _person(watched)["subject"]) == (
        strong_identifiers("WANTED_PERSON", _person(asked)["subject"])
    )
    watchlist = Watchlist()
    watchlist.upsert(entry_from_record("WANTED_PERSON", _person(watched)))
    hits = screen_person(watchlist, PersonQuery(document_number=asked, document_country="FRA"))
    assert hub_same == bool(hits)
