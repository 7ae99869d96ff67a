"""The console's labels in English, French, Spanish and Arabic: one JSON catalog per language.

A catalog maps a key to a label; coded values (actions, outcomes, statuses...) have keys
``<group>.<CODE>``. Every catalog has every key of the English one (a unit test checks it),
so a page never falls back to English; an unknown code (a value added to the contract
later) shows as the code itself, which is data.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Final

__all__ = ["DEFAULT", "LANGUAGES", "RTL", "Catalog", "catalog", "choose"]

LANGUAGES: Final = ("en", "fr", "es", "ar")
DEFAULT: Final = "en"
RTL: Final = frozenset({"ar"})
NATIVE: Final = {"en": "English", "fr": "Français", "es": "Español", "ar": "العربية"}


def choose(value: str | None) -> str:
    """A known language code from a cookie or a link, else the default."""
    return value if value in LANGUAGES else DEFAULT


class Catalog:
    """One language's labels."""

    def __init__(self, lang: str, labels: dict[str, str]) -> None:
        self.lang = lang
        self.labels = labels
        self.dir = "rtl" if lang in RTL else "ltr"

    def __call__(self, key: str, **values: object) -> str:
        """The label of ``key`` with ``{name}`` placeholders filled."""
        text = self.labels.get(key, key)
        return text.format(**values) if values else text

    def code(self, group: str, value: str | None) -> str:
        """The label of a coded value (``action``, ``ARREST``), or the code if none."""
        if not value:
            return ""
        return self.labels.get(f"{group}.{value}", value)


@cache
def catalog(lang: str) -> Catalog:
    """The catalog of a language (read once from the package)."""
    lang = choose(lang)
    text = resources.files(__package__).joinpath("catalogs", f"{lang}.json").read_text("utf-8")
    labels: dict[str, str] = json.loads(text)
    return Catalog(lang, labels)
