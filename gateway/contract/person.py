"""The wanted-person subject: names in two scripts, birth, documents, category and action."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from pydantic import model_validator

from gateway.contract._base import ContractModel
from gateway.contract.enums import PersonAction, PersonCategory, Sex

__all__ = ["PartialDate", "PhysicalDescription", "TravelDocument", "WantedPerson"]

_PARTIAL_DATE_TEXT = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


class PartialDate(ContractModel):
    """A date known to the year, the month or the day; JSON may also spell it '1980-05'."""

    year: int
    month: int | None = None
    day: int | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        """Accept 'YYYY', 'YYYY-MM' and 'YYYY-MM-DD' as well as the record form."""
        if isinstance(value, str):
            match = _PARTIAL_DATE_TEXT.match(value.strip())
            if match is None:
                raise ValueError("partial date must be YYYY, YYYY-MM or YYYY-MM-DD")
            year, month, day = match.groups()
            return {
                "year": int(year),
                "month": None if month is None else int(month),
                "day": None if day is None else int(day),
            }
        return value

    def __str__(self) -> str:
        """ISO 8601 reduced precision: '1980', '1980-05', '1980-05-17'."""
        parts = [f"{self.year:04d}"]
        if self.month is not None:
            parts.append(f"{self.month:02d}")
            if self.day is not None:
                parts.append(f"{self.day:02d}")
        return "-".join(parts)


class TravelDocument(ContractModel):
    """A passport, identity card or visa, typed by its ICAO 9303 document code."""

    doc_type: str
    number: str
    issuing_country: str
    issued_on: dt.date | None = None
    expires_on: dt.date | None = None


class PhysicalDescription(ContractModel):
    """What an officer can see."""

    height_cm: int | None = None
    weight_kg: int | None = None
    eye_colour: str | None = None
    hair_colour: str | None = None
    distinguishing_marks: str | None = None


class WantedPerson(ContractModel):
    """Mirror of ``org.frontline.alert.WantedPerson``."""

    family_name: str
    given_names: str | None = None
    family_name_original: str | None = None
    given_names_original: str | None = None
    name_script: str | None = None
    aliases: tuple[str, ...] = ()
    sex: Sex = Sex.UNSPECIFIED
    date_of_birth: PartialDate | None = None
    place_of_birth: str | None = None
    country_of_birth: str | None = None
    nationalities: tuple[str, ...] = ()
    travel_documents: tuple[TravelDocument, ...] = ()
    physical_description: PhysicalDescription | None = None
    category: PersonCategory
    offences: tuple[str, ...] = ()
    action: PersonAction
    armed: bool = False
    violent: bool = False
