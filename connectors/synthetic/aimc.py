"""Realistic AIMC bulletins and their revisions for simulation and benchmarks.

See connectors.aimc for the format; a revision is the same bulletin with ``@revision``
raised, ``@status`` ``amended`` (or ``cancelled``), a new ``IssuedOn`` and the changed
elements.
"""

from __future__ import annotations

import datetime as dt
import random
from xml.etree.ElementTree import Element, SubElement, indent, tostring
from zoneinfo import ZoneInfo

from connectors.aimc import MEMBER_ZONES, AimcConnector, parse_xml
from connectors.base import RawRecord, Revision
from connectors.formats.arabic import (
    FAMILY_NAMES,
    FEMALE_NAMES,
    MALE_NAMES,
    Calendar,
    format_native_date,
)
from connectors.synthetic.revise import (
    REVIEW_OFFENCES,
    Labels,
    current_alert,
    lapse_plan,
    next_change,
    revised_labels,
    short_expiry,
    takes_review_offence,
    tlp_label,
)
from gateway.contract import WantedPersonAlert

__all__ = ["generate", "generate_document", "revise", "revise_bulletin"]

_ISSUERS = ("JOR", "EGY", "IRQ", "MAR", "TUN", "SAU", "DZA", "LBN", "KWT", "ARE")
_ARABIC_COUNTRY = {
    "JOR": "الأردن", "EGY": "مصر", "IRQ": "العراق", "MAR": "المغرب", "TUN": "تونس",
    "SAU": "السعودية", "DZA": "الجزائر", "LBN": "لبنان", "KWT": "الكويت", "ARE": "الإمارات",
    "SYR": "سوريا", "LBY": "ليبيا", "YEM": "اليمن",
}  # fmt: skip
_CHARGES = (
    "الانتماء إلى تنظيم إرهابي",
    "تمويل الإرهاب",
    "تهريب مخدرات",
    "القتل العمد",
    "السطو المسلح",
)
_YEAR = dt.timedelta(days=365)


def generate_document(rng: random.Random, count: int, now: dt.datetime) -> bytes:
    """A document of ``count`` valid bulletins, ids unique per ``rng``."""
    root = Element("AimcBulletins", {"generated": now.isoformat(timespec="seconds")})
    for serial in rng.sample(range(10**10), count):  # unique across batches too
        _generate_one(root, rng, now, serial)
    return _document(root)


def _document(root: Element) -> bytes:
    indent(root)
    body = tostring(root, encoding="unicode").encode()
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body + b"\n"


def _date_element(tag: str, rng: random.Random, day: dt.date) -> Element:
    """A date element in Hijri or Gregorian, said by attribute, suffix or both."""
    calendar = Calendar.HIJRI if rng.random() < 0.5 else Calendar.GREGORIAN
    suffix = ("هـ" if calendar is Calendar.HIJRI else "م") if rng.random() < 0.5 else ""
    digits = "arabic" if rng.random() < 0.5 else "latin"
    value = format_native_date(calendar, day, digits=digits, order="dmy", sep="/", suffix=suffix)
    el = Element(tag)
    if not suffix or rng.random() < 0.5:
        el.set("calendar", calendar.value)
    el.text = value
    return el


def _dated(parent: Element, tag: str, rng: random.Random, day: dt.date) -> Element:
    el = _date_element(tag, rng, day)
    parent.append(el)
    return el


def _country_text(code: str) -> str:
    """How a bulletin names a country: in Arabic when the generator knows the name."""
    return _ARABIC_COUNTRY.get(code, code)


def _generate_one(root: Element, rng: random.Random, now: dt.datetime, serial: int) -> None:
    issuer = rng.choice(_ISSUERS)
    revision = 1 if rng.random() < 0.85 else rng.randint(2, 3)
    bulletin = SubElement(root, "Bulletin", {
        "id": f"ACPB/{now.year}/{serial:010d}", "revision": str(revision),
        "status": "active" if revision == 1 else "amended",
    })  # fmt: skip
    SubElement(bulletin, "Issuer").text = _ARABIC_COUNTRY[issuer]
    _dated(bulletin, "IssuedOn", rng, (now - dt.timedelta(days=rng.randint(1, 300))).date())
    if (ends := short_expiry(rng, now)) is not None:  # expires while the exercise runs
        local = ends.astimezone(ZoneInfo(MEMBER_ZONES[issuer]))
        _dated(bulletin, "ValidUntil", rng, local.date()).set("time", local.strftime("%H:%M:%S"))
    kind = rng.choice(("مطلوب",) * 6 + ("إرهابي",) * 3 + ("مفقود",))
    SubElement(bulletin, "Kind").text = kind
    SubElement(bulletin, "Classification", {
        "tlp": rng.choice(("GREEN", "GREEN", "AMBER", "AMBER", "AMBER+STRICT")),
        "handling": rng.choice(("H0", "H1", "H2")), "grading": rng.choice(("A2", "B2", "B3")),
    })  # fmt: skip
    female = kind == "مفقود" and rng.random() < 0.5
    first = rng.choice(FEMALE_NAMES if female else MALE_NAMES)
    father, grandfather = rng.choice(MALE_NAMES), rng.choice(MALE_NAMES)
    family = rng.choice(FAMILY_NAMES)
    link = "بنت" if female else "بن"
    person = SubElement(bulletin, "Person", {"sex": "أنثى" if female else "ذكر"})
    SubElement(
        person, "FullName", {"script": "Arab"}
    ).text = f"{first[0]} {link} {father[0]} بن {grandfather[0]} ال{family[0]}"
    if rng.random() < 0.4:
        SubElement(person, "FullName", {"script": "Latn"}).text = (
            f"{first[1]} {'bint' if female else 'bin'} {father[1]} bin {grandfather[1]} "
            f"Al-{family[1]}"
        )
    if kind != "مفقود" and rng.random() < 0.3:
        SubElement(person, "Alias").text = "أبو " + rng.choice(MALE_NAMES)[0]
    _dated(person, "BirthDate", rng, (now - dt.timedelta(days=rng.randint(6600, 24000))).date())
    nationality = issuer if rng.random() < 0.7 else rng.choice(list(_ARABIC_COUNTRY))
    SubElement(person, "Nationality").text = _ARABIC_COUNTRY[nationality]
    if rng.random() < 0.5:
        doc = SubElement(person, "Document", {"type": "P", "country": nationality})
        doc.text = f"{rng.choice('ABCKNPRS')}{rng.randrange(10**7):07d}"
    if kind != "مفقود":
        if takes_review_offence(rng):  # in Arabic and English, as a bilingual bulletin does
            for charge in rng.choice(REVIEW_OFFENCES):
                SubElement(person, "Charge").text = charge
        else:
            SubElement(person, "Charge").text = rng.choice(_CHARGES)
        SubElement(person, "RequestedAction").text = (
            "قبض" if kind == "إرهابي" else rng.choice(("قبض", "قبض", "احتجاز", "مراقبة"))
        )


def _replace(bulletin: Element, new: Element, after: str) -> None:
    """Put ``new`` where the element of its tag is, else right after the ``after`` element."""
    old = bulletin.find(new.tag)
    children = list(bulletin)
    if old is not None:
        position = children.index(old)
        bulletin.remove(old)
    else:
        anchor = bulletin.find(after)
        position = children.index(anchor) + 1 if anchor is not None else len(children)
    bulletin.insert(position, new)


def revise_bulletin(
    rng: random.Random,
    bulletin: Element,
    now: dt.datetime,
    change: Revision,
    alert: WantedPersonAlert,
) -> bytes:
    """A document holding the next revision of one (parsed) bulletin that maps to ``alert``."""
    env = alert.envelope
    change = next_change(change, env)
    local = now.astimezone(ZoneInfo(MEMBER_ZONES[env.originating_country]))
    bulletin.set("revision", str(env.version + 1))
    bulletin.set("status", "cancelled" if change == "cancel" else "amended")
    plan = lapse_plan(env.expires_at, now, change)
    issued = _date_element("IssuedOn", rng, local.date())
    issued.set("time", local.strftime("%H:%M"))
    _replace(bulletin, issued, "Issuer")
    lapsed = bulletin.find("ValidUntil")
    if plan == "drop" and lapsed is not None:  # withdrawing a lapsed bulletin
        bulletin.remove(lapsed)
    elif plan == "renew":  # revised after it lapsed: the issuer renews it
        _replace(bulletin, _date_element("ValidUntil", rng, (local + _YEAR).date()), "IssuedOn")
    if change in ("update", "amend"):
        _update(rng, bulletin, local, grow=change == "update")
    elif change in ("narrow", "raise_red"):
        marking = revised_labels(rng, env, change, sorted(MEMBER_ZONES))
        _mark(bulletin, marking)
    root = Element("AimcBulletins", {"generated": now.isoformat(timespec="seconds")})
    root.append(bulletin)
    return _document(root)


def _mark(bulletin: Element, marking: Labels) -> None:
    """Write a marking: ``Classification/@tlp`` then one ``ReleaseTo`` or ``Deny`` per country."""
    for old in [*bulletin.findall("ReleaseTo"), *bulletin.findall("Deny")]:
        bulletin.remove(old)
    label = bulletin.find("Classification")
    if label is None:
        label = Element("Classification")
        _replace(bulletin, label, "Kind")
    label.set("tlp", tlp_label(marking.tlp).removeprefix("TLP:"))
    position = list(bulletin).index(label) + 1
    for tag, codes in (("Deny", marking.deny), ("ReleaseTo", marking.release)):
        for code in reversed(codes):
            el = Element(tag)
            el.text = _country_text(code)
            bulletin.insert(position, el)


def _update(rng: random.Random, bulletin: Element, local: dt.datetime, *, grow: bool) -> None:
    """A realistic amendment: a further charge (``grow``), a new passport, or a longer
    validity."""
    person = bulletin.find("Person")
    choice = rng.random()
    missing = (bulletin.findtext("Kind") or "").strip() == "مفقود"
    if person is not None and choice < 0.4 and not missing and grow:
        known = {(c.text or "").strip() for c in person.findall("Charge")}
        charge = Element("Charge")
        charge.text = rng.choice([c for c in _CHARGES if c not in known] or list(_CHARGES))
        charges = person.findall("Charge")
        position = list(person).index(charges[-1]) + 1 if charges else len(person)
        person.insert(position, charge)
    elif person is not None and choice < 0.75:
        for old in person.findall("Document"):
            person.remove(old)
        country = (person.findtext("Nationality") or "").strip() or "JO"
        doc = Element("Document", {"type": "P", "country": country})
        doc.text = f"{rng.choice('ABCKNPRS')}{rng.randrange(10**7):07d}"
        nationalities = person.findall("Nationality")
        position = list(person).index(nationalities[-1]) + 1 if nationalities else len(person)
        person.insert(position, doc)
    else:
        days = dt.timedelta(days=rng.randint(180, 730))
        _replace(bulletin, _date_element("ValidUntil", rng, (local + days).date()), "IssuedOn")


def generate(rng: random.Random, count: int, now: dt.datetime) -> bytes:
    """A document of ``count`` bulletins, most wanted, some terrorists, a few missing."""
    return generate_document(rng, count, now)


def revise(rng: random.Random, record: RawRecord, now: dt.datetime, change: Revision) -> bytes:
    """The bulletin's next revision: amended details, fewer or RED-named recipients, or
    ``status="cancelled"``; see docs/connectors/aimc.md."""
    alert = current_alert(AimcConnector(), record)
    change = next_change(change, alert.envelope)
    return revise_bulletin(rng, parse_xml(record.data, "parse"), now, change, alert)
