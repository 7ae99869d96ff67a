"""Realistic GCCPOL circulars for simulation and benchmarks (see connectors.gccpol)."""

# Arabic-script names and values are this module's data, not look-alike typos:

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import orjson

from connectors._arabic import (
    FAMILY_NAMES,
    FEMALE_NAMES,
    MALE_NAMES,
    Calendar,
    format_native_date,
)
from gateway.identifiers import iso6346_check_digit

__all__ = ["generate_export"]

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
    if rng.random() < 0.3:
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
        "offences": [] if category == "missing" else [rng.choice(_OFFENCES)],
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
