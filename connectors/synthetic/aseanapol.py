"""Realistic ASEANAPOL CSV exports and their revisions, for simulation and benchmarks.

See connectors.aseanapol for the format; a revision is the row at its next ``revision``,
AMENDED with changed details or labels, or WITHDRAWN without the person's columns.
Travel-document exports (e-ADS stolen and lost documents) come from
:func:`generate_documents`; their rows are revised the same way.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import datetime, timedelta
from typing import Any

from anyascii import anyascii

from connectors.aseanapol import BUDDHIST_ERA_OFFSET, COLUMNS, AseanapolConnector
from connectors.base import RawRecord, Revision
from connectors.synthetic.aseanapol_documents import generate_documents_csv, update_document
from connectors.synthetic.revise import (
    MEMBERS,
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

__all__ = ["generate", "generate_csv", "generate_documents", "revise", "revise_row"]

# The envelope's columns; a withdrawal keeps these and blanks the person's.
_ENVELOPE_COLUMNS = frozenset(COLUMNS[: COLUMNS.index("expires_on") + 1])


def generate_csv(rng: random.Random, count: int, now: datetime) -> bytes:
    """An export with ``count`` valid person rows, ids unique per call."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for serial in rng.sample(range(10**9), count):  # ids unique per call, rare across calls
        writer.writerow(_gen_row(rng, serial, now))
    return out.getvalue().encode()


_VN_FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng",
              "Bùi", "Đỗ")  # fmt: skip
_VN_GIVEN = (("Văn An", "Minh Tuấn", "Đức Thắng", "Quốc Bảo", "Văn Hùng", "Hữu Phước"),
             ("Thị Lan", "Thị Hương", "Ngọc Anh", "Thu Trang", "Thị Mai"))  # fmt: skip
_TH_GIVEN = ((("สมชาย", "Somchai"), ("สมศักดิ์", "Somsak"), ("ประเสริฐ", "Prasert"),
              ("วิชัย", "Wichai"), ("สุนทร", "Sunthon")),
             (("มาลี", "Mali"), ("สุดารัตน์", "Sudarat"), ("นภา", "Napha")))  # fmt: skip
_TH_FAMILY = (("ใจดี", "JAIDEE"), ("ศรีสุข", "SRISUK"), ("แก้วมณี", "KAEWMANEE"),
              ("บุญมา", "BOONMA"), ("สุขสวัสดิ์", "SUKSAWAT"), ("ทองดี", "THONGDEE"),
              ("วงศ์สวัสดิ์", "WONGSAWAT"))  # fmt: skip
_CHINESE = (("TAN", "LIM", "LEE", "ONG", "WONG", "NG", "GOH", "CHUA", "KOH", "TEO"),
            ("Wei Ming", "Chee Keong", "Boon Hock", "Kok Wai", "Jun Jie", "Ah Kow"),
            ("Mei Ling", "Siew Ling", "Hui Min", "Li Ting"))  # fmt: skip
# Country -> (family names, men's given names, women's given names), written family first.
_FAMILY_FIRST = {
    "SGP": _CHINESE, "MYS": _CHINESE,
    "KHM": (("SOK", "CHAN", "KIM", "HENG", "MEAS", "PHAN", "SAO"),
            ("Dara", "Vanna", "Rithy", "Sokha"), ("Sophea", "Bopha", "Sreymom", "Chanthy")),
    "LAO": (("PHOMMAVONG", "VONGSA", "KEOMANY", "SISOMPHONE", "INTHAVONG"),
            ("Khamla", "Somphone", "Bounmy", "Phet"), ("Noy", "Vanh", "Manivanh")),
    "PHL": (("DELA CRUZ", "REYES", "SANTOS", "GARCIA", "MENDOZA", "BAUTISTA", "VILLANUEVA"),
            ("Juan", "Jose", "Mark Anthony", "Rodel"), ("Maria Luisa", "Ana", "Kristine")),
}  # fmt: skip
_MALAY = (("Ahmad", "Mohd Faizal", "Muhammad Hafiz", "Azman", "Khairul"),
          ("Siti Aminah", "Nur Aisyah", "Noraini", "Farah"),
          ("Ismail", "Abdullah", "Hassan", "Osman", "Yusof", "Haji Omar"))  # fmt: skip
_SINGLE = {"IDN": (("Sutrisno", "Mulyono", "Budi Santoso", "Agus Salim", "Eko Prasetyo", "Joko"),
                   ("Suharti", "Sukarni", "Dewi Lestari", "Sri Wahyuni", "Ratna")),
           "MMR": (("Aung", "Kyaw", "Zaw", "Min", "Htut", "Naing", "Myint", "Thet"),
                   ("Thida", "Win", "Khin", "Su", "Myat", "Hnin"))}  # fmt: skip
_OFFENCES = ("Drug trafficking (methamphetamine)", "Murder", "Trafficking in persons",
             "Online scam operation", "Money laundering", "Terrorism financing",
             "Kidnapping for ransom", "Arms smuggling", "Wildlife trafficking")  # fmt: skip
# Offences the neutrality review holds: Thailand's lese-majeste law above all.
_REVIEW_OFFENCES = ("Lèse-majesté (Criminal Code s.112)", "Sedition", "Illegal assembly")
_CATEGORIES = (("WANTED", "ARREST", 60), ("LOCATE", "DETAIN_NOTIFY", 12),
               ("WARNING", "DISCREET_CHECK", 12), ("MISSING", "INFORM", 8),
               ("FTF", "REFUSE_ENTRY", 8))  # fmt: skip
_MEMBERS = ("VNM", "THA", "IDN", "MMR", "MYS", "SGP", "KHM", "PHL", "LAO", "BRN")


def _gen_names(rng: random.Random, country: str, female: bool) -> dict[str, str]:
    """Name columns as the member's systems write them."""
    if country == "VNM":
        family, given = rng.choice(_VN_FAMILY), rng.choice(_VN_GIVEN[female])
        row = {"full_name": f"{family.upper()} {given}"}  # diacritics in the Latin column
        if rng.random() < 0.7:
            row = {"full_name": f"{anyascii(family).upper()} {anyascii(given)}",
                   "native_name": f"{family} {given}", "native_script": "Latn"}  # fmt: skip
    elif country == "THA":
        (g_th, g_en), (f_th, f_en) = rng.choice(_TH_GIVEN[female]), rng.choice(_TH_FAMILY)
        row = {"native_name": f"{g_th} {f_th}", "native_script": "Thai"}
        if rng.random() < 0.9:
            row["full_name"] = f"{f_en} {g_en}"
    elif country == "BRN" or (country == "MYS" and rng.random() < 0.6):
        given, father = rng.choice(_MALAY[female]), rng.choice(_MALAY[2])
        link = "binti" if female else "bin"
        row = {"full_name": f"{given} {link} {father}", "name_form": "SINGLE"}
    elif country in _SINGLE:
        names = _SINGLE[country][female]
        single = " ".join(rng.sample(names, rng.choice((2, 3)))) if country == "MMR" else None
        row = {"full_name": single or rng.choice(names), "name_form": "SINGLE"}
    else:
        families, men, women = _FAMILY_FIRST[country]
        family, given = rng.choice(families), rng.choice(women if female else men)
        row = {"full_name": f"{family} {given}"}
        if country == "PHL":  # the comma marks a multi-word family name; middle = mother's
            row = {"full_name": f"{family}, {given} {rng.choice(families).title()}"}
    return row


def _offences(rng: random.Random, category: str) -> list[str]:
    if category == "WANTED" and takes_review_offence(rng):
        return [rng.choice(_REVIEW_OFFENCES)]
    return rng.sample(_OFFENCES, rng.randint(1, 2))


def _gen_row(rng: random.Random, serial: int, now: datetime) -> dict[str, Any]:
    country = rng.choice(_MEMBERS)
    roll = rng.random()
    revision, status = (1, "NEW") if roll < 0.85 else (rng.randint(2, 5), "AMENDED")
    if roll > 0.96:
        status = "WITHDRAWN"
    stamp = now - timedelta(minutes=rng.randint(10, 60 * 24 * 30))
    tlp = rng.choices(("CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"),
                      weights=(5, 45, 35, 10, 5))[0]  # fmt: skip
    handling = rng.choices(("H0", "H1", "H2", "H3"), weights=(70, 15, 10, 5))[0]
    row: dict[str, Any] = {
        "ref_no": f"EADS-{country}-{stamp.year}-{serial:09d}", "revision": revision,
        "record_status": status, "last_modified": stamp.isoformat(timespec="seconds"),
        "mode": "LIVE", "issuing_country": country, "tlp": f"TLP:{tlp}",
        "handling_code": handling,
        "source_grade": rng.choice("ABBBCX") + rng.choice("1222334"),
        "legal_basis": "ASEANAPOL Constitution, art. 2; INTERPOL-ASEANAPOL MoU",
    }  # fmt: skip
    if handling == "H3":
        row["handling_note"] = "Not for use in court proceedings without originator consent"
    if tlp == "RED":
        row["release_countries"] = ";".join(rng.sample(_MEMBERS, 2))
    if status == "WITHDRAWN":
        return row
    if (ends := short_expiry(rng, now)) is not None:
        row["expires_on"] = ends.isoformat(timespec="seconds")
    born = now.date() - timedelta(days=rng.randint(18 * 365, 62 * 365))
    thai_era = country == "THA" and rng.random() < 0.5
    year = born.year + (BUDDHIST_ERA_OFFSET if thai_era else 0)
    category, action, _ = rng.choices(_CATEGORIES, weights=[c[2] for c in _CATEGORIES])[0]
    female = rng.random() < 0.25
    row |= _gen_names(rng, country, female)
    row |= {
        "sex": "F" if female else "M", "nationalities": country, "birth_country": country,
        "dob": f"{born.day:02d}/{born.month:02d}/{year}" if rng.random() < 0.85 else str(year),
        "category": category, "action": action, "armed": rng.choice("YNNN"),
        "violent": rng.choice("YNNN"),
        "offences": "|".join(_offences(rng, category)),
    }  # fmt: skip
    if rng.random() < 0.6:
        expiry = now.date() + timedelta(days=rng.randint(30, 3000))
        row |= {"doc_type": "P", "doc_no": f"{country[0]}{rng.randrange(10**7, 10**8)}",
                "doc_country": country, "doc_expiry": expiry.strftime("%d/%m/%Y")}  # fmt: skip
    if rng.random() < 0.3:
        row["height_cm"] = rng.randint(150, 185)
        row["marks"] = rng.choice(("Tattoo of a dragon on left forearm", "Scar above right eye"))
    return row


def revise_row(
    rng: random.Random, data: bytes, envelope: Envelope, now: datetime, change: Revision
) -> bytes:
    """The record (header line and row) at its next revision, as a one-row export."""
    header, values = [r for r in csv.reader(io.StringIO(data.decode())) if any(r)][:2]
    names = [h.strip() for h in header]
    row: dict[str, Any] = dict(zip(names, values, strict=True))
    stamp = next_stamp(envelope.issued_at, now)
    row |= {
        "revision": envelope.version + 1,
        "record_status": "WITHDRAWN" if change == "cancel" else "AMENDED",
        "last_modified": stamp.isoformat(timespec="seconds"),
    }
    labels = revised_labels(rng, envelope, change, MEMBERS[Org.ASEANAPOL])
    row["tlp"] = f"TLP:{tlp_word(labels.tlp)}"
    row["release_countries"] = ";".join(labels.release)
    row["deny_countries"] = ";".join(labels.deny)
    expiry = kept_expiry(rng, envelope.expires_at, stamp, change)
    row["expires_on"] = "" if expiry is None else expiry.isoformat(timespec="seconds")
    if change == "cancel":
        row = {k: v for k, v in row.items() if k in _ENVELOPE_COLUMNS}
    elif change in ("update", "amend") and "doc_status" in names:
        update_document(rng, row, stamp)
    elif change in ("update", "amend"):
        _update_details(rng, row, stamp, grow=change == "update")
    columns = [*names, *(c for c in row if c not in names)]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerow(row)
    return out.getvalue().encode()


def _update_details(
    rng: random.Random, row: dict[str, Any], stamp: datetime, *, grow: bool
) -> None:
    """A further charge (``grow``), else a newly known passport, else new distinguishing
    marks."""
    known = [o for o in str(row.get("offences") or "").split("|") if o.strip()]
    fresh = [o for o in _OFFENCES if o not in known]
    if grow and known and fresh and rng.random() < 0.6:
        row["offences"] = "|".join([*known, rng.choice(fresh)])
    elif not row.get("doc_no") and row.get("issuing_country"):
        country = str(row["issuing_country"])
        valid_to = stamp.date() + timedelta(days=rng.randint(30, 3000))
        row |= {"doc_type": "P", "doc_no": f"{country[0]}{rng.randrange(10**7, 10**8)}",
                "doc_country": country, "doc_expiry": valid_to.strftime("%d/%m/%Y")}  # fmt: skip
    else:
        marks = ("Tattoo of a tiger on the back", "Scar on the chin", "Burn mark on left hand")
        row["marks"] = rng.choice([m for m in marks if m != row.get("marks")])


def generate(rng: random.Random, count: int, now: datetime) -> bytes:
    """An ASEANAPOL CSV export with ``count`` valid person rows."""
    return generate_csv(rng, count, now)


def generate_documents(rng: random.Random, count: int, now: datetime) -> bytes:
    """An e-ADS travel-documents CSV export with ``count`` valid rows (TRAVEL_DOCUMENT)."""
    return generate_documents_csv(rng, count, now)


def revise(rng: random.Random, record: RawRecord, now: datetime, change: Revision) -> bytes:
    """The row at its next ``revision``: AMENDED (details or labels) or WITHDRAWN."""
    alert = current_alert(AseanapolConnector(), record)
    change = next_change(change, alert.envelope)
    return revise_row(rng, record.data, alert.envelope, now, change)
