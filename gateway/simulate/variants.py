"""Travellers for the exercise: planted matches with realistic name variants, and the rest.

A planted traveller is built from a wanted person on a post's watchlist and altered the
way real names drift between systems: a typo, swapped name order, a dropped middle name,
the name in its original script, or the diacritics lost. Everyone else is a random
person drawn from regional name generators, so precision is measured against real
look-alike noise rather than an empty field.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass

from faker import Faker

from gateway.contract import WantedPerson

__all__ = ["VARIANT_KINDS", "Traveller", "TravellerFactory", "name_variant"]

VARIANT_KINDS = ("exact", "typo", "swapped", "dropped_middle", "original_script", "no_diacritics")

_LOCALES = ("fr_FR", "es_MX", "pt_BR", "de_DE", "it_IT", "ar_SA", "tr_TR", "en_US", "en_GB",
            "id_ID", "vi_VN", "th_TH", "fa_IR", "ru_RU", "pl_PL", "sw", "en_IN")  # fmt: skip


def _strip_diacritics(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@dataclass(frozen=True)
class Traveller:
    """One person presented at a border post; ``planted`` names the alert it should hit."""

    name: str
    date_of_birth: str | None
    nationality: str | None
    document: str | None
    planted: str | None  # alert id, or None for an ordinary traveller
    variant: str | None


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    action = rng.choice(("swap", "drop", "double", "replace"))
    if action == "swap":
        return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]
    if action == "drop":
        return word[:i] + word[i + 1 :]
    if action == "double":
        return word[:i] + word[i] + word[i:]
    return word[:i] + rng.choice("aeiouy") + word[i + 1 :]


def name_variant(rng: random.Random, person: WantedPerson, kind: str) -> str:
    """The person's name as a traveller's document might carry it, altered by ``kind``."""
    given = (person.given_names or "").split()
    family = person.family_name.split()
    if kind == "original_script" and person.family_name_original:
        parts = [person.given_names_original or "", person.family_name_original]
        return " ".join(p for p in parts if p)
    if kind == "swapped":
        return " ".join(family + given)
    if kind == "dropped_middle" and len(given) > 1:
        return " ".join(given[:1] + family)
    if kind == "typo":
        words = given + family
        j = rng.randrange(len(words))
        words[j] = _typo(rng, words[j])
        return " ".join(words)
    if kind == "no_diacritics":
        return _strip_diacritics(" ".join(given + family))
    return " ".join(given + family)


class TravellerFactory:
    """Makes planted and ordinary travellers from one seeded random source."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(seed)
        self._fakers = {loc: Faker(loc) for loc in _LOCALES}
        for i, faker in enumerate(self._fakers.values()):
            faker.seed_instance(seed + i)

    def planted(self, alert_id: str, person: WantedPerson) -> Traveller:
        """A traveller who is the wanted person, under a realistic variant of the name."""
        kind = self._rng.choice(VARIANT_KINDS)
        dob = str(person.date_of_birth) if person.date_of_birth else None
        nationality = person.nationalities[0] if person.nationalities else None
        return Traveller(
            name=name_variant(self._rng, person, kind),
            date_of_birth=dob if self._rng.random() < 0.8 else None,
            nationality=nationality if self._rng.random() < 0.7 else None,
            document=None,
            planted=alert_id,
            variant=kind,
        )

    def ordinary(self) -> Traveller:
        """A random traveller who is on no list (by construction, almost surely)."""
        faker = self._fakers[self._rng.choice(_LOCALES)]
        born = faker.date_of_birth(minimum_age=18, maximum_age=80)
        return Traveller(
            name=f"{faker.first_name()} {faker.last_name()}",
            date_of_birth=born.isoformat(),
            nationality=None,
            document=None,
            planted=None,
            variant=None,
        )
