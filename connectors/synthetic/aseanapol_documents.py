"""Realistic ASEANAPOL e-ADS travel-document exports (stolen and lost documents).

See connectors.aseanapol for the format (a header with ``doc_status``); revisions go through
:func:`connectors.synthetic.aseanapol.revise_row` like the person rows, with
:func:`update_document` for a changed detail. Member states report their own documents
(Thai dates half the time in Buddhist Era years) and now and then a foreign one seized or
found on their territory, its issuer written as ICAO does (``D`` for Germany).
"""

from __future__ import annotations

import csv
import io
import random
from datetime import datetime, timedelta
from typing import Any

from connectors.aseanapol import BUDDHIST_ERA_OFFSET, DOC_COLUMNS
from connectors.synthetic.revise import short_expiry

__all__ = ["generate_documents_csv", "update_document"]

_MEMBERS = ("VNM", "THA", "IDN", "MMR", "MYS", "SGP", "KHM", "PHL", "LAO", "BRN")
_FOREIGN = ("D", "FRA", "GBR", "USA", "AUS", "CHN", "IND", "KOR")
# Number pattern per issuer: a letter prefix and a count of digits.
_PATTERNS = {
    "VNM": ("C", 7), "THA": ("AA", 7), "IDN": ("X", 7), "MMR": ("MA", 6), "MYS": ("A", 8),
    "SGP": ("K", 7), "KHM": ("N", 8), "PHL": ("P", 7), "LAO": ("P", 7), "BRN": ("B", 6),
}  # fmt: skip
_TYPES = (("P", 75), ("PASSPORT", 5), ("ID", 15), ("V", 5))
_STATUSES = (("LOST", 55), ("STOLEN", 30), ("BLANK STOLEN", 4), ("REVOKED", 7), ("CANCELLED", 4))


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([w for w, _ in weighted], [n for _, n in weighted])[0]


def _day(moment: datetime, buddhist: bool) -> str:
    year = moment.year + (BUDDHIST_ERA_OFFSET if buddhist else 0)
    return f"{moment.day:02d}/{moment.month:02d}/{year}"


def _number(rng: random.Random, issuer: str) -> str:
    prefix, digits = _PATTERNS.get(issuer, ("", 9))
    return prefix + "".join(rng.choice("0123456789") for _ in range(digits))


def _row(rng: random.Random, serial: int, now: datetime) -> dict[str, Any]:
    country = rng.choice(_MEMBERS)
    stamp = now - timedelta(minutes=rng.randint(10, 60 * 24 * 30))
    issuer = country if rng.random() < 0.85 else rng.choice(_FOREIGN)
    reported = stamp - timedelta(days=rng.randint(0, 400))
    buddhist = country == "THA" and rng.random() < 0.5
    row: dict[str, Any] = {
        "ref_no": f"EADS-DOC-{country}-{stamp.year}-{serial:09d}", "revision": 1,
        "record_status": "NEW", "last_modified": stamp.isoformat(timespec="seconds"),
        "mode": "LIVE", "issuing_country": country,
        "tlp": f"TLP:{rng.choices(('GREEN', 'CLEAR', 'AMBER'), weights=(85, 5, 10))[0]}",
        "handling_code": "H0", "source_grade": rng.choice(("A1", "A1", "A2", "B2")),
        "legal_basis": "ASEANAPOL Constitution, art. 2; e-ADS travel documents",
        "doc_type": _pick(rng, _TYPES), "doc_no": _number(rng, issuer), "doc_country": issuer,
        "doc_status": _pick(rng, _STATUSES), "reported_on": _day(reported, buddhist),
    }  # fmt: skip
    if rng.random() < 0.25:
        row["review_on"] = _day(now + timedelta(days=rng.randint(30, 3650)), buddhist)
    if (ends := short_expiry(rng, now)) is not None:
        row["expires_on"] = ends.isoformat(timespec="seconds")
    return row


def generate_documents_csv(rng: random.Random, count: int, now: datetime) -> bytes:
    """A documents export with ``count`` valid rows, ids unique per call."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=DOC_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for serial in rng.sample(range(10**9), count):
        writer.writerow(_row(rng, serial, now))
    return out.getvalue().encode()


def update_document(rng: random.Random, row: dict[str, Any], stamp: datetime) -> None:
    """A later finding: a lost document reported stolen after all, else a new review date."""
    if str(row.get("doc_status", "")).upper() == "LOST" and rng.random() < 0.5:
        row["doc_status"] = "STOLEN"
        return
    review = _day(stamp + timedelta(days=rng.randint(30, 3650)), buddhist=False)
    if review == row.get("review_on"):
        review = _day(stamp + timedelta(days=3651), buddhist=False)
    row["review_on"] = review
