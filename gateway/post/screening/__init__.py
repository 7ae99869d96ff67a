"""Screening travellers and conveyances against a border post's local watchlist."""

from __future__ import annotations

from gateway.contract.identifiers import normalize_identifier
from gateway.post.screening.entry import Entry, entry_from_record
from gateway.post.screening.match import (
    DEFAULT_THRESHOLD,
    ObjectQuery,
    PersonQuery,
    screen_object,
    screen_person,
)
from gateway.post.screening.normalize import normalize_name
from gateway.post.screening.results import Hit, MatchReason, ScreeningAnswer
from gateway.post.screening.watchlist import Watchlist

__all__ = [
    "DEFAULT_THRESHOLD",
    "Entry",
    "Hit",
    "MatchReason",
    "ObjectQuery",
    "PersonQuery",
    "ScreeningAnswer",
    "Watchlist",
    "entry_from_record",
    "normalize_identifier",
    "normalize_name",
    "screen_object",
    "screen_person",
]
