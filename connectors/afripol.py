"""AFRIPOL connector: JSON Lines "fiches" with French field names, names kept with diacritics.

A payload is JSON Lines: one fiche per line, blank lines and ``#`` comment lines ignored, so a
quarantined record (one line, its original bytes) replays as is. A fiche is a wanted person
(``type: "PERSONNE"``) or a seizure (``type: "MARCHANDISE"``: tramadol, cocaine transiting
West Africa, small arms).

The difficulties, all handled here rather than downstream:

- Names keep their diacritics (``KONÉ``, ``N'GUESSAN``, ``Aïssatou``) in the Latin-script
  fields, normalized to Unicode NFC so a decomposed ``é`` matches a composed one. Legacy
  exports write some lines in Windows-1252, or UTF-8 read once as Windows-1252 (``KONÃ‰``):
  both are repaired. ``nom_d_usage`` (a married or usage name) becomes an alias.
- Dates mix ``jj/mm/aaaa`` (also ``-`` or ``.``), ``mm/aaaa``, ``aaaa`` and French words
  (``17 janvier 1979``, ``1er mars 1980``, ``mars 1980``).
- Countries are French names (``Côte d'Ivoire``, ``Sénégal``, ``RDC``) or ISO codes,
  resolved to alpha-3 through pycountry's French ISO 3166 catalogue plus the usual
  short forms, ignoring case, accents, apostrophe style and leading articles.
- Amounts use the decimal comma (``12,5`` kg).

Updates and cancels: ``cree_le`` is the fiche's creation stamp and ``modifie_le`` its last
update stamp (ISO 8601). The version is derived from ``modifie_le`` (seconds since 2000, see
:func:`connectors.base.stamp_version`), so re-reading a file yields the same versions and a
later update a larger one. ``modifie_le`` equal to ``cree_le`` is an ALERT; a later one is an
UPDATE referencing the version of ``cree_le``; ``statut: "ANNULEE"`` is a CANCEL (no subject)
referencing it too. ``expire_le`` is a date (valid to its end) or an ISO 8601 instant. Every
field is described in docs/connectors/afripol.md.
"""

from __future__ import annotations

import contextlib
import functools
import gettext
import re
import unicodedata
from collections.abc import Iterator
from datetime import date, datetime, tzinfo
from typing import ClassVar

import pycountry

from connectors.base import Connector, RawRecord, stamp_version
from connectors.formats.fields import (
    Fields,
    choice,
    flag,
    full_date,
    json_object,
    next_midnight,
    orgs,
    parse_instant,
    parse_partial_date,
    parse_tlp,
)
from gateway.contract import (
    AnyAlert,
    Commodity,
    CommodityAction,
    CommodityAlert,
    CommodityCategory,
    Conveyance,
    ConveyanceKind,
    DrugType,
    Envelope,
    HandlingCode,
    InformationAccuracy,
    MsgType,
    Org,
    PartialDate,
    PersonAction,
    PersonCategory,
    PhysicalDescription,
    Quantity,
    QuantityUnit,
    Reference,
    Route,
    RoutePoint,
    Sex,
    SourceReliability,
    Status,
    TravelDocument,
    WantedPerson,
    WantedPersonAlert,
)
from gateway.contract.identifiers import alpha2_to_alpha3, is_iso3, normalize_identifier

__all__ = ["AfripolConnector", "decode_line", "french_country", "repair_text"]


_MODE = {"REEL": Status.ACTUAL, "EXERCICE": Status.EXERCISE, "TEST": Status.TEST}
_SEX = {"M": Sex.MALE, "H": Sex.MALE, "F": Sex.FEMALE, "X": Sex.UNSPECIFIED}
_DOCS = {"PASSEPORT": "P", "PASSEPORT_DIPLOMATIQUE": "PD", "PASSEPORT_SERVICE": "PS",
         "CNI": "I", "CARTE_CONSULAIRE": "I", "TITRE_DE_SEJOUR": "IR", "VISA": "V"}  # fmt: skip
_MOTIVE = {
    "ARRESTATION_EXTRADITION": PersonCategory.ARREST_FOR_EXTRADITION,
    "LOCALISATION": PersonCategory.LOCATE,
    "AVERTISSEMENT": PersonCategory.WARNING,
    "DISPARITION": PersonCategory.MISSING,
    "COMBATTANT_TERRORISTE_ETRANGER": PersonCategory.FOREIGN_TERRORIST_FIGHTER,
}
_PERSON_ACTION = {
    "ARRETER": PersonAction.ARREST, "RETENIR_ET_AVISER": PersonAction.DETAIN_AND_CONTACT_NODE,
    "CONTROLE_DISCRET": PersonAction.DISCREET_CHECK, "REFOULER": PersonAction.REFUSE_ENTRY,
    "INFORMER": PersonAction.INFORM,
}  # fmt: skip
_CATEGORY = {
    "STUPEFIANTS": CommodityCategory.DRUGS, "PRECURSEURS": CommodityCategory.PRECURSORS,
    "ARMES": CommodityCategory.FIREARMS, "NUMERAIRE": CommodityCategory.CASH,
    "BIENS_CULTURELS": CommodityCategory.CULTURAL_GOODS,
    "VEHICULE_VOLE": CommodityCategory.STOLEN_VEHICLE, "AUTRE": CommodityCategory.OTHER,
}  # fmt: skip
_DRUG = {
    "COCAINE": DrugType.COCAINE_TYPE, "OPIOIDES": DrugType.OPIOIDS,
    "AMPHETAMINES": DrugType.AMPHETAMINE_TYPE, "CANNABIS": DrugType.CANNABIS,
    "NSP": DrugType.NEW_PSYCHOACTIVE_SUBSTANCES,
}  # fmt: skip
_UNIT = {
    "KG": QuantityUnit.KILOGRAM, "G": QuantityUnit.GRAM, "L": QuantityUnit.LITRE,
    "COMPRIMES": QuantityUnit.TABLET, "PIECES": QuantityUnit.ITEM, "MONNAIE": QuantityUnit.MONEY,
}  # fmt: skip
_CONVEYANCE = {
    "CONTENEUR": ConveyanceKind.CONTAINER, "NAVIRE_OMI": ConveyanceKind.VESSEL_IMO,
    "VIN": ConveyanceKind.VEHICLE_VIN, "IMMATRICULATION": ConveyanceKind.VEHICLE_PLATE,
    "VOL": ConveyanceKind.FLIGHT, "LTA": ConveyanceKind.AIR_WAYBILL, "AUTRE": ConveyanceKind.OTHER,
}  # fmt: skip
_GOODS_ACTION = {
    "SAISIR": CommodityAction.SEIZE, "LIVRAISON_SURVEILLEE": CommodityAction.CONTROLLED_DELIVERY,
    "INSPECTER": CommodityAction.INSPECT, "INFORMER": CommodityAction.INFORM,
}  # fmt: skip
_HANDLING = {c.value: c for c in HandlingCode}
_RELIABILITY = {c.value: c for c in SourceReliability}
_ACCURACY = {a.code: a for a in InformationAccuracy}
_MONTHS = {
    "janvier": 1, "fevrier": 2, "mars": 3, "avril": 4, "mai": 5, "juin": 6, "juillet": 7,
    "aout": 8, "septembre": 9, "octobre": 10, "novembre": 11, "decembre": 12,
}  # fmt: skip
_NUMERIC_DATE = re.compile(r"^(?:(?:(\d{1,2})[/.-])?(\d{1,2})[/.-])?(\d{4})$")
_WORD_DATE = re.compile(r"^(?:(\d{1,2})(?:er)? )?([a-z]+) (\d{4})$")
_FRENCH_NUMBER = re.compile(r"^\d{1,3}(?:[ \u00a0\u202f.]?\d{3})*(?:,\d+)?$")
# Short forms French-language registries use that the ISO catalogue does not list.
_COUNTRY_VARIANTS = {
    "rdc": "COD", "rd congo": "COD", "congo kinshasa": "COD", "congo brazzaville": "COG",
    "congo": "COG", "centrafrique": "CAF", "guinee equatoriale": "GNQ", "tanzanie": "TZA",
    "syrie": "SYR", "iran": "IRN", "russie": "RUS", "coree du sud": "KOR", "etats unis": "USA",
    "royaume uni": "GBR", "cap vert": "CPV", "eswatini": "SWZ", "swaziland": "SWZ",
    "gambie": "GMB", "libye": "LBY", "soudan du sud": "SSD", "bolivie": "BOL",
    "venezuela": "VEN", "vietnam": "VNM", "moldavie": "MDA", "palestine": "PSE",
}  # fmt: skip
_ARTICLES = re.compile(r"^(?:la|le|les|l) ")
_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T")


@functools.lru_cache(maxsize=8192)
def _fold(text: str) -> str:
    """Lower case, no accents, apostrophes and hyphens as spaces: the country lookup key."""
    plain = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    plain = re.sub(r"[^a-z0-9]+", " ", plain).strip()
    return _ARTICLES.sub("", plain)


@functools.cache
def _french_countries() -> dict[str, str]:
    """Folded French country name -> alpha-3, from pycountry's French ISO 3166-1 catalogue."""
    french = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["fr"])
    table: dict[str, str] = {}
    for country in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            name = getattr(country, attr, None)
            if not name:
                continue
            local = french.gettext(name)
            table.setdefault(_fold(local), country.alpha_3)
            if "," in local:  # 'Syrienne, République arabe' -> 'République arabe syrienne'
                head, _, tail = local.partition(",")
                table.setdefault(_fold(f"{tail} {head}"), country.alpha_3)
    table.update(_COUNTRY_VARIANTS)
    return table


def french_country(text: str) -> str | None:
    """Alpha-3 of a country written as a French name or an ISO alpha-2/alpha-3 code."""
    code = text.strip().upper()
    if len(code) == 2 and code.isalpha():
        return alpha2_to_alpha3(code)
    if len(code) == 3 and is_iso3(code):
        return code
    return _french_countries().get(_fold(text))


def _country(f: Fields, key: str, text: str | None = None) -> str:
    raw = f.need(key) if text is None else text
    found = french_country(raw)
    if found is None:
        raise f.fail(key, "unknown_country", "not a French country name or ISO 3166 code")
    return found


def _countries(f: Fields, key: str) -> tuple[str, ...]:
    """A list of countries, or one string of them separated by commas or semicolons."""
    value = f.raw(key)
    items = re.split(r"[;,]", value) if isinstance(value, str) else f.texts(key)
    return tuple(dict.fromkeys(_country(f, key, i) for i in items if i.strip()))


def repair_text(text: str) -> str:
    """NFC, with UTF-8 that was once decoded as Windows-1252 ('KONÃ‰' -> 'KONÉ') undone."""
    if "Ã" in text or "Â" in text:
        with contextlib.suppress(UnicodeError):
            text = text.encode("cp1252").decode("utf-8")
    return unicodedata.normalize("NFC", text)


def decode_line(line: bytes) -> str:
    """UTF-8 (BOM tolerated), else the Windows-1252 legacy exports use."""
    try:
        return line.decode("utf-8-sig")
    except UnicodeDecodeError:
        return line.decode("cp1252", errors="replace")


def _partial_date(f: Fields, key: str) -> PartialDate | None:
    """'17/01/1979', '17-01-1979', '01/1979', '1979', '17 janvier 1979', '1er mars 1980'."""
    raw = f.text(key)
    if raw is None:
        return None
    folded = _fold(raw).replace(" er ", "er ")
    if (m := _NUMERIC_DATE.match(raw.strip())) is not None:
        day, month, year = m.groups()
        if month is not None and int(month) == 0:
            day, month = None, None
        day = None if day is not None and int(day) == 0 else day
    elif (m := _WORD_DATE.match(folded)) is not None and m.group(2) in _MONTHS:
        day, month, year = m.group(1), str(_MONTHS[m.group(2)]), m.group(3)
    else:
        raise f.fail(key, "bad_date", "write jj/mm/aaaa, mm/aaaa, aaaa or '17 janvier 1979'")
    return parse_partial_date(year, month, day, f.path(key))


def _flag(f: Fields, key: str) -> bool:
    return flag(f, key, {"OUI": True, "NON": False}, "oui/non")


def _amount(f: Fields, key: str) -> float | None:
    """A JSON number, or French notation: spaces or dots group thousands, ',' marks decimals."""
    value = f.raw(key)
    if isinstance(value, str):
        if _FRENCH_NUMBER.match(value.strip()) is None:
            raise f.fail(key, "bad_number", "write numbers like 1 250,5 (',' marks decimals)")
        digits = re.sub(r"[ \u00a0\u202f.]", "", value.strip())
        return float(digits.replace(",", "."))
    return f.number(key)


def _text(f: Fields, key: str) -> str | None:
    value = f.text(key)
    return None if value is None else repair_text(value)


def _person(f: Fields) -> WantedPerson:
    p = f.nested("personne")
    if p is None:
        raise f.fail("personne", "missing_field", "a PERSONNE fiche needs 'personne'")
    family = repair_text(p.need("nom"))
    given = _text(p, "prenoms")
    if given is not None:
        given = " ".join(g.strip() for g in re.split(r"[,;]", given) if g.strip())
    aliases = [repair_text(a) for a in p.texts("alias")]
    if (usage := _text(p, "nom_d_usage")) is not None:
        aliases.append(f"{given or ''} {usage}".strip())
    looks = p.nested("signalement")
    description = None
    if looks is not None:
        height, weight = looks.number("taille_cm"), looks.number("poids_kg")
        description = PhysicalDescription(
            height_cm=None if height is None else round(height),
            weight_kg=None if weight is None else round(weight),
            eye_colour=_text(looks, "yeux"), hair_colour=_text(looks, "cheveux"),
            distinguishing_marks=_text(looks, "signes_particuliers"),
        )  # fmt: skip
    documents = tuple(
        TravelDocument(
            doc_type=choice(d, "type", _DOCS),
            number=normalize_identifier(d.need("numero")),
            issuing_country=_country(d, "pays_emetteur"),
            issued_on=_full_date(d, "delivre_le"),
            expires_on=_full_date(d, "expire_le"),
        )
        for d in p.objects("pieces_identite")
    )
    return WantedPerson(
        family_name=family,
        given_names=given,
        aliases=tuple(dict.fromkeys(aliases)),
        sex=choice(p, "sexe", _SEX, Sex.UNSPECIFIED),
        date_of_birth=_partial_date(p, "date_de_naissance"),
        place_of_birth=_text(p, "lieu_de_naissance"),
        country_of_birth=_country(p, "pays_de_naissance") if p.text("pays_de_naissance") else None,
        nationalities=_countries(p, "nationalite"),
        travel_documents=documents,
        physical_description=description,
        category=choice(p, "motif", _MOTIVE),
        offences=tuple(repair_text(o) for o in p.texts("infractions")),
        action=choice(p, "conduite_a_tenir", _PERSON_ACTION),
        armed=_flag(p, "arme"),
        violent=_flag(p, "dangereux"),
    )


def _point(f: Fields | None) -> RoutePoint | None:
    if f is None:
        return None
    locode, iata = f.text("locode"), f.text("iata")
    return RoutePoint(
        country=_country(f, "pays"),
        locode=locode and normalize_identifier(locode), iata=iata and iata.upper(),
    )  # fmt: skip


def _commodity(f: Fields) -> Commodity:
    g = f.nested("marchandise")
    if g is None:
        raise f.fail("marchandise", "missing_field", "a MARCHANDISE fiche needs 'marchandise'")
    amount = _amount(g, "quantite")
    quantity = None
    if amount is not None:
        currency = g.text("devise")
        unit = choice(g, "unite", _UNIT)
        quantity = Quantity(amount=amount, unit=unit, currency=currency and currency.upper())
    route = None
    if (r := g.nested("itineraire")) is not None:
        route = Route(
            origin=_point(r.nested("origine")),
            transit=tuple(p for t in r.objects("transit") if (p := _point(t)) is not None),
            destination=_point(r.nested("destination")),
        )
    conveyances = tuple(
        Conveyance(
            kind=choice(m, "type", _CONVEYANCE),
            identifier=m.need("identifiant").upper(),
            country=_country(m, "pays") if m.text("pays") else None,
        )
        for m in g.objects("moyens")
    )
    return Commodity(
        category=choice(g, "categorie", _CATEGORY),
        drug_type=choice(g, "type_drogue", _DRUG) if g.text("type_drogue") else None,
        substance=_text(g, "substance"), description=_text(g, "description"),
        quantity=quantity, conveyances=conveyances, route=route,
        concealment=_text(g, "dissimulation"), action=choice(g, "conduite_a_tenir", _GOODS_ACTION),
    )  # fmt: skip


def _full_date(f: Fields, key: str) -> date | None:
    return full_date(f, key, _partial_date(f, key), "jj/mm/aaaa")


def _end_of_day(f: Fields, key: str, tz: tzinfo | None) -> datetime | None:
    """When a validity ends: an ISO 8601 instant, or a ``jj/mm/aaaa`` date's next midnight."""
    if _INSTANT.match(f.text(key) or "") is not None:
        return parse_instant(f.need(key), f.path(key))
    return next_midnight(f, key, _full_date(f, key), tz)


def _envelope(f: Fields) -> Envelope:
    alert_id = f"AFRIPOL:{f.need('reference')}"
    created = parse_instant(f.need("cree_le"), "cree_le")
    modified = parse_instant(f.text("modifie_le") or f.need("cree_le"), "modifie_le")
    if modified < created:
        raise f.fail("modifie_le", "modified_before_created", "modifie_le is before cree_le")
    first, version = stamp_version(created), stamp_version(modified)
    cancel = choice(f, "statut", {"ACTIVE": False, "ANNULEE": True})
    if cancel and version == first:
        raise f.fail("modifie_le", "cancel_without_prior", "a cancellation needs a later stamp")
    msg_type = MsgType.CANCEL if cancel else MsgType.UPDATE if version > first else MsgType.ALERT
    release, deny = f.nested("diffusion"), f.nested("exclusion")
    return Envelope(
        alert_id=alert_id,
        version=version,
        msg_type=msg_type,
        references=(Reference(alert_id=alert_id, version=first),) if version > first else (),
        status=choice(f, "mode", _MODE, Status.ACTUAL),
        source_org=Org.AFRIPOL,
        originating_country=_country(f, "pays_emetteur"),
        issued_at=modified,
        expires_at=_end_of_day(f, "expire_le", modified.tzinfo),
        tlp=parse_tlp(f.need("classification"), "classification"),
        release_to_countries=_countries(release, "pays") if release is not None else (),
        release_to_orgs=orgs(release, "organisations"),
        deny_countries=_countries(deny, "pays") if deny is not None else (),
        deny_orgs=orgs(deny, "organisations"),
        handling_code=choice(f, "code_traitement", _HANDLING),
        handling_note=_text(f, "note_traitement"),
        source_reliability=choice(f, "fiabilite_source", _RELIABILITY),
        information_accuracy=choice(f, "exactitude", _ACCURACY),
        legal_basis=repair_text(f.need("base_juridique")),
    )


class AfripolConnector(Connector):
    """AFRIPOL fiches: French JSON Lines, diacritics kept, mixed dates, French country names."""

    org: ClassVar[str] = "AFRIPOL"
    format_name: ClassVar[str] = "AFRIPOL fiches JSON Lines"
    description: ClassVar[str] = (
        "JSON Lines with French field names: persons (names with diacritics, dates "
        "jj/mm/aaaa, aaaa or '17 janvier 1979', countries by French name) and seizures"
    )
    extensions: ClassVar[tuple[str, ...]] = (".jsonl", ".ndjson")
    sample_file: ClassVar[str] = "afripol.jsonl"

    def split(self, payload: bytes, source: str) -> Iterator[RawRecord]:
        """One record per non-blank line; '#' lines are comments."""
        index = 0
        for line in payload.splitlines():
            stripped = line.strip().removeprefix(b"\xef\xbb\xbf")
            if not stripped or stripped.startswith(b"#"):
                continue
            yield RawRecord(self.org, source, index, line)
            index += 1

    def to_alert(self, record: RawRecord) -> AnyAlert:
        """Map one fiche to a wanted-person or commodity alert."""
        f = Fields(json_object(decode_line(record.data.strip()), "a fiche"))
        kind = choice(f, "type", {"PERSONNE": "PERSONNE", "MARCHANDISE": "MARCHANDISE"})
        envelope = _envelope(f)
        cancel = envelope.msg_type is MsgType.CANCEL
        if kind == "PERSONNE":
            return WantedPersonAlert(envelope=envelope, subject=None if cancel else _person(f))
        return CommodityAlert(envelope=envelope, subject=None if cancel else _commodity(f))
