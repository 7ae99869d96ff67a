"""Realistic INTERPOL notices and their revisions, for simulation and benchmarks.

See connectors.interpol for the format; revisions follow its export's own rules (a later
``updated_at``, ``state: cancelled``, the label fields). SLTD exports (stolen and lost
travel documents) come from :func:`generate_documents`; ``revise`` revises either.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import orjson

from connectors.base import RawRecord, Revision
from connectors.interpol import InterpolConnector
from connectors.interpol_sltd import is_sltd_record
from connectors.synthetic.interpol_sltd import generate_sltd, revise_json, revise_record, utc_stamp
from connectors.synthetic.revise import (
    current_alert,
    next_change,
    short_expiry,
    takes_review_offence,
)
from gateway.contract import Envelope

__all__ = ["generate", "generate_documents", "generate_page", "revise", "revise_notice"]

# (nationality, forenames, family names): names as INTERPOL publishes them, upper case.
_PEOPLE: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("FR", ("JEAN", "KARIM", "JULIEN", "NADIA", "SOPHIE"), ("MARTIN", "BENALI", "DUBOIS", "LEROY")),
    ("DE", ("STEFAN", "MARKUS", "ANNA", "DENIS"), ("MUELLER", "SCHMIDT", "KRAUSE", "WEBER")),
    ("ES", ("JAVIER", "LUCIA", "SERGIO"), ("GARCIA", "MARTINEZ", "LOPEZ", "SANCHEZ")),
    ("IT", ("MARCO", "GIUSEPPE", "FRANCESCA"), ("ROSSI", "ESPOSITO", "ROMANO", "RUSSO")),
    ("RU", ("DMITRY", "SERGEY", "OLGA", "ALEKSANDR"), ("IVANOV", "PETROV", "SMIRNOV", "VOLKOV")),
    ("TR", ("MEHMET", "AHMET", "AYSE", "EMRE"), ("YILMAZ", "KAYA", "DEMIR", "CELIK")),
    ("IQ", ("AHMED", "MUSTAFA", "HAIDER", "ZAINAB"), ("AL-JUBOURI", "HUSSEIN", "AL-OBEIDI")),
    ("SY", ("OMAR", "KHALED", "RAMI", "LINA"), ("AL-HASSAN", "HAMWI", "KHATIB", "ALLOUSH")),
    ("TN", ("ANIS", "SEIFEDDINE", "AMINE"), ("TRABELSI", "BEN SALEM", "GHARBI", "JEBALI")),
    ("MA", ("YOUSSEF", "RACHID", "FATIMA"), ("EL IDRISSI", "BENJELLOUN", "ALAOUI")),
    ("NG", ("CHUKWUEMEKA", "ADEBAYO", "NGOZI"), ("OKAFOR", "ADEYEMI", "EZE", "BELLO")),
    ("BR", ("JOAO", "RAFAEL", "ANA", "THIAGO"), ("SILVA", "SANTOS", "OLIVEIRA", "PEREIRA")),
    ("MX", ("JOSE", "ALEJANDRO", "MARIA"), ("HERNANDEZ", "GONZALEZ", "RAMIREZ", "TORRES")),
    ("CO", ("ANDRES", "CAMILO", "DIANA"), ("RODRIGUEZ", "GOMEZ", "CASTILLO", "VARGAS")),
    ("AL", ("ARBEN", "ERION", "BLERINA"), ("HOXHA", "SHEHU", "KOLA", "DOKA")),
    ("UA", ("OLEKSANDR", "ANDRIY", "IRYNA"), ("SHEVCHENKO", "BONDARENKO", "KOVALENKO")),
    ("PK", ("IMRAN", "BILAL", "AYESHA"), ("KHAN", "AHMED", "QURESHI", "MALIK")),
    ("PH", ("JOSE", "MARK", "MARIBEL"), ("REYES", "SANTOS", "DELA CRUZ", "BAUTISTA")),
    ("KZ", ("NURLAN", "YERLAN", "AIGERIM"), ("NURGALIYEV", "ABENOV", "SEITOV")),
    ("US", ("MICHAEL", "DAVID", "JENNIFER"), ("SMITH", "JOHNSON", "WILLIAMS", "BROWN")),
)
_CHARGES: tuple[tuple[str, str | None], ...] = (
    ("Drug trafficking", None),
    ("Trafic de stupéfiants en bande organisée", "Organised drug trafficking"),
    ("Homicidio agravado", "Aggravated homicide"),
    ("Money laundering", None),
    ("Armed robbery", None),
    ("Trafficking in human beings", None),
    ("Fraude en bande organisée", "Organised fraud"),
    ("Illegal trafficking of firearms", None),
    ("Murder", None),
    ("Secuestro extorsivo", "Kidnapping for ransom"),
)
_TERROR_CHARGES: tuple[tuple[str, str | None], ...] = (
    ("Participation in a terrorist organisation (ISIL)", None),
    ("Association de malfaiteurs en vue de la préparation d'actes de terrorisme",
     "Criminal conspiracy to prepare acts of terrorism"),
    ("Financing of terrorism", None),
    ("Membership of a foreign terrorist organisation (Al-Nusra Front)", None),
)  # fmt: skip
# Charges the neutrality review holds (INTERPOL Constitution, Art. 3): rare, on purpose.
_REVIEW_CHARGES: tuple[tuple[str, str | None], ...] = (
    ("Desertion from the armed forces", None),
    ("Outrage au chef de l'État", "Insulting the head of state"),
    ("Participation in an illegal assembly", None),
    ("Blasphemy", None),
    ("Evasion of military service", None),
)
_MARKS = ("Scar on left cheek", "Tattoo on arm", "Tattoo of a scorpion on the neck",
          "Missing front tooth", "Walks with a limp")  # fmt: skip
_PLACES = {
    "FR": "MARSEILLE", "DE": "BERLIN", "ES": "MADRID", "IT": "NAPLES", "RU": "MOSCOW",
    "TR": "ISTANBUL", "IQ": "MOSUL", "SY": "ALEPPO", "TN": "TUNIS", "MA": "CASABLANCA",
    "NG": "LAGOS", "BR": "SAO PAULO", "MX": "CULIACAN", "CO": "MEDELLIN", "AL": "TIRANA",
    "UA": "KHARKIV", "PK": "KARACHI", "PH": "MANILA", "KZ": "ALMATY", "US": "CHICAGO",
}  # fmt: skip
_TLPS = (("GREEN", 55), ("AMBER", 30), ("CLEAR", 8), ("AMBER+STRICT", 5), ("RED", 2))


def _generate_notice(rng: random.Random, entity_id: str, now: datetime) -> dict[str, Any]:
    nationality, forenames, names = rng.choice(_PEOPLE)
    yellow = rng.random() < 0.15
    terror = not yellow and rng.random() < 0.2
    kind = "yellow" if yellow else "red"
    born = rng.randint(1990, 2012) if yellow else rng.randint(1955, 2004)
    precision = rng.random()
    dob = (
        f"{born}" if precision < 0.07
        else f"{born}/{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}"
    )  # fmt: skip
    published = now - timedelta(days=rng.randint(1, 2000), seconds=rng.randint(0, 86_399))
    cancelled = rng.random() < 0.03
    changed = cancelled or rng.random() < 0.25
    updated = published + (now - published) * rng.uniform(0.1, 1) if changed else published
    notice: dict[str, Any] = {
        "entity_id": entity_id,
        "forename": rng.choice(forenames),
        "name": rng.choice(names),
        "date_of_birth": dob,
        "nationalities": [nationality],
        "sex_id": rng.choice(("M", "M", "M", "F")),
        "country_of_birth_id": nationality,
        "place_of_birth": _PLACES[nationality],
        "height": round(rng.uniform(1.55, 1.95), 2),
        "weight": rng.randint(52, 110),
        "eyes_colors_id": [rng.choice(("BRO", "BRO", "BLA", "BLU", "GRE", "HAZ"))],
        "hairs_id": [rng.choice(("BLA", "BRO", "BLO", "GRY"))],
        "languages_spoken_ids": ["ENG"],
        "distinguishing_marks": rng.choice((None, None, "Scar on left cheek", "Tattoo on arm")),
        "_links": {"self": {"href": f"https://ws-public.interpol.int/notices/v1/{kind}/"
                                    f"{entity_id.replace('/', '-')}"}},
        "published_at": utc_stamp(published),
        "updated_at": utc_stamp(updated),
        "state": "cancelled" if cancelled else "published",
        "tlp": rng.choices([t for t, _ in _TLPS], [w for _, w in _TLPS])[0],
    }  # fmt: skip
    if yellow:
        notice["country"] = nationality
        notice["date_of_event"] = (published - timedelta(days=rng.randint(1, 60))).strftime(
            "%Y/%m/%d"
        )
    else:
        pool = _TERROR_CHARGES if terror else _CHARGES
        issuing = nationality if rng.random() < 0.7 else rng.choice(_PEOPLE)[0]
        charges = rng.sample(pool, rng.randint(1, 2))
        if not terror and takes_review_offence(rng):
            charges = [rng.choice(_REVIEW_CHARGES)]
        notice["arrest_warrants"] = [
            {"issuing_country_id": issuing, "charge": charge, "charge_translation": translation}
            for charge, translation in charges
        ]
    if notice["tlp"] == "RED":
        notice["release_to_countries"] = rng.sample(sorted(_PLACES), 2)
    elif rng.random() < 0.05:
        notice["deny_countries"] = [rng.choice(sorted(_PLACES))]
    if rng.random() < 0.1:
        notice["handling_code"] = rng.choice(("H1", "H2"))
    if not cancelled and (expiry := short_expiry(rng, now)) is not None:
        notice["expires_at"] = utc_stamp(expiry)
    return notice


def generate_page(rng: random.Random, count: int, now: datetime) -> bytes:
    seen: set[str] = set()
    notices: list[dict[str, Any]] = []
    while len(notices) < count:
        entity_id = f"{rng.randint(2012, now.year)}/{rng.randint(10_000, 9_999_999)}"
        if entity_id not in seen:
            seen.add(entity_id)
            notices.append(_generate_notice(rng, entity_id, now))
    page = {
        "total": count,
        "query": {"page": 1, "resultPerPage": count},
        "_embedded": {"notices": notices},
        "_links": {"self": {"href": "https://ws-public.interpol.int/notices/v1/red?page=1"}},
    }
    return orjson.dumps(page, option=orjson.OPT_INDENT_2)


def revise_notice(
    rng: random.Random, notice: dict[str, Any], envelope: Envelope, now: datetime,
    change: Revision,
) -> bytes:  # fmt: skip
    """One notice detail object revising ``notice`` (whose alert is ``envelope``)."""
    revise_json(
        rng, notice, envelope, now, change, first_key="published_at", live="published",
        gone="cancelled",
    )  # fmt: skip
    if change in ("update", "amend"):
        _update_details(rng, notice, grow=change == "update")
    return orjson.dumps(notice, option=orjson.OPT_INDENT_2)


def _update_details(rng: random.Random, notice: dict[str, Any], *, grow: bool) -> None:
    """A later finding: a further charge on the warrant list (``grow``), else new
    distinguishing marks."""
    warrants = notice.get("arrest_warrants")
    if grow and isinstance(warrants, list) and warrants and isinstance(warrants[0], dict):
        known = {w.get("charge") for w in warrants if isinstance(w, dict)}
        fresh = [c for c in _CHARGES if c[0] not in known]
        if fresh and rng.random() < 0.7:
            charge, translation = rng.choice(fresh)
            issuing = warrants[0].get("issuing_country_id")
            warrants.append(
                {"issuing_country_id": issuing, "charge": charge, "charge_translation": translation}
            )
            return
    marks = [m for m in _MARKS if m != notice.get("distinguishing_marks")]
    notice["distinguishing_marks"] = rng.choice(marks)


def generate(rng: random.Random, count: int, now: datetime) -> bytes:
    """A list page of ``count`` full notices: mostly red (some terrorism), some yellow."""
    return generate_page(rng, count, now)


def generate_documents(rng: random.Random, count: int, now: datetime) -> bytes:
    """An SLTD export of ``count`` stolen or lost travel documents (TRAVEL_DOCUMENT alerts)."""
    return generate_sltd(rng, count, now)


def revise(rng: random.Random, record: RawRecord, now: datetime, change: Revision) -> bytes:
    """One notice (or SLTD record) with a later ``updated_at``: changed details or labels,
    or cancelled (withdrawn)."""
    alert = current_alert(InterpolConnector(), record)
    change = next_change(change, alert.envelope)
    native = orjson.loads(record.data)
    if is_sltd_record(native):
        return revise_record(rng, native, alert.envelope, now, change)
    return revise_notice(rng, native, alert.envelope, now, change)
