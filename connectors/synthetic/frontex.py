"""Realistic FRONTEX incident CSV exports and their revisions, for simulation and benchmarks.

See connectors.frontex for the format; a revision is the incident's row at the next
``revision`` with status UPDATED (changed figures or labels) or WITHDRAWN.
"""

from __future__ import annotations

import csv
import io
import random
from datetime import datetime, timedelta

from connectors.base import RawRecord, Revision
from connectors.frontex import COLUMNS, WARSAW, FrontexConnector
from connectors.synthetic.revise import (
    MEMBERS,
    alpha2,
    current_alert,
    kept_expiry,
    next_change,
    next_stamp,
    revised_labels,
    short_expiry,
    tlp_word,
)
from gateway.contract import Envelope, Org
from gateway.contract.identifiers import imo_check_digit, iso6346_check_digit

__all__ = ["generate", "generate_csv", "revise", "revise_row"]

_STAMP = "%d.%m.%Y %H:%M:%S"

_ROUTES = (  # (substance, category, unit, origins, transits, destinations, weight)
    ("cocaine hydrochloride", "drugs", "kg", ("ECGYE", "COBUN", "BRSSZ", "PAMIT"),
     ("", "MAPTM", "PAMIT"), ("NLRTM", "BEANR", "ESALG", "DEHAM", "ITGIT", "FRLEH"), 50),
    ("cannabis resin", "drugs", "kg", ("MAPTM", "MANDR"), ("",), ("ESALG", "ESAGP", "FRMRS"), 15),
    ("captagon tablets", "drugs", "tablets", ("LBBEY", "SYLTK"), ("EGPSD", ""),
     ("GRPIR", "ITSAL"), 10),
    ("heroin", "drugs", "kg", ("IRBND", "PKKHI"), ("TRMER", "EGPSD"), ("ITGIT", "NLRTM"), 10),
    ("cigarettes", "cigarettes", "pcs", ("AEJEA", "TRMER"), ("",), ("GRPIR", "PLGDN"), 10),
    ("pistols and ammunition", "firearms", "pcs", ("TRMER", "UAODS"), ("",), ("ITBRI",), 5),
)  # fmt: skip
_OWNERS = ("MSCU", "MAEU", "CMAU", "HLXU", "ONEU", "COSU", "EGSU", "TGHU", "SEGU")
_VESSELS = ("MSC ALINA", "MAERSK KENSINGTON", "CMA CGM TAGE", "EVER GIVEN", "COSCO PRIDE",
            "HAPAG BERLIN", "SEA VOYAGER", "ATLANTIC STAR")  # fmt: skip
_FLAGS = ("PA", "LR", "MH", "MT", "PT", "CY", "SG", "HK")
_REPORTING = ("ES", "IT", "EL", "PT", "NL", "BE", "MT", "CY", "FR", "DE", "PL")
_OPERATIONS = ("Themis", "Indalo", "Poseidon", "Minerva")
_CONCEALMENTS = ("rip-on/rip-off in reefer container", "inside banana boxes",
                 "false bottom; welded compartment", "among scrap metal", "", "")  # fmt: skip
_TLPS = (("GREEN", 40), ("AMBER", 45), ("AMBER+STRICT", 15))


def _container(rng: random.Random) -> str:
    prefix = rng.choice(_OWNERS) + f"{rng.randint(0, 999_999):06d}"
    return f"{prefix}{iso6346_check_digit(prefix)}"


def _imo(rng: random.Random) -> str:
    first = f"{rng.randint(900_000, 999_999)}"
    return f"IMO {first}{imo_check_digit(first)}"


def _amount(value: float) -> str:
    whole, _, frac = f"{value:,.1f}".partition(".")
    return whole.replace(",", ".") + ("," + frac if frac != "0" else "")


def generate_csv(rng: random.Random, count: int, now: datetime) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    year = rng.randint(2018, now.year)
    start = rng.randint(0, 900_000)
    weights = [r[-1] for r in _ROUTES]
    for i in range(count):
        substance, category, unit, origins, transits, destinations, _ = rng.choices(
            _ROUTES, weights
        )[0]
        withdrawn = rng.random() < 0.03
        revision = rng.randint(2, 4) if withdrawn or rng.random() < 0.2 else 1
        when = now - timedelta(days=rng.randint(1, 700), minutes=rng.randint(0, 1439))
        when = when.astimezone(WARSAW)
        amount = rng.uniform(5, 4000) if unit == "kg" else float(rng.randint(500, 2_000_000))
        containers = "|".join(_container(rng) for _ in range(rng.choice((0, 1, 1, 2))))
        expiry = None if withdrawn else short_expiry(rng, now)
        writer.writerow([
            f"FX-{year}-{start + i:07d}", revision,
            "WITHDRAWN" if withdrawn else ("NEW" if revision == 1 else "UPDATED"),
            when.strftime("%d.%m.%Y %H:%M"), rng.choice(_OPERATIONS), rng.choice(_REPORTING),
            category, substance, _amount(round(amount, 1)), unit, _imo(rng), rng.choice(_VESSELS),
            rng.choice(_FLAGS), containers, rng.choice(_CONCEALMENTS), rng.choice(origins),
            rng.choice(transits), rng.choice(destinations),
            rng.choice(("SEIZE", "SEIZE", "INSPECT", "CONTROLLED_DELIVERY")),
            rng.choices([t for t, _ in _TLPS], [w for _, w in _TLPS])[0],
            rng.choice(("H0", "H0", "H0", "H1")), "", "",
            "" if expiry is None else expiry.astimezone(WARSAW).strftime(_STAMP),
        ])  # fmt: skip
    return out.getvalue().encode("utf-8")


def _eu_code(code3: str) -> str:
    return "EL" if code3 == "GRC" else alpha2(code3)


def revise_row(
    rng: random.Random, data: bytes, envelope: Envelope, now: datetime, change: Revision
) -> bytes:
    """The record (header line and row) at its next revision, as a one-row CSV export."""
    rows = list(csv.reader(io.StringIO(data.decode("utf-8")), delimiter=";"))
    names = [h.strip().lower() for h in rows[0]]
    row = dict(zip(names, rows[1], strict=True))
    stamp = next_stamp(envelope.issued_at, now)
    row["revision"] = str(envelope.version + 1)
    row["status"] = "WITHDRAWN" if change == "cancel" else "UPDATED"
    row["report_date"] = stamp.astimezone(WARSAW).strftime(_STAMP)
    labels = revised_labels(rng, envelope, change, MEMBERS[Org.FRONTEX])
    row["tlp"] = tlp_word(labels.tlp)
    row["release_to"] = "|".join(_eu_code(c) for c in labels.release)
    row["deny"] = "|".join(_eu_code(c) for c in labels.deny)
    expiry = kept_expiry(rng, envelope.expires_at, stamp, change)
    row["valid_until"] = "" if expiry is None else expiry.astimezone(WARSAW).strftime(_STAMP)
    if change in ("update", "amend"):
        _update_details(rng, row, grow=change == "update")
    header = [*names, *(c for c in ("release_to", "deny", "valid_until") if c not in names)]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    writer.writerow([row.get(name, "") for name in header])
    return out.getvalue().encode("utf-8")


def _update_details(rng: random.Random, row: dict[str, str], *, grow: bool) -> None:
    """A full search finds more (the quantity grows), else one more container is found (not
    ``grow``: the last container's number is corrected instead)."""
    quantity = row.get("quantity", "")
    if quantity and rng.random() < 0.6:
        amount = float(quantity.replace(".", "").replace(",", "."))
        row["quantity"] = _amount(round(amount * rng.uniform(1.05, 1.6) + 1, 1))
        return
    found = [c for c in (row.get("containers") or "").split("|") if c.strip()]
    kept = found if grow else found[:-1]
    row["containers"] = "|".join([*kept, _container(rng)])


def generate(rng: random.Random, count: int, now: datetime) -> bytes:
    """A CSV export of ``count`` incidents: cocaine in containers above all."""
    return generate_csv(rng, count, now)


def revise(rng: random.Random, record: RawRecord, now: datetime, change: Revision) -> bytes:
    """The incident's row at its next revision: UPDATED (figures or labels) or WITHDRAWN."""
    alert = current_alert(FrontexConnector(), record)
    change = next_change(change, alert.envelope)
    return revise_row(rng, record.data, alert.envelope, now, change)
