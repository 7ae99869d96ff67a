"""Neutrality review rules: which alerts are held for a person to approve (INTERPOL Article 3)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

__all__ = ["ReviewMatcher", "normalize_offence"]

_SPACES = re.compile(r"[\s_]+")


def normalize_offence(text: str) -> str:
    """Case-folded text without accents and with single spaces, so keywords match any spelling."""
    if not text.isascii():
        decomposed = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", text.casefold()).strip()


class ReviewMatcher:
    """Finds the first review rule an alert matches; built once per policy, used per alert.

    Offence keywords match at the start of a word, so "political" catches "political
    offence" and "politically motivated" but not "apolitical".
    """

    __slots__ = ("_keywords", "_originators", "_pattern")

    def __init__(self, offence_keywords: Iterable[str], originators: Iterable[str]) -> None:
        self._originators = frozenset(originators)
        keywords = sorted(
            {normalize_offence(k) for k in offence_keywords}, key=lambda k: (-len(k), k)
        )
        self._keywords = tuple(keywords)
        self._pattern = (
            re.compile(r"(?<!\w)(?:" + "|".join(re.escape(k) for k in keywords) + ")")
            if keywords
            else None
        )

    @property
    def keywords(self) -> tuple[str, ...]:
        """The normalized offence keywords, longest first."""
        return self._keywords

    @property
    def originators(self) -> frozenset[str]:
        """Countries and organizations whose every alert is reviewed."""
        return self._originators

    def match(
        self, source_org: str, originating_country: str, offences: Iterable[str]
    ) -> str | None:
        """The rule holding this alert (``originator:X`` or ``offence:keyword``), or None."""
        if self._originators:
            if originating_country in self._originators:
                return f"originator:{originating_country}"
            if source_org in self._originators:
                return f"originator:{source_org}"
        pattern = self._pattern
        if pattern is None:
            return None
        for offence in offences:
            found = pattern.search(normalize_offence(offence))
            if found:
                return f"offence:{found.group(0)}"
        return None
