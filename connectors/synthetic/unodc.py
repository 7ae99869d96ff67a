"""Realistic UNODC STIX bundles and new versions of their reports, for simulation and bench.

See connectors.unodc for the format; a new version keeps the report's id with a later
``modified`` (by at least a second), or sets ``revoked: true``.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any

import orjson

from connectors.base import RawRecord, Revision
from connectors.synthetic.revise import (
    current_alert,
    lapse_plan,
    next_change,
    next_stamp,
    revised_labels,
    short_expiry,
)
from connectors.unodc import HEADQUARTERS, UnodcConnector
from gateway.contract import AnyAlert, ThreatAssessment, Tlp

__all__ = ["generate", "generate_bundle", "revise", "revise_report"]

_REPORTS = (
    ("Opiate trafficking along the Balkan route", "drug-trafficking",
     (("Golden Crescent", "AF"), ("Balkan route", "IR"), ("Balkan route", "TR"))),
    ("Methamphetamine from Afghanistan: emerging markets", "drug-trafficking",
     (("Golden Crescent", "AF"), ("Southern route", "PK"))),
    ("Synthetic drugs in South-East Asia", "drug-trafficking",
     (("Golden Triangle", "MM"), ("Golden Triangle", "LA"), ("Mekong", "TH"))),
    ("Cocaine flows to West and Central Africa", "drug-trafficking",
     (("Andean region", "CO"), ("West Africa", "GW"), ("West Africa", "SN"))),
    ("Smuggling of migrants across the Sahel", "migrant-smuggling",
     (("Sahel", "NE"), ("Sahel", "ML"), ("North Africa", "LY"))),
    ("Trafficking in persons for forced criminality", "human-trafficking",
     (("Mekong", "KH"), ("Mekong", "MM"))),
    ("Firearms trafficking in the Western Balkans", "firearms-trafficking",
     (("Western Balkans", "RS"), ("Western Balkans", "BA"))),
)  # fmt: skip
_TLP2 = {
    "CLEAR": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "GREEN": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "AMBER": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
}


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def generate_bundle(rng: random.Random, count: int, now: dt.datetime) -> bytes:
    """A bundle of ``count`` valid reports, each with its locations."""
    identity = f"identity--{uuid.UUID(int=rng.getrandbits(128), version=4)}"
    objects: list[dict[str, Any]] = [{
        "type": "identity", "spec_version": "2.1", "id": identity, "created": _stamp(now),
        "modified": _stamp(now), "name": "UNODC", "identity_class": "organization",
    }]  # fmt: skip
    for _ in range(count):
        title, threat, places = rng.choice(_REPORTS)
        created = now - dt.timedelta(days=rng.randint(5, 400), seconds=rng.randint(0, 86399))
        modified = created if rng.random() < 0.8 else created + dt.timedelta(days=rng.randint(1, 4))
        refs: list[str] = []
        for region, code in places:
            loc_id = f"location--{uuid.UUID(int=rng.getrandbits(128), version=4)}"
            objects.append({
                "type": "location", "spec_version": "2.1", "id": loc_id, "created": _stamp(now),
                "modified": _stamp(now), "name": region, "country": code,
            })  # fmt: skip
            refs.append(loc_id)
        tlp = rng.choice(("CLEAR", "GREEN", "GREEN", "GREEN", "AMBER"))
        report: dict[str, Any] = {
            "type": "report", "spec_version": "2.1",
            "id": f"report--{uuid.UUID(int=rng.getrandbits(128), version=4)}",
            "created": _stamp(created), "modified": _stamp(modified),
            "created_by_ref": identity, "name": f"{title} ({created.year})",
            "description": "Strategic assessment based on seizure data reported by member "
            "states and field offices; trends, routes and modi operandi.",
            "published": _stamp(created), "report_types": ["threat-report"],
            "labels": [threat], "confidence": rng.choice((40, 60, 75, 90)),
            "object_refs": refs, "object_marking_refs": [_TLP2[tlp]],
        }  # fmt: skip
        if (ends := short_expiry(rng, now)) is not None:  # lapses while the exercise runs
            report["x_unodc_valid_until"] = _stamp(ends)
        objects.append(report)
    bundle_id = f"bundle--{uuid.UUID(int=rng.getrandbits(128), version=4)}"
    return orjson.dumps(
        {"type": "bundle", "id": bundle_id, "objects": objects}, option=orjson.OPT_INDENT_2
    )


# TLP 2.0 marking definitions (OASIS) a revised report may carry.
_MARKINGS = {
    **{Tlp(name): ref for name, ref in _TLP2.items()},
    Tlp.AMBER_STRICT: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    Tlp.RED: "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
_YEAR = dt.timedelta(days=365)


def revise_report(
    rng: random.Random, data: bytes, now: dt.datetime, change: Revision, alert: AnyAlert
) -> bytes:
    """A bundle with the next version of the report in ``data`` (as split carries it: the
    object and its context), which maps to ``alert``."""
    doc = orjson.loads(data)
    report: dict[str, Any] = doc["object"]
    context: list[Any] = list(doc.get("context") or [])
    env = alert.envelope
    change = next_change(change, env)
    stamp = next_stamp(env.issued_at, now)  # issued_at is the previous modified
    report["modified"] = _stamp(stamp)
    plan = lapse_plan(env.expires_at, stamp, change)
    if plan == "drop":  # a lapsed report revoked: no validity end to state
        report.pop("x_unodc_valid_until", None)
    elif plan == "renew":  # revised after it lapsed: valid for another year
        report["x_unodc_valid_until"] = _stamp(stamp + _YEAR)
    if change == "cancel":
        report["revoked"] = True
    elif change in ("update", "amend"):
        _update(rng, report, context, stamp, grow=change == "update")
    else:
        subject = alert.subject
        concerned = list(subject.countries) if isinstance(subject, ThreatAssessment) else []
        members = sorted({*concerned, HEADQUARTERS})
        marking = revised_labels(rng, env, change, members)
        report["object_marking_refs"] = [_MARKINGS[marking.tlp]]
        for key, codes in (("x_unodc_release_to", marking.release), ("x_unodc_deny", marking.deny)):
            report.pop(key, None)
            if codes:
                report[key] = list(codes)
    bundle_id = f"bundle--{uuid.UUID(int=rng.getrandbits(128), version=4)}"
    objects = [*context, report]
    return orjson.dumps(
        {"type": "bundle", "id": bundle_id, "objects": objects}, option=orjson.OPT_INDENT_2
    )


def _update(
    rng: random.Random,
    report: dict[str, Any],
    context: list[Any],
    stamp: dt.datetime,
    *,
    grow: bool,
) -> None:
    """A realistic new version: a revised summary, a further location (both ``grow``), or a
    longer validity."""
    choice = rng.random() if grow else 1.0
    if choice < 0.4:
        report["description"] = (
            f"{report.get('description', '')} Revised {stamp:%Y-%m-%d} with the latest "
            "seizure reports and field office observations."
        ).strip()
    elif choice < 0.7:  # the trend now reaches one more country
        region, code = rng.choice(_SPREAD)
        loc_id = f"location--{uuid.UUID(int=rng.getrandbits(128), version=4)}"
        context.append({
            "type": "location", "spec_version": "2.1", "id": loc_id, "created": _stamp(stamp),
            "modified": _stamp(stamp), "name": region, "country": code,
        })  # fmt: skip
        report["object_refs"] = [*report.get("object_refs", []), loc_id]
    else:
        report["x_unodc_valid_until"] = _stamp(stamp + dt.timedelta(days=rng.randint(180, 730)))


_SPREAD = (("Central Asia", "TJ"), ("Gulf", "AE"), ("East Africa", "KE"), ("Caucasus", "GE"))


def generate(rng: random.Random, count: int, now: dt.datetime) -> bytes:
    """A bundle of ``count`` reports with their locations, TLP 2.0 marked."""
    return generate_bundle(rng, count, now)


def revise(rng: random.Random, record: RawRecord, now: dt.datetime, change: Revision) -> bytes:
    """The report's next STIX version (later ``modified``, changed properties or
    markings) or its revocation; see docs/connectors/unodc.md."""
    alert = current_alert(UnodcConnector(), record)
    change = next_change(change, alert.envelope)
    return revise_report(rng, record.data, now, change, alert)
