"""Realistic GCCPOL circulars and their revisions for simulation and benchmarks.

See connectors.gccpol for the format; a revision is the same circular with ``revision``
raised, a new ``issued`` date and the changed fields (``state: withdrawn`` to cancel).
"""

# Arabic-script names and values are this module's data, not look-alike typos:

from __future__ import annotations

import datetime as dt
import random
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from connectors.base import RawRecord, Revision
from connectors.formats.arabic import (
    FAMILY_NAMES,
    FEMALE_NAMES,
    MALE_NAMES,
    Calendar,
    format_native_date,
)
from connectors.gccpol import MEMBER_ZONES, GccpolConnector
from connectors.synthetic.revise import (
    REVIEW_OFFENCES,
    current_alert,
    lapse_plan,
    next_change,
    revised_labels,
    short_expiry,
    takes_review_offence,
    tlp_label,
)
from gateway.contract import AnyAlert
from gateway.contract.identifiers import alpha2_to_alpha3, iso6346_check_digit

__all__ = ["generate", "generate_export", "revise", "revise_circular"]

_PLACES = ("الرياض", "جدة", "الدمام", "دبي", "أبوظبي", "الكويت", "الدوحة", "المنامة", "مسقط")
_OFFENCES = (
    "تهريب مخدرات", "تمويل الإرهاب", "الانتماء إلى تنظيم إرهابي", "غسل الأموال",
    "الاحتيال", "القتل العمد", "تهريب أسلحة",
)  # fmt: skip
# Captagon routes into the Gulf: origin, transit and destination (alpha-2, UN/LOCODE).
_CAPTAGON_ROUTES = (
    (("SY", "SYLTK"), ("JO", "JOAQJ"), ("SA", "SAJED")),
    (("LB", "LBBEY"), ("AE", "AEJEA"), ("SA", "SADMM")),
    (("SY", None), ("JO", None), ("SA", None)),
    (("IQ", "IQUQR"), ("KW", "KWSWK")),
    (("SY", "SYTTS"), ("AE", "AEJEA"), ("OM", "OMSOH")),
)
_OWNERS = ("MSCU", "MAEU", "CMAU", "HLXU", "TGHU", "OOLU")
_WEIGHTED_TLP = ("GREEN",) * 5 + ("AMBER",) * 4 + ("AMBER+STRICT",)


def _hijri_or_gregorian(rng: random.Random, day: dt.date, *, partial: bool = False) -> Any:
    calendar = Calendar.HIJRI if rng.random() < 0.6 else Calendar.GREGORIAN
    value = format_native_date(calendar, day, digits="arabic" if rng.random() < 0.2 else "latin")
    if partial:
        value = value[:4]
    return {"calendar": calendar.value, "value": value}


def _local_date(rng: random.Random, moment: dt.datetime, *, seconds: bool = False) -> Any:
    """A date object with the local time of ``moment`` (already in the issuer's zone)."""
    clock = moment.strftime("%H:%M:%S" if seconds else "%H:%M")
    return {**_hijri_or_gregorian(rng, moment.date()), "time": clock}


def _container(rng: random.Random) -> str:
    prefix = rng.choice(_OWNERS) + f"{rng.randrange(10**6):06d}"
    return prefix + str(iso6346_check_digit(prefix))


def generate_export(rng: random.Random, count: int, now: dt.datetime) -> bytes:
    """An export of ``count`` valid circulars, numbers unique per ``rng``."""
    serials = rng.sample(range(10**12), count)
    circulars = [_generate_one(rng, now, serial) for serial in serials]
    export = {"system": "GCCPOL-CIRC", "schema_version": "2.1", "generated_at": now.isoformat()}
    return orjson.dumps({"export": export, "circulars": circulars}, option=orjson.OPT_INDENT_2)


def _generate_one(rng: random.Random, now: dt.datetime, serial: int) -> dict[str, Any]:
    issuer = rng.choice(("SA", "SA", "SA", "AE", "AE", "KW", "QA", "BH", "OM"))
    revision = 1 if rng.random() < 0.8 else rng.randint(2, 4)
    issued_day = (now - dt.timedelta(days=rng.randint(1, 400))).date()
    tlp = rng.choice(_WEIGHTED_TLP)
    circular: dict[str, Any] = {
        "circular_no": f"GCC-{issuer}-{serial:012d}",
        "revision": revision,
        "state": "active",
        "issuing_state": issuer,
        "issued": {**_hijri_or_gregorian(rng, issued_day), "time": f"{rng.randint(7, 20):02d}:00"},
        "classification": {
            "tlp": f"TLP:{tlp}",
            "handling": rng.choice(("H0", "H0", "H1", "H2")),
            "grading": rng.choice(("A1", "B2", "B2", "B3", "C3")),
        },
    }
    if (ends := short_expiry(rng, now)) is not None:  # expires while the exercise runs
        zone = ZoneInfo(MEMBER_ZONES[alpha2_to_alpha3(issuer) or "SAU"])
        circular["valid_until"] = _local_date(rng, ends.astimezone(zone), seconds=True)
    elif rng.random() < 0.3:
        circular["valid_until"] = _hijri_or_gregorian(rng, issued_day + dt.timedelta(days=730))
    if rng.random() < 0.75:
        circular["type"] = "wanted"
        circular["person"] = _generate_person(rng, now)
    else:
        circular["type"] = "commodity"
        circular["commodity"] = _generate_captagon(rng)
    return circular


def _generate_person(rng: random.Random, now: dt.datetime) -> dict[str, Any]:
    female = rng.random() < 0.12
    given = rng.choice(FEMALE_NAMES if female else MALE_NAMES)
    father, grandfather = rng.choice(MALE_NAMES), rng.choice(MALE_NAMES)
    family = rng.choice(FAMILY_NAMES)
    ar = {"given": given[0], "father": father[0], "grandfather": grandfather[0]}
    en = {"given": given[1], "father": father[1], "grandfather": grandfather[1]}
    if rng.random() < 0.9:
        ar["family"], en["family"] = "ال" + family[0], "Al-" + family[1]
    name: dict[str, Any] = {"ar": ar}
    if rng.random() < 0.5:
        name["en"] = en
    birth = (now - dt.timedelta(days=rng.randint(18 * 365, 65 * 365))).date()
    nationality = rng.choice(("SA", "SA", "AE", "KW", "QA", "BH", "OM", "YE", "SY", "JO", "PK"))
    category = rng.choice(("wanted",) * 5 + ("terrorist",) * 2 + ("watch", "locate", "missing"))
    person: dict[str, Any] = {
        "name": name,
        "sex": "F" if female else "M",
        "dob": _hijri_or_gregorian(rng, birth, partial=rng.random() < 0.1),
        "pob": rng.choice(_PLACES),
        "nationality": [nationality],
        "category": category,
        "offences": _offences(rng, category),
        "armed": category == "terrorist" and rng.random() < 0.5,
    }
    if rng.random() < 0.3:
        person["aliases"] = ["أبو " + rng.choice(MALE_NAMES)[0]]
    if rng.random() < 0.6:
        expiry = (now + dt.timedelta(days=rng.randint(30, 3000))).date()
        person["documents"] = [{
            "type": "P", "number": f"{rng.choice('ABCDKLMNPR')}{rng.randrange(10**7):07d}",
            "state": nationality, "expiry": _hijri_or_gregorian(rng, expiry),
        }]  # fmt: skip
    return person


def _offences(rng: random.Random, category: str) -> list[str]:
    if category == "missing":
        return []
    if takes_review_offence(rng):  # in Arabic and English, as bilingual circulars write it
        return list(rng.choice(REVIEW_OFFENCES))
    return [rng.choice(_OFFENCES)]


def _generate_captagon(rng: random.Random) -> dict[str, Any]:
    route = rng.choice(_CAPTAGON_ROUTES)
    conveyances: list[dict[str, str]] = []
    if route[-1][1] is None:  # the land route through Jordan: a truck
        digits = "".join(rng.choice("٠١٢٣٤٥٦٧٨٩") for _ in range(4))
        letters = " ".join(rng.choice("ابحدرسصطعقكلمنهوى") for _ in range(3))
        conveyances.append({"kind": "plate", "id": f"{digits} {letters}", "state": "SA"})
    else:
        conveyances.append({"kind": "container", "id": _container(rng)})
    substance = rng.choice(("captagon", "captagon", "كبتاغون", "hashish", "crystal meth"))
    tablets = substance in ("captagon", "كبتاغون")
    return {
        "category": "drugs",
        "substance": substance,
        "quantity": (
            {"amount": rng.randrange(50, 5000) * 1000, "unit": "tablets"}
            if tablets
            else {"amount": rng.randrange(5, 800), "unit": "kg"}
        ),
        "conveyances": conveyances,
        "route": [{"state": s, **({"locode": lc} if lc else {})} for s, lc in route],
        "concealment": rng.choice(
            ("inside pomegranate crates", "in truck fuel tank", "in pallets of tiles", None)
        ),
        "action": rng.choice(("seize", "seize", "controlled_delivery", "inspect")),
    }


def revise_circular(
    rng: random.Random, record: RawRecord, now: dt.datetime, change: Revision, alert: AnyAlert
) -> bytes:
    """An export holding the next revision of one circular; ``alert`` is what it maps to now."""
    circular: dict[str, Any] = orjson.loads(record.data)
    env = alert.envelope
    change = next_change(change, env)
    local = now.astimezone(ZoneInfo(MEMBER_ZONES[env.originating_country]))
    circular["revision"] = env.version + 1
    circular["state"] = "withdrawn" if change == "cancel" else "active"
    plan = lapse_plan(env.expires_at, now, change)
    circular["issued"] = _local_date(rng, local)
    if plan == "drop":  # withdrawing a lapsed circular: no validity to state
        del circular["valid_until"]
    elif plan == "renew":  # revised after it lapsed: the issuer renews it
        circular["valid_until"] = _hijri_or_gregorian(rng, (local + _YEAR).date())
    if change in ("update", "amend"):
        _update(rng, circular, local, env.expires_at, grow=change == "update")
    elif change in ("narrow", "raise_red"):
        members = sorted(MEMBER_ZONES)
        marking = revised_labels(rng, env, change, members)
        classification = dict(circular.get("classification") or {})
        classification["tlp"] = tlp_label(marking.tlp)
        classification.pop("release_to", None)
        classification.pop("deny", None)
        if marking.release:
            classification["release_to"] = list(marking.release)
        if marking.deny:
            classification["deny"] = list(marking.deny)
        circular["classification"] = classification
    export = {"system": "GCCPOL-CIRC", "schema_version": "2.1", "generated_at": now.isoformat()}
    return orjson.dumps({"export": export, "circulars": [circular]}, option=orjson.OPT_INDENT_2)


_YEAR = dt.timedelta(days=365)


def _update(
    rng: random.Random, circular: dict[str, Any], local: dt.datetime,
    expires_at: dt.datetime | None, *, grow: bool,
) -> None:  # fmt: skip
    """A realistic later revision: a new offence (``grow``; else the last one replaced) or
    passport, more goods, longer validity."""
    choice = rng.random()
    person = circular.get("person")
    goods = circular.get("commodity")
    if isinstance(person, dict) and choice < 0.4 and person.get("category") != "missing":
        held = list(person.get("offences", []))
        fresh = [o for o in _OFFENCES if o not in held]
        if grow or not held:
            person["offences"] = [*held, rng.choice(fresh or _OFFENCES)]
        else:  # the last one requalified
            others = [o for o in _OFFENCES if o != held[-1]]
            person["offences"] = [*held[:-1], rng.choice(fresh or others)]
    elif isinstance(person, dict) and choice < 0.75:
        state = (person.get("nationality") or ["SA"])[0]
        expiry = (local + dt.timedelta(days=rng.randint(400, 3000))).date()
        person["documents"] = [{  # a newly issued passport replaces the one on file
            "type": "P", "number": f"{rng.choice('ABCDKLMNPR')}{rng.randrange(10**7):07d}",
            "state": state, "expiry": _hijri_or_gregorian(rng, expiry),
        }]  # fmt: skip
    elif isinstance(goods, dict) and choice < 0.7:
        quantity = goods.get("quantity")
        if isinstance(quantity, dict):  # the count after the full search of the load
            quantity["amount"] = int(quantity["amount"] * rng.uniform(1.1, 2.0))
        goods["action"] = "seize"
    else:
        until = (local + dt.timedelta(days=rng.randint(180, 730))).date()
        if expires_at is not None and until == expires_at.astimezone(local.tzinfo).date():
            until += dt.timedelta(days=1)  # a longer validity, never the same day again
        circular["valid_until"] = _hijri_or_gregorian(rng, until)


def generate(rng: random.Random, count: int, now: dt.datetime) -> bytes:
    """An export of ``count`` circulars: mostly wanted persons, some captagon seizures."""
    return generate_export(rng, count, now)


def revise(rng: random.Random, record: RawRecord, now: dt.datetime, change: Revision) -> bytes:
    """The circular's next revision: changed details, a narrower or RED classification
    with named states, or ``state: withdrawn``; see docs/connectors/gccpol.md."""
    alert = current_alert(GccpolConnector(), record)
    change = next_change(change, alert.envelope)
    return revise_circular(rng, record, now, change, alert)
