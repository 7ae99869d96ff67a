"""Name and date normalization shared by the watchlist index and the scorer.

Identifiers (documents, containers, ships, vehicles) are normalized by the contract's
``gateway.contract.identifiers.normalize_identifier``, the same function the hub links on.

Names of any script become lower-case ASCII tokens: NFKC, diacritics stripped, Arabic,
Cyrillic, Thai and Chinese transliterated with ``anyascii`` (a maintained Unicode-to-ASCII
table). Particles (``ben``, ``el``, ``van der``, ``da`` ...) are glued to the word they
introduce, so ``Ben Ali``, ``Ben-Ali`` and ``Benali`` are all ``benali`` and ``Abd el Kader``
is ``abdelkader``; ``bare`` strips them again (``benali`` -> ``ali``) for sources that drop
them. Each token also gets a consonant skeleton, a phonetic key that survives vowel spelling
differences and abjad scripts (Arabic and Hebrew write no short vowels, so ``محمد``
transliterates to ``mhmd`` and must meet ``Mohammed`` on ``mhmd``); ``skeleton_keys`` adds
the readings of ambiguous letters (``j`` as in Djamel or as in Jusuf/Yusuf, ``kh`` as in
Khaled or Haled).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from anyascii import anyascii

__all__ = [
    "PARTICLES",
    "DateRange",
    "NameForm",
    "bare",
    "normalize_name",
    "parse_partial_date",
    "skeleton",
    "skeleton_keys",
]

# Connecting words that sources write split, hyphenated or joined: glued to the next word.
PARTICLES = frozenset(
    {
        "al", "el", "ul", "bin", "ben", "ibn", "bint", "bn", "bnt", "bel", "bou", "abu", "abou",
        "abd", "abdel", "abdul", "abdal", "abdoul", "abdu",
        "van", "von", "der", "den", "de", "da", "di", "del", "della", "dos", "das",
        "do", "du", "la", "le", "zu", "ter", "op", "ten",
    }
)  # fmt: skip
# Conjunctions between family names (Garcia y Lopez, Silva e Santos): dropped.
_CONJUNCTIONS = frozenset({"y", "e", "i"})
# Particles a source may drop altogether ("Ali" for "Ben Ali"): ``bare`` strips these.
_DROPPABLE = tuple(
    sorted(PARTICLES - {"abd", "abdel", "abdul", "abdal", "abdoul", "abdu", "abu", "abou", "bou"},
           key=len, reverse=True)
)  # fmt: skip
_MIN_BARE = 3

_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_HEBREW = re.compile(r"[\u0590-\u05ff]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_THAI = re.compile(r"[\u0e00-\u0e7f]")
_ARABIC_ARTICLE = re.compile(r"(?<!\S)\u0627\u0644(?=\S{2,})")  # ال glued to the next word
_SPLIT = re.compile(r"[^a-z0-9]+")

# Spelling equivalences applied in order before vowels are dropped; upper case marks a
# class already mapped (C = the "ch/j" sounds, S = the "sh" sounds) so later rules skip it.
_SKELETON_RULES: tuple[tuple[str, str], ...] = (
    ("tsch", "C"), ("sch", "S"), ("tch", "C"), ("dzh", "C"), ("dj", "C"), ("zh", "C"),
    ("ch", "C"), ("sh", "S"), ("j", "C"), ("ph", "f"), ("th", "t"), ("kh", "k"),
    ("gh", "g"), ("dh", "d"), ("ck", "k"), ("ce", "se"), ("ci", "si"), ("cy", "sy"),
    ("c", "k"), ("q", "k"), ("x", "ks"), ("w", "v"), ("z", "s"),
)  # fmt: skip
# Ambiguous letters read the other way: a lone j as a y (Jusuf/Yusuf, Jelena/Yelena), kh as
# an h (Khaled/Haled, French and Spanish spellings of the same Arabic letter), ch as a k
# (Michael/Mikael), w as a vowel (Brown/Braun, Arabic waw: يوسف is ywsf), -off as -ov.
_ALT_RULES: tuple[tuple[str, str], ...] = (
    ("dj", "\0"), ("j", "y"), ("\0", "dj"), ("kh", "h"), ("ch", "k"), ("w", ""), ("ff", "v"),
)  # fmt: skip
_VOWELS = str.maketrans("", "", "aeiouy")


def _transliterate(text: str) -> str:
    """Unicode text as ASCII, with the script-specific fixes anyascii alone does not make."""
    if _ARABIC.search(text):
        text = _ARABIC_ARTICLE.sub("", text)
    if _HAN.search(text):
        # One syllable per character; a Chinese name is the family syllable then the given name.
        parts = []
        for word in text.split():
            syllables = [anyascii(ch).strip() for ch in word if not ch.isspace()]
            syllables = [s for s in syllables if s]
            if len(syllables) > 1 and all(_HAN.match(ch) for ch in word):
                parts.append(syllables[0] + " " + "".join(syllables[1:]))
            else:
                parts.append("".join(syllables))
        text = " ".join(parts)
    return anyascii(text)


# Per-token memo size (skeletons, their alternative readings, particle-free forms): the
# tokens of a watchlist repeat (common names); the three full memos hold about 7 MB.
TOKEN_MEMO = 1 << 14


@lru_cache(maxsize=TOKEN_MEMO)
def skeleton(token: str) -> str:
    """The consonant skeleton of an ASCII token: spellings mapped, vowels and repeats dropped."""
    out = token
    for old, new in _SKELETON_RULES:
        out = out.replace(old, new)
    out = out.lower().translate(_VOWELS)
    collapsed: list[str] = []
    for ch in out:
        if not collapsed or collapsed[-1] != ch:
            collapsed.append(ch)
    return "".join(collapsed)


@lru_cache(maxsize=TOKEN_MEMO)
def skeleton_keys(token: str) -> tuple[str, ...]:
    """The token's skeleton, then its skeletons with ambiguous letters read the other way."""
    keys = [skeleton(token)]
    alt = token
    for old, new in _ALT_RULES:
        alt = alt.replace(old, new)
    if alt != token:
        other = skeleton(alt)
        if other and other not in keys:
            keys.append(other)
    return tuple(keys)


@lru_cache(maxsize=TOKEN_MEMO)
def bare(token: str) -> str:
    """The token without the particles it starts with (``vandermeer`` -> ``meer``), if any left."""
    out = token
    stripped = True
    while stripped:
        stripped = False
        for particle in _DROPPABLE:
            if out.startswith(particle) and len(out) - len(particle) >= _MIN_BARE:
                out = out[len(particle) :]
                stripped = True
                break
    return out


@dataclass(slots=True)
class NameForm:
    """A name ready for matching: tokens in written order, their skeletons, and the script kind."""

    tokens: tuple[str, ...]
    skeletons: tuple[str, ...]
    abjad: bool  # written in a script without short vowels: compare on skeletons

    @property
    def sorted_text(self) -> str:
        """Tokens sorted and joined: the order-independent string the fast scorer compares."""
        return " ".join(sorted(self.tokens))

    @property
    def skeleton_text(self) -> str:
        """Skeletons sorted and joined, for abjad comparisons."""
        return " ".join(sorted(s for s in self.skeletons if s))

    def __bool__(self) -> bool:
        return bool(self.tokens)


def normalize_name(*parts: str | None) -> NameForm:
    """Normalize name parts (given names, family name, or a full name) into one NameForm."""
    text = " ".join(p for p in parts if p)
    if not text.strip():
        return NameForm((), (), abjad=False)
    if text.isascii():  # the common case: no script, no diacritics to handle
        abjad = False
        ascii_text = text.lower().replace("'", "").replace("`", "")
    else:
        abjad = bool(_ARABIC.search(text) or _HEBREW.search(text) or _THAI.search(text))
        text = unicodedata.normalize("NFKC", text)
        # Apostrophes and backticks (ayn, hamza, O'Brien) join rather than split a word.
        ascii_text = re.sub(r"['`\u2019]", "", _transliterate(text).lower())
    raw = [t for t in _SPLIT.split(ascii_text) if t and t not in _CONJUNCTIONS]
    tokens: list[str] = []
    glue = ""
    for word in raw:
        if word in PARTICLES:
            glue += word
        else:
            tokens.append(glue + word)
            glue = ""
    if glue:
        tokens.append(glue)  # a trailing particle is a name of its own (Vietnamese Le, Do)
    return NameForm(tuple(tokens), tuple(skeleton(t) for t in tokens), abjad=abjad)


@dataclass(frozen=True, slots=True)
class DateRange:
    """The days a (possibly partial) birth date may stand for, both ends included."""

    start: dt.date
    end: dt.date

    @property
    def exact(self) -> bool:
        """True when the date is known to the day."""
        return self.start == self.end

    def overlaps(self, other: DateRange) -> bool:
        """True when some day is possible under both ranges."""
        return self.start <= other.end and other.start <= self.end

    def __str__(self) -> str:
        if self.exact:
            return self.start.isoformat()
        if self.start.month == 1 and self.start.day == 1 and self.end.month == 12:
            return f"{self.start.year:04d}"
        return f"{self.start.year:04d}-{self.start.month:02d}"


_DATE_TEXT = re.compile(r"^\s*(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?\s*$")


def _range(year: int, month: int | None, day: int | None) -> DateRange:
    if month is None:
        return DateRange(dt.date(year, 1, 1), dt.date(year, 12, 31))
    if day is None:
        last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
        return DateRange(dt.date(year, month, 1), dt.date(year, month, last))
    day_value = dt.date(year, month, day)
    return DateRange(day_value, day_value)


def parse_partial_date(
    value: str | dict[str, int | None] | dt.date | None,
) -> DateRange | None:
    """The range of 'YYYY', 'YYYY-MM', 'YYYY-MM-DD', an Avro record or a date; ValueError if bad."""
    if value is None:
        return None
    if isinstance(value, dt.date):
        return DateRange(value, value)
    if isinstance(value, dict):
        year = value.get("year")
        if year is None:
            return None
        return _range(
            int(year), value.get("month"), value.get("day") if value.get("month") else None
        )
    match = _DATE_TEXT.match(value)
    if match is None:
        raise ValueError("not a date: use YYYY, YYYY-MM or YYYY-MM-DD")
    y, m, d = match.groups()
    return _range(int(y), int(m) if m else None, int(d) if d else None)
