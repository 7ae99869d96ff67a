"""Realistic ECO telexes and their revisions for simulation and benchmarks.

See connectors.eco for the format; a revision is the same telex with ``REV`` raised,
``STATUS: AMEND`` (or ``CANCEL``), a new ``DATE``/``TIME`` and the changed fields.
"""

# Persian-script values are this module's data, not look-alike typos:
# ruff: noqa: RUF001

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

from connectors.base import RawRecord, Revision
from connectors.eco import MEMBER_ZONES, EcoConnector, read_fields
from connectors.formats.arabic import Calendar, format_native_date
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
from gateway.contract import AnyAlert, Commodity, WantedPersonAlert
from gateway.contract.identifiers import imo_check_digit, iso6346_check_digit

__all__ = [
    "container_number",
    "generate",
    "generate_telexes",
    "imo_number",
    "revise",
    "revise_telex",
]

_REMARKS = "heroin trafficking network, border crossings on the Afghan routes"


def generate_telexes(rng: random.Random, count: int, now: dt.datetime) -> bytes:
    """``count`` valid telexes, references unique per ``rng``."""
    serials = rng.sample(range(10**10), count)  # unique across batches too
    return "".join(_generate_one(rng, now, serial) for serial in serials).encode()


def _short_validity(rng: random.Random, now: dt.datetime, origin: str) -> list[str]:
    """``VALID`` and ``VALID-TIME`` 30-120 s ahead for a few telexes, nothing for the rest."""
    if (ends := short_expiry(rng, now)) is None:
        return []
    local = ends.astimezone(ZoneInfo(MEMBER_ZONES[origin]))
    return [f"VALID: {local.date().isoformat()} AD", f"VALID-TIME: {local:%H:%M:%S}"]


def _remarks(rng: random.Random) -> str:
    """A trafficker's offences; a few also of a political or military character."""
    if takes_review_offence(rng):
        return f"{rng.choice(REVIEW_OFFENCES)[1]}; {_REMARKS}"
    return _REMARKS


# Trafficking routes out of Afghanistan (and Iranian methamphetamine), as telex ROUTE values.
_ROUTES = (
    "AFG/HERAT > AFG/ISLAM QALA > IRN/DOGHAROUN > IRN/TEHRAN > IRN/BAZARGAN > TUR/ISTANBUL",
    "AFG/KANDAHAR > AFG/SPIN BOLDAK > PAK/CHAMAN > PAK/KARACHI",
    "AFG/KABUL > AFG/TORKHAM > PAK/PORT QASIM",
    "AFG/ZARANJ > IRN/MILAK > IRN/BANDAR ABBAS > ARE/JEBEL ALI",
    "AFG/HAIRATAN > UZB/TERMEZ > UZB/TASHKENT > KAZ/ALMATY",
    "AFG/SHIRKHAN BANDAR > TJK/PANJI POYON > TJK/DUSHANBE > KGZ/BISHKEK",
    "PAK/TAFTAN > IRN/MIRJAVEH > IRN/TEHRAN > TUR/GURBULAK > TUR/MERSIN",
    "IRN/CHABAHAR > PAK/GWADAR",
)
_SUBSTANCES = (
    ("HEROIN", 30), ("OPIUM", 25), ("METHAMPHETAMINE", 15), ("HASHISH", 10), ("MORPHINE", 5),
    ("شیشه", 5), ("تریاک", 5), ("ACETIC ANHYDRIDE", 5),
)  # fmt: skip
_ORIGINS = ("IRN", "IRN", "IRN", "AFG", "AFG", "PAK", "PAK", "TJK", "UZB", "TUR", "KGZ")
_FA_NAMES = (
    ("احمدی", "Ahmadi"), ("محمدی", "Mohammadi"), ("رحیمی", "Rahimi"), ("کریمی", "Karimi"),
    ("نوری", "Nouri"), ("حسینی", "Hosseini"), ("یوسفزی", "Yousafzai"), ("نورزی", "Noorzai"),
)  # fmt: skip
_FA_GIVEN = (
    ("محمد", "Mohammad"), ("علی", "Ali"), ("رضا", "Reza"), ("گل", "Gul"),
    ("عبدالله", "Abdullah"), ("حمید", "Hamid"), ("نصیر", "Nasir"), ("جاوید", "Javed"),
)  # fmt: skip
_PERSIAN_DIGITS = str.maketrans("0123456789.", "۰۱۲۳۴۵۶۷۸۹٫")


def _native_day(rng: random.Random, day: dt.date) -> str:
    if rng.random() < 0.7:
        digits = "persian" if rng.random() < 0.4 else "latin"
        text = format_native_date(Calendar.JALALI, day, digits=digits, sep="/")
        return f"{text} SH"
    return f"{day.isoformat()} AD"


def _generate_one(rng: random.Random, now: dt.datetime, serial: int) -> str:
    origin = rng.choice(_ORIGINS)
    revision = 1 if rng.random() < 0.85 else rng.randint(2, 3)
    day = (now - dt.timedelta(days=rng.randint(1, 200))).date()
    solar_year = format_native_date(Calendar.JALALI, day)[:4]
    lines = [
        f"ZCZC ECO-DCCU {rng.randrange(10**4):04d}",
        f"REF: ECO/{origin}/{solar_year}/{serial:010d}",
        f"REV: {revision}",
        f"STATUS: {'NEW' if revision == 1 else 'AMEND'}",
        f"ORIGIN: {origin}",
        f"DATE: {_native_day(rng, day)}",
        f"TIME: {rng.randint(6, 21):02d}:{rng.choice(('00', '15', '30', '45'))}",
        *_short_validity(rng, now, origin),
        f"TLP: {rng.choice(('GREEN', 'GREEN', 'AMBER', 'AMBER', 'AMBER+STRICT'))}",
        f"HANDLING: {rng.choice(('H0', 'H1', 'H2'))}",
        f"GRADE: {rng.choice(('A2', 'B2', 'B2', 'B3', 'C3'))}",
    ]
    if rng.random() < 0.85:
        lines += _generate_goods(rng)
    else:
        lines += _generate_person(rng, now)
    return "\n".join([*lines, "NNNN", ""])


def _generate_goods(rng: random.Random) -> list[str]:
    names, weights = zip(*_SUBSTANCES, strict=True)
    substance = rng.choices(names, weights)[0]
    route = rng.choice(_ROUTES)
    amount = f"{rng.randint(2, 2500)}"
    unit = "KG"
    if rng.random() < 0.1:
        amount, unit = f"{rng.randint(1, 9)},{rng.randint(1, 9)}", "T"
    if rng.random() < 0.3:
        amount = amount.translate(_PERSIAN_DIGITS).replace(",", "٫")
    conveyances = []
    if "KARACHI" in route or "PORT QASIM" in route or "JEBEL ALI" in route:
        owner = rng.choice(("MSCU", "MAEU", "CMAU", "PCIU", "TGHU"))
        conveyances.append(f"CONTAINER {container_number(rng, owner)}")
        if rng.random() < 0.5:
            conveyances.append(f"VESSEL IMO {imo_number(rng)}")
    else:
        country = route.split("/")[0]
        conveyances.append(f"TRUCK {country} {rng.randint(10, 99)}-{rng.randint(10000, 99999)}")
    return [
        f"TYPE: {rng.choice(('SEIZURE', 'SEIZURE', 'INTEL'))}",
        f"SUBSTANCE: {substance}",
        f"QTY: {amount} {unit}",
        f"CONVEYANCE: {'; '.join(conveyances)}",
        f"ROUTE: {route}",
        f"CONCEALMENT: {rng.choice(('false floor of trailer', 'inside rice sacks', 'fuel tank'))}",
        f"ACTION: {rng.choice(('SEIZE', 'SEIZE', 'CONTROLLED DELIVERY', 'INSPECT'))}",
    ]


def _generate_person(rng: random.Random, now: dt.datetime) -> list[str]:
    family, given = rng.choice(_FA_NAMES), rng.choice(_FA_GIVEN)
    birth = (now - dt.timedelta(days=rng.randint(20 * 365, 60 * 365))).date()
    nationality = rng.choice(("AFG", "AFG", "IRN", "PAK"))
    lines = [
        "TYPE: PERSON",
        f"NAME: {family[1].upper()}, {given[1].upper()}",
        f"NAME-FA: {family[0]}، {given[0]}",
        "SEX: M",
        f"DOB: {_native_day(rng, birth)}",
        f"NATIONALITY: {nationality}",
        f"CATEGORY: {rng.choice(('WANTED', 'WANTED', 'WATCH', 'LOCATE'))}",
        f"REMARKS: {_remarks(rng)}",
    ]
    if rng.random() < 0.5:
        lines.append(f"DOC: P {nationality} {rng.choice('PRKX')}{rng.randrange(10**7):07d}")
    return lines


def container_number(rng: random.Random, owner: str) -> str:
    """A random ISO 6346 container number of an owner code, with its check digit."""
    prefix = owner + f"{rng.randrange(10**6):06d}"
    return prefix + str(iso6346_check_digit(prefix))


def imo_number(rng: random.Random) -> str:
    """A random seven-digit IMO ship number with its check digit."""
    first = f"{rng.randint(900000, 999999)}"
    return first + str(imo_check_digit(first))


# The order a revised telex writes its fields in (the parser accepts any order).
_ORDER = (
    "REF", "REV", "STATUS", "ORIGIN", "DATE", "TIME", "VALID", "VALID-TIME", "TLP",
    "RELEASE-TO", "DENY", "HANDLING", "GRADE", "TYPE", "SUBSTANCE", "QTY", "CONVEYANCE",
    "ROUTE", "CONCEALMENT", "ACTION", "NAME", "NAME-FA", "SEX", "DOB", "NATIONALITY",
    "CATEGORY", "REMARKS", "DOC",
)  # fmt: skip
_RANK = {name: i for i, name in enumerate(_ORDER)}
_UNIT_WORDS = {"KILOGRAM": "KG", "GRAM": "G", "LITRE": "L", "TABLET": "TABLETS"}
_YEAR = dt.timedelta(days=365)


def revise_telex(
    rng: random.Random,
    fields: dict[str, str],
    now: dt.datetime,
    change: Revision,
    alert: AnyAlert,
) -> bytes:
    """One telex revising the telex of ``fields``, which maps to ``alert``."""
    env = alert.envelope
    change = next_change(change, env)
    local = now.astimezone(ZoneInfo(MEMBER_ZONES[env.originating_country]))
    out = dict(fields)
    out["REV"] = str(env.version + 1)
    out["STATUS"] = "CANCEL" if change == "cancel" else "AMEND"
    plan = lapse_plan(env.expires_at, now, change)
    out["DATE"] = _native_day(rng, local.date())
    out["TIME"] = f"{local:%H:%M}"
    if plan in ("drop", "renew"):
        out.pop("VALID-TIME", None)
        out.pop("VALID", None)  # a lapsed alert withdrawn: no validity to state
    if plan == "renew":  # revised after it lapsed: the origin renews it
        out["VALID"] = _native_day(rng, (local + _YEAR).date())
    if change in ("update", "amend"):
        _update(rng, out, local, alert, grow=change == "update")
    elif change in ("narrow", "raise_red"):
        marking = revised_labels(rng, env, change, sorted(MEMBER_ZONES))
        out["TLP"] = tlp_label(marking.tlp).removeprefix("TLP:")
        for name, codes in (("RELEASE-TO", marking.release), ("DENY", marking.deny)):
            out.pop(name, None)
            if codes:
                out[name] = " ".join(codes)
    body = [f"{name}: {out[name]}" for name in sorted(out, key=lambda n: _RANK.get(n, 99))]
    return "\n".join([f"ZCZC ECO-DCCU {rng.randrange(10**4):04d}", *body, "NNNN", ""]).encode()


def _update(
    rng: random.Random, out: dict[str, str], local: dt.datetime, alert: AnyAlert, *, grow: bool
) -> None:
    """A realistic amendment: the weighed quantity, the seizure, a passport, more offences
    (``grow``; else the remarks name one further offence at most)."""
    choice = rng.random()
    if isinstance(alert, WantedPersonAlert):
        if choice < 0.4:
            nationality = (out.get("NATIONALITY") or "AFG").replace(",", " ").split()[0]
            out["DOC"] = f"P {nationality} {rng.choice('PRKX')}{rng.randrange(10**7):07d}"
            return
        if choice < 0.7:
            remarks = out.get("REMARKS", _REMARKS) if grow else _REMARKS
            out["REMARKS"] = f"{remarks}; money laundering"
            return
    else:
        goods = alert.subject
        quantity = goods.quantity if isinstance(goods, Commodity) else None
        if choice < 0.45 and quantity is not None:  # the weight after the full search
            amount = int(quantity.amount * rng.uniform(1.1, 2.0)) + 1
            out["QTY"] = f"{amount} {_UNIT_WORDS.get(quantity.unit.name, 'KG')}"
            return
        if choice < 0.7:
            out["ACTION"] = "SEIZE"
            out["REMARKS"] = "consignment seized at the border crossing; suspects detained"
            return
    out.pop("VALID-TIME", None)
    out["VALID"] = _native_day(rng, (local + dt.timedelta(days=rng.randint(180, 730))).date())


def generate(rng: random.Random, count: int, now: dt.datetime) -> bytes:
    """``count`` telexes: mostly opiate and methamphetamine seizures, some traffickers."""
    return generate_telexes(rng, count, now)


def revise(rng: random.Random, record: RawRecord, now: dt.datetime, change: Revision) -> bytes:
    """The telex's next revision: ``AMEND`` with changed fields, a narrower or RED
    ``TLP``/``RELEASE-TO``/``DENY``, or ``CANCEL``; see docs/connectors/eco.md."""
    alert = current_alert(EcoConnector(), record)
    change = next_change(change, alert.envelope)
    fields = read_fields(record.data.decode("utf-8", errors="replace"))
    return revise_telex(rng, fields, now, change, alert)
