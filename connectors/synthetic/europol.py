"""Realistic EUROPOL UMF-style messages and their revisions, for simulation and benchmarks.

See connectors.europol for the format; a revision is the subject's mini message at the next
``Revision``, with new labels on the entity or ``Status`` WITHDRAWN.
"""

from __future__ import annotations

import random
import string
import xml.etree.ElementTree as ET  # building XML only, never parsing it
from datetime import UTC, datetime, timedelta

from connectors.base import RawRecord, Revision
from connectors.europol import EuropolConnector, parse_message
from connectors.synthetic.revise import (
    MEMBERS,
    alpha2,
    current_alert,
    kept_expiry,
    next_change,
    next_stamp,
    revised_labels,
    short_expiry,
    takes_review_offence,
    tlp_word,
)
from gateway.contract import Envelope, Org
from gateway.contract.identifiers import vin_check_digit

__all__ = ["generate", "generate_message", "revise", "revise_message"]

# (nationality alpha-2, forenames, surnames)
_PEOPLE = (
    ("FR", ("Jean-Pierre", "Mehdi", "Camille", "Lucas"), ("Dubois", "Lefèvre", "Haddad", "Moreau")),
    ("DE", ("Jan", "Lukas", "Mehmet", "Sabine"), ("Schneider", "Fischer", "Öztürk", "Wagner")),
    ("NL", ("Daan", "Sem", "Youssef", "Emma"), ("de Vries", "van Dijk", "Bakker", "El Amrani")),
    ("BE", ("Thomas", "Nordin", "Lotte"), ("Peeters", "Janssens", "Benali", "Maes")),
    ("ES", ("Javier", "Carmen", "Sergio"), ("García López", "Fernández", "Ruiz Ortega")),
    ("IT", ("Salvatore", "Giulia", "Antonio"), ("Esposito", "Greco", "Mancuso", "Barbieri")),
    ("PL", ("Piotr", "Kamil", "Agnieszka"), ("Nowak", "Kowalski", "Wiśniewski", "Zieliński")),
    ("RO", ("Andrei", "Ionuț", "Elena"), ("Popescu", "Ionescu", "Dumitru", "Stan")),
    ("SE", ("Erik", "Ahmed", "Linnea"), ("Andersson", "Johansson", "Hussein")),
    ("AL", ("Arben", "Klodian", "Elira"), ("Hoxha", "Berisha", "Çela")),
    ("MA", ("Yassine", "Karim", "Salma"), ("El Idrissi", "Benjelloun", "Amrani")),
)
_CATEGORIES = (("ARREST", 55), ("FTF", 15), ("LOCATE", 15), ("WARNING", 5), ("MISSING", 10))
_OFFENCES = {
    "ARREST": ("Illicit trafficking in narcotic drugs", "Armed robbery", "Money laundering",
               "Trafficking in human beings", "Murder, grievous bodily injury",
               "Organised or armed robbery", "Swindling"),
    "FTF": ("Participation in a terrorist group", "Travel for the purpose of terrorism"),
    "LOCATE": ("Witness in criminal proceedings", "Serving a custodial sentence"),
    "WARNING": ("Suspected facilitation of illegal immigration",),
    "MISSING": (),
}  # fmt: skip
# Offences the neutrality review holds; a member state sends one now and then.
_REVIEW_OFFENCES = (
    "Participation in an illegal assembly",
    "Desertion",
    "Espionage on behalf of a third country",
    "Insulting the head of state",
)
_TLPS = (("GREEN", 40), ("AMBER", 45), ("AMBER+STRICT", 15))
_MAKES = (
    ("WVW", "Volkswagen", "Golf"), ("WBA", "BMW", "X5"), ("WDD", "Mercedes-Benz", "E 220"),
    ("VF1", "Renault", "Clio"), ("ZFA", "Fiat", "Ducato"), ("TMB", "Škoda", "Octavia"),
    ("VF3", "Peugeot", "308"), ("YV1", "Volvo", "XC60"),
)  # fmt: skip
_VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
_COLOURS = ("black", "grey", "white", "silver", "blue", "red")


def _pattern(rng: random.Random, pattern: str) -> str:
    """'A' a capital letter, '9' a digit, anything else as is."""
    return "".join(
        rng.choice(string.ascii_uppercase) if c == "A"
        else str(rng.randint(0, 9)) if c == "9" else c
        for c in pattern
    )  # fmt: skip


_PASSPORTS = {"FR": "99AA99999", "DE": "C9A9A9A99", "NL": "AA9A9A9A9", "BE": "AA999999",
              "ES": "AAA999999", "IT": "AA9999999", "PL": "AA9999999", "RO": "99999999",
              "SE": "99999999", "AL": "AA9999999", "MA": "AA9999999"}  # fmt: skip
_PLATES = {"DE": "A-AA 9999", "FR": "AA-999-AA", "NL": "99-AAA-9", "BE": "1-AAA-999",
           "ES": "9999 AAA", "IT": "AA 999 AA", "PL": "AA 99999", "RO": "B 99 AAA",
           "SE": "AAA 99A", "AL": "AA 999 AA", "MA": "99999-A-9"}  # fmt: skip


def _vin(rng: random.Random, wmi: str) -> str:
    body = wmi + "".join(rng.choice(_VIN_CHARS) for _ in range(5)) + "0"
    body += rng.choice("LMNPRS") + rng.choice(_VIN_CHARS) + f"{rng.randint(0, 999_999):06d}"
    return body[:8] + vin_check_digit(body) + body[9:]


def _add(parent: ET.Element, tag: str, text: str, **attrib: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrib)
    element.text = text
    return element


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _common(entity: ET.Element, rng: random.Random, entity_id: str, now: datetime) -> None:
    withdrawn = rng.random() < 0.03
    revision = rng.randint(2, 5) if withdrawn or rng.random() < 0.27 else 1
    _add(entity, "EntityId", entity_id)
    _add(entity, "Revision", str(revision))
    _add(entity, "Status", "WITHDRAWN" if withdrawn else "ACTIVE")
    modified = now - timedelta(days=rng.randint(0, 900), seconds=rng.randint(60, 86_399))
    _add(entity, "Modified", modified.strftime("%Y-%m-%dT%H:%M:%SZ"))
    _add(entity, "Tlp", rng.choices([t for t, _ in _TLPS], [w for _, w in _TLPS])[0])
    if rng.random() < 0.1:
        _add(entity, "HandlingCode", rng.choice(("H1", "H2")))
    if not withdrawn and (expiry := short_expiry(rng, now)) is not None:
        _add(entity, "ValidUntil", _stamp(expiry))


def _person(  # noqa: PLR0917  # private builder called from one place
    rng: random.Random, box: ET.Element, rels: ET.Element, n: int, year: int, now: datetime
) -> None:
    country, forenames, surnames = rng.choice(_PEOPLE)
    person = ET.SubElement(box, "Person", id=f"p{n}")
    _common(person, rng, f"EIS-PER-{year}-{n:07d}", now)
    category = rng.choices([c for c, _ in _CATEGORIES], [w for _, w in _CATEGORIES])[0]
    _add(person, "Category", category)
    _add(person, "Name", rng.choice(surnames), type="surname")
    _add(person, "Name", rng.choice(forenames), type="forename")
    if rng.random() < 0.15:
        _add(person, "Name", rng.choice(forenames)[:4].upper(), type="alias")
    _add(person, "Gender", rng.choice("MMMF"))
    born = rng.randint(1960, 2003) if category != "MISSING" else rng.randint(1995, 2012)
    if rng.random() < 0.08:
        _add(person, "BirthDate", str(born), precision="year")
    else:
        _add(person, "BirthDate", f"{born}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}")
    _add(person, "Nationality", country)
    offences = rng.sample(_OFFENCES[category], min(len(_OFFENCES[category]), 1))
    if category == "ARREST" and takes_review_offence(rng):
        offences = [rng.choice(_REVIEW_OFFENCES)]
    for offence in offences:
        _add(person, "Offence", offence)
    if category in ("ARREST", "FTF") and rng.random() < 0.2:
        _add(person, "Armed", "true")
        _add(person, "Violent", "true")
    for d in range(rng.choice((0, 1, 1, 2))):
        doc = ET.SubElement(box, "Document", id=f"d{n}-{d}")
        issued = now.date() - timedelta(days=rng.randint(30, 3000))
        _add(doc, "DocumentType", "P" if d == 0 else "ID")
        _add(doc, "Number", _pattern(rng, _PASSPORTS[country]))
        _add(doc, "IssuingCountry", country)
        _add(doc, "IssueDate", issued.isoformat())
        _add(doc, "ExpiryDate", (issued + timedelta(days=3652)).isoformat())
        link = {"type": "HOLDS_DOCUMENT", "from": f"p{n}", "to": f"d{n}-{d}"}
        ET.SubElement(rels, "Relation", link)


def _vehicle(rng: random.Random, box: ET.Element, n: int, year: int, now: datetime) -> None:
    wmi, make, model = rng.choice(_MAKES)
    country = rng.choice(sorted(_PLATES))
    vehicle = ET.SubElement(box, "Vehicle", id=f"v{n}")
    _common(vehicle, rng, f"EIS-VEH-{year}-{n:07d}", now)
    _add(vehicle, "Reported", "STOLEN")
    _add(vehicle, "VIN", _vin(rng, wmi))
    _add(vehicle, "Plate", _pattern(rng, _PLATES[country]), country=country)
    _add(vehicle, "Make", make)
    _add(vehicle, "Model", model)
    _add(vehicle, "Colour", rng.choice(_COLOURS))


def generate_message(rng: random.Random, count: int, now: datetime) -> bytes:
    """One message with ``count`` subjects (about 80% persons, 20% stolen vehicles)."""
    message = ET.Element("Message", xmlns="urn:frontline:umf:3")
    header = ET.SubElement(message, "Header")
    _add(header, "MessageId", f"EPL-MSG-{now.year}-{rng.randint(0, 999_999):06d}")
    _add(header, "Sender", "EUROPOL")
    _add(header, "Created", now.strftime("%Y-%m-%dT%H:%M:%SZ"))
    _add(header, "OriginatingCountry", rng.choice(("NL", "DE", "FR", "BE", "ES", "IT", "EL")))
    _add(header, "Tlp", "AMBER")
    _add(header, "HandlingCode", "H0")
    _add(header, "SourceReliability", rng.choice("AB"))
    _add(header, "InformationAccuracy", rng.choice("12"))
    _add(header, "LegalBasis", "Regulation (EU) 2016/794 (Europol Regulation), Art. 25")
    box = ET.SubElement(message, "Entities")
    rels = ET.SubElement(message, "Relations")
    year = rng.randint(2015, now.year)
    start = rng.randint(0, 8_000_000)
    for i in range(count):
        if rng.random() < 0.8:
            _person(rng, box, rels, start + i, year, now)
        else:
            _vehicle(rng, box, start + i, year, now)
    ET.indent(message)
    data: bytes = ET.tostring(message, encoding="utf-8", xml_declaration=True)
    return data


def _set(entity: ET.Element, tag: str, text: str | None) -> None:
    """Set (or, with None, remove) a child element's text."""
    found = entity.find(tag)
    if text is None:
        if found is not None:
            entity.remove(found)
    elif found is None:
        _add(entity, tag, text)
    else:
        found.text = text


def _set_countries(entity: ET.Element, group: str, codes: tuple[str, ...]) -> None:
    """Replace the entity's own ``ReleaseTo`` or ``Deny`` list (alpha-2, Greece as EL)."""
    for old in entity.findall(group):
        entity.remove(old)
    if codes:
        box = ET.SubElement(entity, group)
        for code in codes:
            _add(box, "Country", "EL" if code == "GRC" else alpha2(code))


def revise_message(
    rng: random.Random, message: ET.Element, envelope: Envelope, now: datetime, change: Revision
) -> bytes:
    """``message`` (one subject's mini message, parsed) at its next revision."""
    subject = message.find("Entities/*")
    header = message.find("Header")
    if subject is None or header is None:
        raise ValueError("a EUROPOL record holds a Header and a subject entity")
    stamp = next_stamp(envelope.issued_at, now)
    _set(header, "MessageId", f"EPL-MSG-{stamp.year}-{rng.randint(0, 999_999):06d}")
    _set(header, "Created", _stamp(stamp))
    _set(subject, "Revision", str(envelope.version + 1))
    _set(subject, "Status", "WITHDRAWN" if change == "cancel" else "ACTIVE")
    _set(subject, "Modified", _stamp(stamp))
    labels = revised_labels(rng, envelope, change, MEMBERS[Org.EUROPOL])
    _set(subject, "Tlp", tlp_word(labels.tlp))
    if labels.release != envelope.release_to_countries or labels.deny != envelope.deny_countries:
        _set_countries(subject, "ReleaseTo", labels.release)
        _set_countries(subject, "Deny", labels.deny)
    expiry = kept_expiry(rng, envelope.expires_at, stamp, change)
    _set(subject, "ValidUntil", None if expiry is None else _stamp(expiry))
    if change in ("update", "amend"):
        _update_details(rng, subject, grow=change == "update")
    data: bytes = ET.tostring(message, encoding="utf-8", xml_declaration=True)
    return data


def _update_details(rng: random.Random, subject: ET.Element, *, grow: bool) -> None:
    """A person gains an offence or an alias; a stolen vehicle is seen with false plates.
    Not ``grow``: the vehicle's last plate or the person's last offence is replaced instead."""
    if subject.tag == "Vehicle":
        country = rng.choice(sorted(_PLATES))
        plates = subject.findall("Plate")
        if grow or not plates:
            _add(subject, "Plate", _pattern(rng, _PLATES[country]), country=country)
        else:
            plates[-1].text = _pattern(rng, _PLATES[country])
            plates[-1].set("country", country)
        return
    pool = _OFFENCES.get((subject.findtext("Category") or "").upper(), ()) or _OFFENCES["ARREST"]
    if not grow:
        _amend_person(rng, subject, pool)
        return
    known = {o.text for o in subject.iterfind("Offence")}
    fresh = [o for o in pool if o not in known]
    if fresh and rng.random() < 0.7:
        _add(subject, "Offence", rng.choice(fresh))
    else:
        _add(subject, "Name", _alias(rng, subject), type="alias")


def _alias(rng: random.Random, subject: ET.Element) -> str:
    """An alias as the analysts note one: the surname's first three letters and a number."""
    surname = subject.findtext("Name[@type='surname']") or "X"
    return f"{surname[:3].upper()}{rng.randint(10, 99)}"


def _amend_person(rng: random.Random, subject: ET.Element, pool: tuple[str, ...]) -> None:
    """A change that adds nothing: the last offence requalified, else the alias corrected
    (the first offence or alias is given once)."""
    offences = subject.findall("Offence")
    others = [o for o in pool if offences and o != offences[-1].text]
    if others:
        offences[-1].text = rng.choice(others)
        return
    if not offences and pool:
        _add(subject, "Offence", rng.choice(pool))
        return
    aliases = subject.findall("Name[@type='alias']")
    alias = aliases[-1].text if aliases else None
    while (new := _alias(rng, subject)) == alias:
        pass
    if aliases:
        aliases[-1].text = new
    else:
        _add(subject, "Name", new, type="alias")


def generate(rng: random.Random, count: int, now: datetime) -> bytes:
    """One UMF message with ``count`` subjects: mostly persons, some stolen vehicles."""
    return generate_message(rng, count, now)


def revise(rng: random.Random, record: RawRecord, now: datetime, change: Revision) -> bytes:
    """The record's mini message at the next Revision: changed, relabelled or WITHDRAWN."""
    alert = current_alert(EuropolConnector(), record)
    change = next_change(change, alert.envelope)
    return revise_message(rng, parse_message(record.data, "parse"), alert.envelope, now, change)
