"""Realistic AFRIPOL JSON Lines exports and their revisions, for simulation and benchmarks.

See connectors.afripol for the format; a revision is the fiche with a later ``modifie_le``,
ACTIVE with changed details or labels, or ANNULEE without its subject.
"""

from __future__ import annotations

import functools
import gettext
import random
from datetime import date, datetime, timedelta
from typing import Any

import orjson
import pycountry

from connectors.afripol import AfripolConnector, decode_line
from connectors.base import RawRecord, Revision
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

__all__ = ["generate", "generate_lines", "revise", "revise_fiche"]


def generate_lines(rng: random.Random, count: int, now: datetime) -> bytes:
    """JSON Lines with ``count`` valid fiches, ids unique per ``rng``."""
    serials = rng.sample(range(10**9), count)
    lines = (orjson.dumps(_gen_fiche(rng, serial, now)) for serial in serials)
    return b"\n".join(lines) + b"\n"


_MEMBERS = ("CIV", "SEN", "MLI", "BFA", "NER", "TCD", "CMR", "COD", "COG", "GAB", "GIN", "BEN",
            "TGO", "MRT", "DZA", "MAR", "TUN", "MDG", "CAF", "BDI", "RWA", "DJI")  # fmt: skip
_PLACES = {"CIV": "Bouaké", "SEN": "Thiès", "MLI": "Gao", "BFA": "Ouagadougou", "NER": "Niamey",
           "TCD": "N'Djaména", "CMR": "Douala", "COD": "Lubumbashi", "GIN": "Conakry",
           "BEN": "Cotonou", "TGO": "Lomé", "DZA": "Tamanrasset", "MAR": "Oujda",
           "MDG": "Toamasina"}  # fmt: skip
_GIVEN_M = ("Mamadou", "Ousmane", "Abdoulaye", "Moussa", "Ibrahim", "Souleymane", "Kouassi",
            "Yao", "Jean-Baptiste", "Théophile", "Aimé", "Désiré", "Hamed", "Cheikh",
            "Séydou")  # fmt: skip
_GIVEN_F = ("Aminata", "Fatoumata", "Mariam", "Awa", "Adjoua", "Aïssatou", "Hélène", "Béatrice",
            "Clémence", "Ndèye", "Rokia")  # fmt: skip
_FAMILY = ("DIALLO", "TRAORÉ", "KONÉ", "OUÉDRAOGO", "SAWADOGO", "COULIBALY", "KOUAMÉ",
           "N'GUESSAN", "DIOP", "NDIAYE", "SOW", "CAMARA", "CISSÉ", "TOURÉ", "MBARGA", "KABORÉ",
           "BAMBA", "ZONGO", "MBEMBA", "ILUNGA", "MUKENDI", "BENAÏSSA", "HADDAD",
           "RAKOTOARISOA", "DOSSO", "ABDELKADER")  # fmt: skip
_OFFENCES = ("Association de malfaiteurs en relation avec une entreprise terroriste",
             "Trafic international de stupéfiants", "Meurtre", "Enlèvement et séquestration",
             "Traite des personnes", "Blanchiment de capitaux", "Trafic d'armes",
             "Escroquerie en bande organisée", "Financement du terrorisme")  # fmt: skip
# Offences the neutrality review holds (French words its keywords match once accents go).
_REVIEW_OFFENCES = ("Désertion", "Sédition et incitation à la révolte",
                    "Insubordination et désertion en temps de paix")  # fmt: skip
_MOTIVES = (("ARRESTATION_EXTRADITION", "ARRETER", 55), ("LOCALISATION", "RETENIR_ET_AVISER", 12),
            ("AVERTISSEMENT", "CONTROLE_DISCRET", 10), ("DISPARITION", "INFORMER", 6),
            ("COMBATTANT_TERRORISTE_ETRANGER", "RETENIR_ET_AVISER", 17))  # fmt: skip
_MONTH_NAMES = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
                "septembre", "octobre", "novembre", "décembre")  # fmt: skip
_SEIZURES = (
    ("STUPEFIANTS", "OPIOIDES", "Tramadol 225 mg", "COMPRIMES", (50_000, 3_000_000)),
    ("STUPEFIANTS", "COCAINE", "Chlorhydrate de cocaïne", "KG", (5, 900)),
    ("STUPEFIANTS", "CANNABIS", "Résine de cannabis", "KG", (100, 8_000)),
    ("ARMES", None, "Fusils d'assaut de type AK", "PIECES", (3, 120)),
)
_CROSSINGS = (("NGA", "NGLOS"), ("BEN", "BJCOO"), ("TGO", "TGLFW"), ("GHA", "GHTEM"),
              ("CIV", "CIABJ"), ("SEN", "SNDKR"), ("GIN", "GNCKY"), ("NER", "NENIM"),
              ("MLI", "MLBKO"), ("LBY", "LYTIP"), ("TCD", "TDNDJ"))  # fmt: skip


@functools.cache
def _french_names() -> dict[str, str]:
    """Alpha-3 -> the French ISO name, for the generator."""
    french = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"])
    return {c.alpha_3: french.gettext(c.name) for c in pycountry.countries}


def _french_name(alpha3: str, rng: random.Random) -> str:
    """How a French-language registry writes the country: a name mostly, sometimes the code."""
    if rng.random() < 0.15:
        return alpha3
    name = _french_names()[alpha3]
    return name.replace("'", "\u2019") if rng.random() < 0.3 else name


def _french_date(day: date, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.55:
        return day.strftime("%d/%m/%Y")
    if roll < 0.7:
        return str(day.year)
    if roll < 0.75:
        return day.strftime("%m/%Y")
    first = "1er" if day.day == 1 else str(day.day)
    return f"{first} {_MONTH_NAMES[day.month - 1]} {day.year}"


def _gen_person(rng: random.Random, origin: str, now: datetime) -> dict[str, Any]:
    female = rng.random() < 0.2
    given = rng.sample(_GIVEN_F if female else _GIVEN_M, rng.choice((1, 1, 2)))
    born = now.date() - timedelta(days=rng.randint(18 * 365, 60 * 365))
    motive, action, _ = rng.choices(_MOTIVES, weights=[m[2] for m in _MOTIVES])[0]
    issued = now.date() - timedelta(days=rng.randint(30, 4 * 365))
    person: dict[str, Any] = {
        "nom": rng.choice(_FAMILY), "prenoms": ", ".join(given), "sexe": "F" if female else "M",
        "date_de_naissance": _french_date(born, rng), "lieu_de_naissance": _PLACES.get(origin),
        "pays_de_naissance": _french_name(origin, rng), "nationalite": [_french_name(origin, rng)],
        "motif": motive, "infractions": _offences(rng, motive),
        "conduite_a_tenir": action, "arme": "oui" if rng.random() < 0.35 else "non",
        "dangereux": rng.random() < 0.3,
        "signalement": {"taille_cm": rng.randint(155, 195), "yeux": "marron",
                        "cheveux": rng.choice(["noirs", "crépus", "rasés"])},
    }  # fmt: skip
    if rng.random() < 0.6:
        person["pieces_identite"] = [{
            "type": rng.choice(("PASSEPORT", "PASSEPORT", "CNI")),
            "numero": f"{origin[:2]}{rng.randrange(10**6, 10**7)}",
            "pays_emetteur": _french_name(origin, rng),
            "delivre_le": issued.strftime("%d/%m/%Y"),
            "expire_le": (issued + timedelta(days=5 * 365)).strftime("%d/%m/%Y"),
        }]  # fmt: skip
    if female and rng.random() < 0.4:
        person["nom_d_usage"] = rng.choice(_FAMILY)
    return person


def _offences(rng: random.Random, motive: str) -> list[str]:
    if motive == "ARRESTATION_EXTRADITION" and takes_review_offence(rng):
        return [rng.choice(_REVIEW_OFFENCES)]
    return rng.sample(_OFFENCES, rng.randint(1, 2))


def _gen_goods(rng: random.Random) -> dict[str, Any]:
    category, drug, substance, unit, (low, high) = rng.choice(_SEIZURES)
    amount = rng.randint(low, high)
    (o_cc, o_loc), (d_cc, d_loc) = rng.sample(_CROSSINGS, 2)
    goods: dict[str, Any] = {
        "categorie": category, "substance": substance,
        "quantite": f"{amount:,}".replace(",", " "), "unite": unit,
        "itineraire": {"origine": {"pays": _french_name(o_cc, rng), "locode": o_loc},
                       "destination": {"pays": _french_name(d_cc, rng), "locode": d_loc}},
        "moyens": [{"type": "IMMATRICULATION", "pays": o_cc,
                    "identifiant": f"{rng.randint(1000, 9999)} {rng.choice('ABCDEFGH')}"
                    f"{rng.choice('JKLMNPRS')} {rng.randint(10, 99)}"}],
        "dissimulation": rng.choice(("Double fond de camion-citerne", "Sacs de riz",
                                     "Pièces détachées de motos", "Bidons d'huile")),
        "conduite_a_tenir": rng.choice(("SAISIR", "SAISIR", "LIVRAISON_SURVEILLEE", "INSPECTER")),
    }  # fmt: skip
    if drug is not None:
        goods["type_drogue"] = drug
    return goods


def _gen_fiche(rng: random.Random, serial: int, now: datetime) -> dict[str, Any]:
    origin = rng.choice(_MEMBERS)
    created = now - timedelta(days=rng.randint(1, 400), seconds=rng.randint(0, 86_400))
    modified = created
    roll = rng.random()
    if roll > 0.85:
        modified = now - timedelta(minutes=rng.randint(10, 60 * 24 * min(30, (now - created).days)))
    person = rng.random() < 0.75
    tlp = rng.choices(("TLP:CLEAR", "TLP:GREEN", "TLP:AMBER", "TLP:AMBER+STRICT", "TLP:RED"),
                      weights=(5, 45, 35, 10, 5))[0]  # fmt: skip
    handling = rng.choices(("H0", "H1", "H2", "H3"), weights=(70, 15, 10, 5))[0]
    fiche: dict[str, Any] = {
        "reference": f"AFP/{origin}/{created.year}/{serial:09d}", "type":
        "PERSONNE" if person else "MARCHANDISE",
        "statut": "ANNULEE" if roll > 0.96 else "ACTIVE",
        "cree_le": created.isoformat(timespec="seconds"),
        "modifie_le": modified.isoformat(timespec="seconds"), "mode": "REEL",
        "pays_emetteur": _french_name(origin, rng), "classification": tlp,
        "code_traitement": handling,
        "fiabilite_source": rng.choices("ABCX", weights=(20, 50, 20, 10))[0],
        "exactitude": rng.choices("1234", weights=(20, 45, 25, 10))[0],
        "base_juridique": "Statuts d'AFRIPOL (2017), art. 3 ; Accord de coopération "
        "INTERPOL-AFRIPOL",
    }  # fmt: skip
    if handling == "H3":
        fiche["note_traitement"] = "Ne pas communiquer aux autorités judiciaires sans accord"
    if tlp == "TLP:RED":
        fiche["diffusion"] = {"pays": [_french_name(c, rng) for c in rng.sample(_MEMBERS, 2)]}
    if rng.random() < 0.5:
        fiche["expire_le"] = (now + timedelta(days=rng.randint(60, 1500))).strftime("%d/%m/%Y")
    if fiche["statut"] == "ACTIVE" and (expiry := short_expiry(rng, now)) is not None:
        fiche["expire_le"] = expiry.isoformat(timespec="seconds")
    if fiche["statut"] == "ACTIVE":
        fiche["personne" if person else "marchandise"] = (
            _gen_person(rng, origin, now) if person else _gen_goods(rng)
        )
    return fiche


def revise_fiche(
    rng: random.Random, fiche: dict[str, Any], envelope: Envelope, now: datetime,
    change: Revision,
) -> bytes:  # fmt: skip
    """One JSON line holding ``fiche`` (whose mapping is ``envelope``) revised."""
    stamp = next_stamp(envelope.issued_at, now)
    fiche["modifie_le"] = stamp.isoformat(timespec="seconds")
    fiche["statut"] = "ANNULEE" if change == "cancel" else "ACTIVE"
    labels = revised_labels(rng, envelope, change, MEMBERS[Org.AFRIPOL])
    fiche["classification"] = f"TLP:{tlp_word(labels.tlp)}"
    for key, codes in (("diffusion", labels.release), ("exclusion", labels.deny)):
        group = {k: v for k, v in (fiche.get(key) or {}).items() if k != "pays"}
        if codes:
            group["pays"] = [_french_name(c, rng) for c in codes]
        fiche.pop(key, None)
        if group:
            fiche[key] = group
    fiche.pop("expire_le", None)
    if (expiry := kept_expiry(rng, envelope.expires_at, stamp, change)) is not None:
        fiche["expire_le"] = expiry.isoformat(timespec="seconds")
    if change == "cancel":
        fiche.pop("personne", None)
        fiche.pop("marchandise", None)
    elif change in ("update", "amend"):
        _update_details(rng, fiche, grow=change == "update")
    return orjson.dumps(fiche) + b"\n"


def _update_details(rng: random.Random, fiche: dict[str, Any], *, grow: bool) -> None:
    """A person faces one more charge (``grow``; else the last one is requalified); a
    seizure's count is corrected after inventory."""
    if isinstance(person := fiche.get("personne"), dict):
        known = list(person.get("infractions") or ())
        fresh = [o for o in _OFFENCES if o not in known]
        if not grow and known:
            others = [o for o in _OFFENCES if o != known[-1]]
            person["infractions"] = [*known[:-1], rng.choice(fresh or others)]
        elif fresh:  # not grow: the first one, once
            person["infractions"] = [*known, rng.choice(fresh)]
        else:
            person["alias"] = [*(person.get("alias") or ()), rng.choice(_FAMILY)]
        return
    goods = fiche["marchandise"]
    low, high = next((s[4] for s in _SEIZURES if s[2] == goods.get("substance")), (10, 900))
    amount = rng.randint(low, high)
    if f"{amount:,}".replace(",", " ") == goods.get("quantite"):
        amount += 1
    goods["quantite"] = f"{amount:,}".replace(",", " ")


def generate(rng: random.Random, count: int, now: datetime) -> bytes:
    """AFRIPOL JSON Lines with ``count`` valid fiches (about 3 in 4 persons)."""
    return generate_lines(rng, count, now)


def revise(rng: random.Random, record: RawRecord, now: datetime, change: Revision) -> bytes:
    """The fiche with a later ``modifie_le``: changed, relabelled, or ``ANNULEE``."""
    alert = current_alert(AfripolConnector(), record)
    change = next_change(change, alert.envelope)
    fiche = orjson.loads(decode_line(record.data.strip()))
    return revise_fiche(rng, fiche, alert.envelope, now, change)
