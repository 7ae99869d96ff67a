"""Realistic INTERPOL SLTD exports (stolen and lost travel documents) and their revisions.

See connectors.interpol_sltd for the format. ``generate_sltd`` writes an export object;
:func:`connectors.synthetic.interpol.revise` hands SLTD records to :func:`revise_record`.
Issuing states are written as ICAO does (``D`` for Germany, ``GBR``/``GBN`` for British
passports), numbers in each issuer's own pattern; most records are lost documents, about a
third stolen, a few stolen blanks, revoked or invalidated.
"""

from __future__ import annotations

import random
import string
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from connectors.base import Revision
from connectors.synthetic.revise import (
    MEMBERS,
    alpha2,
    kept_expiry,
    next_stamp,
    revised_labels,
    short_expiry,
    tlp_word,
)
from gateway.contract import Envelope, Org

__all__ = ["generate_sltd", "revise_json", "revise_record", "utc_stamp"]

_DIGITS = string.digits
_LETTERS = "CFGHJKLMNPRTVWXYZ"  # no vowels or look-alikes, as machine-readable numbers avoid


def _german(rng: random.Random) -> str:
    return rng.choice(_LETTERS) + "".join(rng.choice(_LETTERS + _DIGITS) for _ in range(8))


def _french(rng: random.Random) -> str:
    return (f"{rng.randint(10, 25)}{rng.choice(string.ascii_uppercase)}"
            f"{rng.choice(string.ascii_uppercase)}{rng.randrange(10**5):05d}")  # fmt: skip


def _digits(count: int) -> Any:
    return lambda rng: "".join(rng.choice(_DIGITS) for _ in range(count))


def _prefixed(prefix: str, count: int) -> Any:
    return lambda rng: prefix + "".join(rng.choice(_DIGITS) for _ in range(count))


# (ICAO issuing-state code as exported, ISO alpha-3 of the reporting NCB, number pattern).
_ISSUERS: tuple[tuple[str, str, Any], ...] = (
    ("D", "DEU", _german), ("FRA", "FRA", _french), ("GBR", "GBR", _digits(9)),
    ("GBN", "GBR", _prefixed("KJ", 7)), ("ITA", "ITA", _prefixed("YA", 7)),
    ("ESP", "ESP", _prefixed("PAA", 6)), ("USA", "USA", _digits(9)),
    ("TUR", "TUR", _prefixed("U", 8)), ("MAR", "MAR", _prefixed("T", 7)),
    ("NGA", "NGA", _prefixed("A", 8)), ("BRA", "BRA", _prefixed("FZ", 6)),
    ("COL", "COL", _prefixed("AS", 6)), ("UKR", "UKR", _prefixed("FE", 6)),
    ("PAK", "PAK", _prefixed("AB", 7)), ("RKS", "XKX", _prefixed("P", 8)),
)  # fmt: skip
_TYPES = (("P", 70), ("PASSPORT", 8), ("ID", 12), ("I", 4), ("V", 4), ("IR", 2))
_STATUSES = (("LOST", 58), ("STOLEN", 30), ("STOLEN BLANK", 4), ("REVOKED", 6), ("INVALID", 2))
_TLPS = (("GREEN", 90), ("CLEAR", 5), ("AMBER", 5))


def utc_stamp(moment: datetime) -> str:
    """An export's time stamp: UTC, seconds, ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([w for w, _ in weighted], [n for _, n in weighted])[0]


def _record(
    rng: random.Random, sltd_id: str, issuer: tuple[str, str, Any], now: datetime
) -> dict[str, Any]:
    state, ncb, number = issuer
    reported = now - timedelta(days=rng.randint(1, 3000), seconds=rng.randint(0, 86_399))
    created = reported + timedelta(hours=rng.randint(1, 72))
    created = min(created, now - timedelta(seconds=1))
    changed = rng.random() < 0.1
    updated = created + (now - created) * rng.uniform(0.1, 1) if changed else created
    record: dict[str, Any] = {
        "sltd_id": sltd_id,
        "document_number": number(rng),
        "issuing_state": state,
        "document_type": _pick(rng, _TYPES),
        "status": _pick(rng, _STATUSES),
        "reported_on": reported.strftime("%Y-%m-%d") if rng.random() < 0.7 else utc_stamp(reported),
        "reporting_ncb": ncb if rng.random() < 0.8 else alpha2(ncb),
        "created_at": utc_stamp(created),
        "updated_at": utc_stamp(updated),
        "state": "active",
        "tlp": _pick(rng, _TLPS),
    }
    if rng.random() < 0.3:
        record["review_on"] = (now + timedelta(days=rng.randint(30, 3650))).strftime("%Y-%m-%d")
    if rng.random() < 0.03:
        record["deny_countries"] = [alpha2(rng.choice(MEMBERS[Org.INTERPOL]))]
        if record["deny_countries"] == [alpha2(ncb)]:
            del record["deny_countries"]
    if (expiry := short_expiry(rng, now)) is not None:
        record["expires_at"] = utc_stamp(expiry)
    return record


def generate_sltd(rng: random.Random, count: int, now: datetime) -> bytes:
    """An SLTD export object with ``count`` valid records, ids unique per call."""
    seen: set[str] = set()
    records: list[dict[str, Any]] = []
    while len(records) < count:
        issuer = rng.choice(_ISSUERS)
        sltd_id = f"{issuer[1]}-{rng.randint(2015, now.year)}-{rng.randrange(10**7):07d}"
        if sltd_id not in seen:
            seen.add(sltd_id)
            records.append(_record(rng, sltd_id, issuer, now))
    export = {
        "sltd_export": {"system": "INTERPOL SLTD", "generated_at": utc_stamp(now),
                        "record_count": count},
        "documents": records,
    }  # fmt: skip
    return orjson.dumps(export, option=orjson.OPT_INDENT_2)


def revise_json(
    rng: random.Random, obj: dict[str, Any], envelope: Envelope, now: datetime, change: Revision,
    *, first_key: str, live: str, gone: str,
) -> datetime:  # fmt: skip
    """Revise an INTERPOL JSON object (an SLTD record or a notice) in place: its stamps
    (``first_key`` set once, ``updated_at``), state (``gone`` on a cancel, else ``live``),
    labels and expiry; returns the revision's stamp for the kind's own details."""
    stamp = next_stamp(envelope.issued_at, now)
    if first_key not in obj:  # an export without stamps: its first version was 1
        obj[first_key] = utc_stamp(stamp - timedelta(seconds=1))
    obj["updated_at"] = utc_stamp(stamp)
    obj["state"] = gone if change == "cancel" else live
    labels = revised_labels(rng, envelope, change, MEMBERS[Org.INTERPOL])
    obj["tlp"] = tlp_word(labels.tlp)
    for key, codes in (("release_to_countries", labels.release), ("deny_countries", labels.deny)):
        obj.pop(key, None)
        if codes:
            obj[key] = [alpha2(c) for c in codes]
    obj.pop("expires_at", None)
    if (expiry := kept_expiry(rng, envelope.expires_at, stamp, change)) is not None:
        obj["expires_at"] = utc_stamp(expiry)
    return stamp


def revise_record(
    rng: random.Random, record: dict[str, Any], envelope: Envelope, now: datetime,
    change: Revision,
) -> bytes:  # fmt: skip
    """One SLTD record revising ``record`` (whose alert is ``envelope``), as a JSON object."""
    stamp = revise_json(
        rng, record, envelope, now, change, first_key="created_at", live="active", gone="withdrawn"
    )
    if change in ("update", "amend"):  # neither adds anything
        _update_details(rng, record, stamp)
    return orjson.dumps(record, option=orjson.OPT_INDENT_2)


def _update_details(rng: random.Random, record: dict[str, Any], stamp: datetime) -> None:
    """A later finding: a lost document reported stolen after all, else a new review date."""
    if str(record.get("status", "")).upper() == "LOST" and rng.random() < 0.5:
        record["status"] = "STOLEN"
        return
    review = (stamp + timedelta(days=rng.randint(30, 3650))).strftime("%Y-%m-%d")
    if review == record.get("review_on"):
        review = (stamp + timedelta(days=3651)).strftime("%Y-%m-%d")
    record["review_on"] = review
