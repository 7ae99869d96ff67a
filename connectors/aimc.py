"""AIMC: Arab Interior Ministers Council bulletins as XML, Arabic full names and Arabic values.

A payload is ``<AimcBulletins>`` holding ``<Bulletin>`` elements (namespace optional). A
bulletin names one person: the full name in Arabic script as one string, given name
first (``محمد بن علي بن حسن الزعبي``), optionally again in Latin script; the connector
splits family from given names at the last word and its particle (``Al``, ``bin``,
``Abu``). Values are Arabic: sex ``ذكر``/``أنثى``, the kind ``مطلوب`` (wanted),
``إرهابي`` (terrorist), ``مفقود`` (missing), ``مشتبه به`` (watch), countries by Arabic name
(``الأردن``) or ISO code. Dates are day first (``٠٣/٠١/١٩٨٥``), in Arabic-Indic or ASCII
digits; the ``calendar`` attribute and/or a suffix (``هـ`` Hijri, ``م`` Gregorian) says
which calendar, and the two must agree.

Updates and cancels: ``Bulletin/@revision`` counts versions and ``@status`` is ``active``,
``amended`` or ``cancelled``. Revision 1 is an ALERT, a later one an UPDATE, a cancelled
bulletin (itself a new revision) a CANCEL with the envelope only; the version is the
revision number.
"""

# Arabic-script names and values are this module's data, not look-alike typos:
# ruff: noqa: RUF002

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar
from xml.etree.ElementTree import Element, tostring
from xml.etree.ElementTree import fromstring as fast_fromstring
from xml.parsers import expat

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from connectors.base import Connector, RawRecord
from connectors.formats.arabic import (
    NativeDate,
    country_from_arabic,
    has_arabic,
    normalize_digits,
    split_full_name,
    transliterate,
)
from connectors.formats.fields import country3, parse_tlp, refusal
from connectors.formats.native import (
    native_date,
    native_partial,
    parse_grading,
    parse_handling,
    revision_envelope,
    zoned_instant,
)
from gateway.contract import (
    Envelope,
    MsgType,
    Org,
    PersonAction,
    PersonCategory,
    Sex,
    TravelDocument,
    WantedPerson,
    WantedPersonAlert,
)

__all__ = ["AimcConnector", "parse_xml"]

# Arab League members (the Council's members) and the zone of each one's capital.
MEMBER_ZONES = {
    "DZA": "Africa/Algiers", "BHR": "Asia/Bahrain", "COM": "Indian/Comoro",
    "DJI": "Africa/Djibouti", "EGY": "Africa/Cairo", "IRQ": "Asia/Baghdad", "JOR": "Asia/Amman",
    "KWT": "Asia/Kuwait", "LBN": "Asia/Beirut", "LBY": "Africa/Tripoli",
    "MRT": "Africa/Nouakchott", "MAR": "Africa/Casablanca", "OMN": "Asia/Muscat",
    "PSE": "Asia/Hebron", "QAT": "Asia/Qatar", "SAU": "Asia/Riyadh", "SOM": "Africa/Mogadishu",
    "SDN": "Africa/Khartoum", "SYR": "Asia/Damascus", "TUN": "Africa/Tunis",
    "ARE": "Asia/Dubai", "YEM": "Asia/Aden",
}  # fmt: skip
LEGAL_BASIS = "Arab Convention for the Suppression of Terrorism (1998); Riyadh Agreement (1983)"
_KINDS = {
    "مطلوب": (PersonCategory.ARREST_FOR_EXTRADITION, PersonAction.ARREST),
    "wanted": (PersonCategory.ARREST_FOR_EXTRADITION, PersonAction.ARREST),
    "إرهابي": (PersonCategory.FOREIGN_TERRORIST_FIGHTER, PersonAction.ARREST),
    "terrorist": (PersonCategory.FOREIGN_TERRORIST_FIGHTER, PersonAction.ARREST),
    "مفقود": (PersonCategory.MISSING, PersonAction.INFORM),
    "missing": (PersonCategory.MISSING, PersonAction.INFORM),
    "مشتبه به": (PersonCategory.WARNING, PersonAction.DISCREET_CHECK),
    "watch": (PersonCategory.WARNING, PersonAction.DISCREET_CHECK),
}
_ACTIONS = {
    "قبض": PersonAction.ARREST, "arrest": PersonAction.ARREST,
    "احتجاز": PersonAction.DETAIN_AND_CONTACT_NODE, "detain": PersonAction.DETAIN_AND_CONTACT_NODE,
    "مراقبة": PersonAction.DISCREET_CHECK, "discreet_check": PersonAction.DISCREET_CHECK,
    "منع دخول": PersonAction.REFUSE_ENTRY, "refuse_entry": PersonAction.REFUSE_ENTRY,
    "إبلاغ": PersonAction.INFORM, "inform": PersonAction.INFORM,
}  # fmt: skip
_SEX = {"ذكر": Sex.MALE, "m": Sex.MALE, "أنثى": Sex.FEMALE, "انثى": Sex.FEMALE, "f": Sex.FEMALE}
_STATUSES = ("active", "amended", "cancelled")


def _local(tag: str) -> str:
    """Tag name without its namespace."""
    return tag.rpartition("}")[2]


def _children(el: Element, name: str) -> list[Element]:
    return el.findall(name)  # tags are namespace-free after _parse


def _child(el: Element, name: str) -> Element | None:
    return el.find(name)


def _text(el: Element | None) -> str | None:
    if el is None or el.text is None or not el.text.strip():
        return None
    return " ".join(el.text.split())


def _country(value: str, path: str) -> str:
    """ISO alpha-3 from an Arabic country name or an ISO code."""
    if has_arabic(value):
        code = country_from_arabic(value)
        if code is None:
            raise refusal(path, "unknown_country", "not a country name the ISO catalogue knows")
        return code
    return country3(value, path)


class AimcConnector(Connector):
    """Arab Interior Ministers Council bulletins on wanted, terrorist and missing persons."""

    org: ClassVar[str] = "AIMC"
    format_name: ClassVar[str] = "AIMC bulletins XML"
    description: ClassVar[str] = (
        "Person bulletins; Arabic full names to split, Arabic values and country names, "
        "day-first dates in Hijri or Gregorian said by attribute or suffix (هـ / م)."
    )
    extensions: ClassVar[tuple[str, ...]] = (".xml",)
    sample_file: ClassVar[str] = "aimc.xml"

    def split(self, payload: bytes, source: str) -> Iterator[RawRecord]:
        """One record per ``Bulletin`` element, cut out of the payload byte for byte."""
        root = parse_xml(payload, "split")
        if root.tag == "Bulletin":
            yield RawRecord(self.org, source, 0, payload)
            return
        if root.tag != "AimcBulletins":
            raise refusal("", "unexpected_shape", "root must be AimcBulletins or Bulletin", "split")
        bulletins = _children(root, "Bulletin")
        slices = _slices(payload) if _plain_utf8(payload) else None
        if slices is None or len(slices) != len(bulletins):  # re-serialize what we cannot cut
            slices = [tostring(b, encoding="utf-8") for b in bulletins]
        for index, data in enumerate(slices):
            yield RawRecord(self.org, source, index, data)

    def to_alert(self, record: RawRecord) -> WantedPersonAlert:
        """Map one bulletin to a wanted-person alert."""
        bulletin = parse_xml(record.data, "parse")
        envelope = _envelope(bulletin)
        if envelope.msg_type is MsgType.CANCEL:
            return WantedPersonAlert(envelope=envelope, subject=None)
        return WantedPersonAlert(envelope=envelope, subject=_person(bulletin))


def _plain_utf8(data: bytes) -> bool:
    """UTF-8 without any DTD: nothing the C parser could expand, so it may parse it."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    head = data[:100].lower()
    return b"encoding=" not in head or b'encoding="utf-8"' in head or b"encoding='utf-8'" in head


def _slices(payload: bytes) -> list[bytes] | None:
    """The exact bytes of each top-level Bulletin; None if a prefix would not survive the cut."""
    parser = expat.ParserCreate()  # no namespace processing: a prefixed name stays visible
    out: list[bytes] = []
    state = {"depth": 0, "start": 0, "prefixed": False}

    def on_start(name: str, attrs: dict[str, str]) -> None:
        state["depth"] += 1
        if ":" in name or any(":" in a and not a.startswith("xml") for a in attrs):
            state["prefixed"] = True
        if state["depth"] == 2:
            state["start"] = parser.CurrentByteIndex

    def on_end(name: str) -> None:
        if state["depth"] == 2 and name == "Bulletin":
            end = payload.index(b">", parser.CurrentByteIndex) + 1
            out.append(payload[state["start"] : end])
        state["depth"] -= 1

    parser.StartElementHandler = on_start
    parser.EndElementHandler = on_end
    try:
        parser.Parse(payload, True)
    except (expat.ExpatError, LookupError):  # LookupError: an unknown declared encoding
        return None
    return None if state["prefixed"] else out


def parse_xml(data: bytes, stage: str) -> Element:
    try:
        if _plain_utf8(data):
            # S314: no DTD can be present (checked above), hence no entity to expand; the C
            # parser is several times faster than defusedxml's pure-Python tree builder.
            root: Element = fast_fromstring(data)  # noqa: S314
        else:
            root = fromstring(data)
    except DefusedXmlException:
        raise refusal("", "forbidden_xml", "DTDs and entities are not allowed", stage) from None
    except (ParseError, ValueError, LookupError):  # LookupError: an unknown declared encoding
        raise refusal("", "bad_xml", "payload is not well-formed XML", stage) from None
    for el in root.iter():
        if isinstance(el.tag, str) and "}" in el.tag:  # the namespace is optional: drop it
            el.tag = _local(el.tag)
    return root


def _envelope(b: Element) -> Envelope:
    local_id = (b.get("id") or "").strip()
    if not local_id:
        raise refusal("Bulletin/@id", "missing_field", "a bulletin needs its id")
    revision_text = normalize_digits(b.get("revision") or "1").strip()
    if not revision_text.isdigit() or not 1 <= int(revision_text) < 2**31:
        raise refusal(
            "Bulletin/@revision", "bad_revision", "revision must be a whole number from 1"
        )
    status = (b.get("status") or "active").strip().lower()
    if status not in _STATUSES:
        raise refusal("Bulletin/@status", "unknown_state", f"status must be one of {_STATUSES}")
    issuer_el = _child(b, "Issuer")
    issuer_text = (issuer_el.get("country") if issuer_el is not None else None) or _text(issuer_el)
    if not issuer_text:
        raise refusal("Issuer", "missing_field", "the issuing country is required")
    issuer = _country(issuer_text, "Issuer")
    zone = MEMBER_ZONES.get(issuer)
    if zone is None:
        raise refusal("Issuer", "not_a_member", "only Arab League members issue bulletins")
    issued_el = _child(b, "IssuedOn")
    issued = _date(issued_el, "IssuedOn")
    if issued is None or issued_el is None:
        raise refusal("IssuedOn", "missing_field", "IssuedOn is required")
    issued_at = zoned_instant(issued, "IssuedOn", zone, issued_el.get("time"))
    expires_el = _child(b, "ValidUntil")
    expires = _date(expires_el, "ValidUntil")
    label = _child(b, "Classification")
    attrs = label.attrib if label is not None else {}
    if "tlp" not in attrs:
        raise refusal("Classification/@tlp", "missing_field", "a TLP label is required")
    return revision_envelope(
        org=Org.AIMC,
        local_id=local_id,
        revision=int(revision_text),
        withdrawn=status == "cancelled",
        issued_at=issued_at,
        expires_at=(
            zoned_instant(expires, "ValidUntil", zone, _attr(expires_el, "time"), end_of_day=True)
            if expires
            else None
        ),
        originating_country=issuer,
        tlp=parse_tlp(attrs["tlp"], "Classification/@tlp"),
        handling=parse_handling(attrs.get("handling"), "Classification/@handling"),
        handling_note=_text(label),
        grading=parse_grading(attrs.get("grading"), "Classification/@grading"),
        release_to=tuple(
            _country(c, f"ReleaseTo[{i}]")
            for i, c in enumerate(t for t in map(_text, _children(b, "ReleaseTo")) if t)
        ),
        deny=tuple(
            _country(c, f"Deny[{i}]")
            for i, c in enumerate(t for t in map(_text, _children(b, "Deny")) if t)
        ),
        legal_basis=_text(_child(b, "LegalBasis")) or LEGAL_BASIS,
    )


def _attr(el: Element | None, name: str) -> str | None:
    return el.get(name) if el is not None else None


def _date(el: Element | None, path: str) -> NativeDate | None:
    """The native date of an element with an optional ``calendar`` attribute, or None."""
    text = _text(el)
    if el is None or text is None:
        return None
    return native_date(text, path, el.get("calendar"))


def _names(p: Element) -> tuple[str, str | None, str, str | None, list[str]]:
    """(Latin family, Latin given, Arabic family, Arabic given, aliases) of the person."""
    arabic = latin = None
    for el in _children(p, "FullName"):
        name = _text(el)
        if name is None:
            continue
        if has_arabic(name):
            if (el.get("script") or "Arab").strip() != "Arab":
                raise refusal("Person/FullName", "script_mismatch", "Arabic text marked as Latin")
            arabic = name
        else:
            latin = name
    if arabic is None:
        raise refusal("Person/FullName", "missing_field", "the full name in Arabic is required")
    machine = transliterate(arabic)
    family_ar, given_ar = split_full_name(arabic)
    family, given = split_full_name(latin or machine)
    aliases: list[str] = []
    for el in _children(p, "Alias"):
        alias = _text(el)
        if alias:
            aliases += [alias, transliterate(alias)] if has_arabic(alias) else [alias]
    if latin and machine != latin:  # keep the machine spelling searchable too
        aliases.append(machine)
    return family, given, family_ar, given_ar, aliases


def _person(b: Element) -> WantedPerson:
    p = _child(b, "Person")
    if p is None:
        raise refusal("Person", "missing_field", "a bulletin names one person")
    family, given, family_ar, given_ar, aliases = _names(p)
    kind_text = _text(_child(b, "Kind")) or "مطلوب"
    kind = _KINDS.get(kind_text.lower())
    if kind is None:
        raise refusal("Kind", "unknown_category", "Kind must be مطلوب, إرهابي, مفقود or مشتبه به")
    category, action = kind
    action_text = _text(_child(p, "RequestedAction"))
    if action_text is not None:
        if action_text.lower() not in _ACTIONS:
            raise refusal("Person/RequestedAction", "unknown_action", "unknown requested action")
        action = _ACTIONS[action_text.lower()]
    sex_text = (p.get("sex") or "").strip().lower()
    if sex_text and sex_text not in _SEX:
        raise refusal("Person/@sex", "unknown_code", "sex must be ذكر or أنثى")
    birth = _date(_child(p, "BirthDate"), "Person/BirthDate")
    return WantedPerson(
        family_name=family,
        given_names=given,
        family_name_original=family_ar,
        given_names_original=given_ar,
        name_script="Arab",
        aliases=tuple(dict.fromkeys(aliases)),
        sex=_SEX.get(sex_text, Sex.UNSPECIFIED),
        date_of_birth=native_partial(birth) if birth is not None else None,
        place_of_birth=_text(_child(p, "BirthPlace")),
        nationalities=tuple(
            _country(t, f"Person/Nationality[{i}]")
            for i, t in enumerate(x for x in map(_text, _children(p, "Nationality")) if x)
        ),
        travel_documents=tuple(
            _document(el, f"Person/Document[{i}]") for i, el in enumerate(_children(p, "Document"))
        ),
        category=category,
        offences=tuple(t for t in map(_text, _children(p, "Charge")) if t),
        action=action,
        armed=(p.get("armed") or "").strip().lower() in ("true", "نعم"),
        violent=(p.get("violent") or "").strip().lower() in ("true", "نعم"),
    )


def _document(el: Element, path: str) -> TravelDocument:
    number = _text(el)
    country = el.get("country")
    if not number or not country:
        raise refusal(path, "missing_field", "a document needs its number and country")
    expires = el.get("expires")
    expiry = native_date(expires, f"{path}/@expires", el.get("calendar")) if expires else None
    return TravelDocument(
        doc_type=(el.get("type") or "P").strip().upper(),
        number=normalize_digits(number).replace(" ", "").upper(),
        issuing_country=_country(country, f"{path}/@country"),
        expires_on=expiry.gregorian_date() if expiry and expiry.day else None,
    )
