"""INTERPOL: red and yellow notices in the JSON of INTERPOL's public notices web API, and
stolen and lost travel documents from its SLTD export (:mod:`connectors.interpol_sltd`).

A payload is a list page (``_embedded.notices[]``), a single notice detail object, or a JSON
array of detail objects. The public API says nothing about the notice type in the object:
it is read from the notice's ``_links.self.href`` (``.../notices/v1/red/2021-75051``), else
from the list page's own self link. Dates of birth are ``YYYY/MM/DD`` and sometimes only
``YYYY`` or ``YYYY/MM``; countries are ISO alpha-2; height is in metres.

Updates and cancels: the export INTERPOL feeds Frontline adds, on top of the public fields,
``published_at`` and ``updated_at`` (ISO 8601 instants) and ``state`` (``published`` or
``cancelled``), plus the labels ``tlp``, ``handling_code``, ``release_to_countries`` and
``deny_countries`` (alpha-2). The version is :func:`~connectors.base.stamp_version` of
``updated_at`` (else ``published_at``, else 1); the message is an ALERT while
``updated_at`` equals ``published_at``, an UPDATE once later, a CANCEL when ``state`` is
``cancelled`` (the cancel carries the envelope only). Re-reading the same export therefore
yields the same ids and versions.

SLTD records (objects with ``sltd_id``) may come as an SLTD export object
(``{"sltd_export": ..., "documents": [...]}``), in a JSON array, alone, or mixed with
notices in an array; each becomes a travel-document alert.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, ClassVar

import orjson

from connectors.base import Connector, ConnectorError, RawRecord
from connectors.formats.fields import (
    Fields,
    country3,
    json_document,
    json_object,
    parse_partial_date,
)
from connectors.interpol_sltd import is_sltd_record, sltd_alert, sltd_records, stamped_envelope
from gateway.contract import (
    AnyAlert,
    Envelope,
    HandlingCode,
    InformationAccuracy,
    MsgType,
    PersonAction,
    PersonCategory,
    PhysicalDescription,
    Sex,
    SourceReliability,
    WantedPerson,
    WantedPersonAlert,
)

__all__ = ["InterpolConnector"]

_NOTICE_TYPE = re.compile(r"/notices/v\d+/(red|yellow|blue|green|black|orange|purple|un)\b")
_ENTITY_ID = re.compile(r"^\d{4}/\d{1,7}$")
_DATE = re.compile(r"^(\d{4})(?:/(\d{1,2})(?:/(\d{1,2}))?)?$")
_TERRORISM = re.compile(
    r"terror|isil|isis|daesh|da'esh|al[- ]?qa'?ida|al[- ]?nusra|foreign fighter", re.IGNORECASE
)
_VIOLENT = re.compile(r"murder|homicid|kill|assault|armed|terror|kidnap|rape|violen", re.I)
_ARMED = re.compile(r"armed|firearm|weapon|explosive", re.IGNORECASE)
_SEX = {"M": Sex.MALE, "F": Sex.FEMALE, "U": Sex.UNSPECIFIED}
_EYES = {
    "BLA": "black", "BLU": "blue", "BRO": "brown", "GRE": "green", "GRY": "grey",
    "HAZ": "hazel", "OTH": "other",
}  # fmt: skip
_HAIR = {
    "BLA": "black", "BRO": "brown", "BLO": "blond", "RED": "red", "GRY": "grey",
    "WHI": "white", "BAL": "bald", "OTH": "other",
}  # fmt: skip
_LEGAL_BASIS = {
    "red": "INTERPOL Rules on the Processing of Data, Art. 82 (Red Notice)",
    "yellow": "INTERPOL Rules on the Processing of Data, Art. 90 (Yellow Notice)",
}


def _notice_type(notice: dict[str, Any]) -> str | None:
    links = notice.get("_links")
    own = links.get("self") if isinstance(links, dict) else None
    href = own.get("href") if isinstance(own, dict) else None
    if not isinstance(href, str):
        return None
    match = _NOTICE_TYPE.search(href)
    return match.group(1) if match else None


class InterpolConnector(Connector):
    """INTERPOL red (wanted) and yellow (missing) notices, and SLTD travel documents."""

    org: ClassVar[str] = "INTERPOL"
    format_name: ClassVar[str] = "INTERPOL notices web API JSON and SLTD export JSON"
    description: ClassVar[str] = (
        "Red and yellow notices: list pages (_embedded.notices[]) or detail objects; "
        "YYYY/MM/DD dates that may be partial, alpha-2 countries, type from the self link. "
        "SLTD stolen/lost travel documents: {sltd_export, documents[]}, ICAO issuing states."
    )
    extensions: ClassVar[tuple[str, ...]] = (".json",)
    sample_file: ClassVar[str] = "interpol.json"
    extra_samples: ClassVar[tuple[str, ...]] = ("interpol_sltd.json",)

    def split(self, payload: bytes, source: str) -> Iterator[RawRecord]:
        """One record per notice, whatever the payload shape."""
        doc = json_document(payload, "payload is not JSON")
        documents = sltd_records(doc)
        if isinstance(doc, dict) and "sltd_export" in doc and documents is None:
            raise ConnectorError.one(
                "split", "documents", "unexpected_shape", "an SLTD export needs a documents list"
            )
        if documents is not None:
            notices: list[Any] = documents
        elif isinstance(doc, list):
            notices = doc
        elif isinstance(doc, dict) and "_embedded" in doc:
            embedded = doc["_embedded"]
            found = embedded.get("notices") if isinstance(embedded, dict) else None
            if not isinstance(found, list):
                raise ConnectorError.one(
                    "split", "_embedded.notices", "unexpected_shape", "a list page needs a list"
                )
            notices = found
            page_type = _notice_type(doc)
            if page_type is not None:
                # Keep the type the page states for notices that carry no self link.
                link = {"self": {"href": f"/notices/v1/{page_type}"}}
                notices = [
                    {**n, "_links": link} if isinstance(n, dict) and _notice_type(n) is None else n
                    for n in notices
                ]
        elif isinstance(doc, dict):
            notices = [doc]
        else:
            raise ConnectorError.one(
                "split", "", "unexpected_shape", "expected a list page, a notice or a list"
            )
        for index, notice in enumerate(notices):
            yield RawRecord(self.org, source, index, orjson.dumps(notice), notice)

    def to_alert(self, record: RawRecord) -> AnyAlert:
        """Map one notice to a wanted-person alert, one SLTD record to a document alert."""
        notice = record.parsed
        if notice is None:
            notice = json_object(record.data, "a notice")
        elif not isinstance(notice, dict):
            raise ConnectorError.one("parse", "", "not_an_object", "a notice is a JSON object")
        if is_sltd_record(notice):
            return sltd_alert(notice)
        return self._notice(notice)

    def _notice(self, notice: dict[str, Any]) -> WantedPersonAlert:
        """Map one notice to a wanted-person alert."""
        f = Fields(notice)
        entity_id = f.need("entity_id")
        if not _ENTITY_ID.match(entity_id):
            raise f.fail("entity_id", "bad_entity_id", "entity_id must look like 2021/75051")
        notice_type = _notice_type(notice)
        if notice_type not in _LEGAL_BASIS:
            raise f.fail(
                "_links.self.href", "unsupported_notice_type",
                "only red and yellow notices are accepted; the self link names neither",
            )  # fmt: skip
        assert notice_type is not None  # narrowed by the membership test above
        envelope = self._envelope(f, f"INTERPOL:{entity_id}", notice_type)
        if envelope.msg_type is MsgType.CANCEL:
            return WantedPersonAlert(envelope=envelope, subject=None)
        return WantedPersonAlert(envelope=envelope, subject=self._person(f, notice_type))

    def _envelope(self, f: Fields, alert_id: str, notice_type: str) -> Envelope:
        def handling() -> HandlingCode:
            code = f.text("handling_code") or "H0"
            if code not in HandlingCode.__members__:
                raise f.fail(
                    "handling_code", "unknown_handling_code", "handling_code must be H0-H3"
                )
            return HandlingCode(code)

        return stamped_envelope(
            f, alert_id, first="published_at", states=("published", "cancelled"),
            cancel_rule="a cancelled notice needs an updated_at later than its published_at",
            cancel_needs_first=False, handling=handling,
            origin=lambda: self._originating_country(f, notice_type), origin_first=False,
            grading=(SourceReliability.B, InformationAccuracy.KNOWN_TO_SOURCE),
            legal_basis=_LEGAL_BASIS[notice_type],
        )  # fmt: skip

    @staticmethod
    def _originating_country(f: Fields, notice_type: str) -> str:
        """The warrant's issuing country for red notices; the reporting country for yellow."""
        if notice_type == "red":
            warrants = f.objects("arrest_warrants")
            if not warrants:
                raise f.fail(
                    "arrest_warrants", "missing_field",
                    "a red notice needs an arrest warrant (a list summary is not enough)",
                )  # fmt: skip
            issuing = warrants[0].need("issuing_country_id")
            return country3(issuing, warrants[0].path("issuing_country_id"))
        reporting = f.text("country")
        if reporting is None:
            raise f.fail("country", "missing_field", "a yellow notice needs its reporting country")
        return country3(reporting, f.path("country"))

    @staticmethod
    def _person(f: Fields, notice_type: str) -> WantedPerson:
        offences: list[str] = []
        for w in f.objects("arrest_warrants"):
            charge = w.text("charge_translation") or w.text("charge")
            if charge:
                offences.append(charge)
        charges = " ".join(offences)
        if notice_type == "yellow":
            category, action = PersonCategory.MISSING, PersonAction.INFORM
        elif _TERRORISM.search(charges):
            category, action = PersonCategory.FOREIGN_TERRORIST_FIGHTER, PersonAction.ARREST
        else:
            category, action = PersonCategory.ARREST_FOR_EXTRADITION, PersonAction.ARREST
        sex_id = (f.text("sex_id") or "U").upper()
        if sex_id not in _SEX:
            raise f.fail("sex_id", "unknown_code", "sex_id must be M, F or U")
        dob_text = f.text("date_of_birth")
        dob = None
        if dob_text is not None:
            match = _DATE.match(dob_text)
            if match is None:
                raise f.fail("date_of_birth", "bad_date", "expected YYYY/MM/DD, YYYY/MM or YYYY")
            year, month, day = match.groups()
            dob = parse_partial_date(year, month, day, "date_of_birth")
        birth_country = f.text("country_of_birth_id")
        return WantedPerson(
            family_name=f.need("name"),
            given_names=f.text("forename"),
            name_script="Latn",
            sex=_SEX[sex_id],
            date_of_birth=dob,
            place_of_birth=f.text("place_of_birth"),
            country_of_birth=(
                country3(birth_country, "country_of_birth_id") if birth_country else None
            ),
            nationalities=tuple(
                country3(c, f"nationalities[{i}]") for i, c in enumerate(f.texts("nationalities"))
            ),
            physical_description=_physical(f),
            category=category,
            offences=tuple(offences),
            action=action,
            armed=bool(_ARMED.search(charges)),
            violent=bool(_VIOLENT.search(charges)),
        )


def _physical(f: Fields) -> PhysicalDescription | None:
    height = f.number("height")
    weight = f.number("weight")
    eyes = [_EYES.get(c.upper(), "other") for c in f.texts("eyes_colors_id")]
    hair = [_HAIR.get(c.upper(), "other") for c in f.texts("hairs_id")]
    marks = f.text("distinguishing_marks")
    if height is not None and not 0 <= height < 3:
        raise f.fail("height", "out_of_range", "height is in metres, between 0 and 3")
    if weight is not None and not 0 <= weight < 500:
        raise f.fail("weight", "out_of_range", "weight is in kilograms, between 0 and 500")
    description = PhysicalDescription(
        height_cm=round(height * 100) if height else None,  # 0 means unknown in the API
        weight_kg=round(weight) if weight else None,
        eye_colour=", ".join(eyes) or None,
        hair_colour=", ".join(hair) or None,
        distinguishing_marks=marks,
    )
    return description if description != PhysicalDescription() else None
