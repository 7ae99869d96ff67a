"""The held-out evaluation of person screening: planted travellers among near-miss decoys.

``python -m bench.screening_eval [--split held_out|dev] [--background N] [--planted N]``

The set is built from a pool of real-world name shapes (Maghreb and Middle-Eastern names with
``ben``/``el``/``al``/``abd el`` particles, Dutch, Portuguese, Spanish and Italian names with
``van der``/``da``/``dos``/``de la``/``di``, and names without particles), split in two by
alternation: the matcher is tuned on ``dev`` and judged on ``held_out``. Every listed person
is written one way (particles split or joined, at random); a planted traveller is one of them
written another way, by kind:

* ``joined_split``: particles joined or split (``Ben Ali``/``Benali``, ``van der Meer``/
  ``Vandermeer``, ``Abd el Kader``/``Abdelkader``, ``da Silva``/``Dasilva``, ``El-Amrani``);
* ``spelling``: one or two cross-language spellings (``y/i``, ``j/y``, ``ss/c``, ``ou/u``,
  ``kh/h``, ``dj/j``, ``ch/sh``, ``q/k``, doubled letters, ``e/a``);
* ``swapped``: family name first;
* ``combined``: all three at once.

Each traveller gives the birth date, as a passport and a passenger manifest do. Precision is
tested for real: for every planted person the watchlist also holds near-miss decoys born the
same day (a namesake with another given name, the same given name with another family name
behind the same particle, a given name with the same consonants but another name such as
Ahmed/Hamid or Omar/Amr), and as many travellers who are on no list (names from the same pool,
most of them sharing a family or given name with a listed person) are screened as planted ones.

Recall: planted travellers whose person is among the hits. Precision: hits naming the planted
person, over every hit returned (planted and unlisted travellers together).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gateway.post.screening import PersonQuery, Watchlist, entry_from_record, screen_person

__all__ = [
    "KINDS",
    "EvalResult",
    "EvalSet",
    "build_eval_set",
    "evaluate",
    "load_eval_set",
]

KINDS = ("joined_split", "spelling", "swapped", "combined")

# Given names whose spelling varies across languages (the rules below find their patterns).
_GIVEN = """
Youssef Khaled Djamel Mohamed Abdelkader Karim Nadia Samira Rachid Mourad Farid Hicham
Nabil Omar Yacine Yasmina Khadija Fatima Mustapha Brahim Hamid Ilyes Sofiane Mehdi
Redouane Walid Bilal Zineb Houssem Tarek Abdelaziz Souad Noureddine Djamila Yousra
Hassan Mokhtar Ahmed Said Aissa Kheira Malika Lakhdar Younes Jalil Anis Chakib Ismail
Sami Idriss Wassim Jamel Achraf Messaoud Hocine Layla Ayoub Khalil Boualem Naima Yasser
Joao Pedro Maria Ana Jose Luis Carlos Francisco Jan Pieter Willem Sofia Lucia Marco
Giovanni Paolo Chiara Thijs Joost Sanne Luuk Mateus Gabriel Raquel Ines Diego
"""
# Family names as one source writes them, particles split.
_FAMILY = """
Ben_Ali Ben_Salah Ben_Youssef Ben_Amor Ben_Khalifa Bel_Hadj Ben_Mansour Ben_Achour
El_Amrani El_Idrissi El_Khatib Al_Masri Al_Hashimi Al_Zahrani Abd_el_Kader Abd_el_Nour
Ben_Moussa El_Ouafi Ben_Jelloun Al_Khouri Abd_el_Malek El_Fassi Ben_Djebbar Ibn_Youssef
Bin_Laden Al_Rashid El_Mansouri Ben_Hamouda Abd_el_Rahman El_Ghazi Ben_Cheikh Al_Qasimi
van_der_Meer van_Dijk van_den_Berg de_Vries de_Jong van_Leeuwen de_Groot van_der_Linden
de_Souza da_Silva dos_Santos da_Costa de_Oliveira de_la_Cruz del_Rio di_Stefano de_Luca
von_Braun da_Cunha de_Almeida de_Boer van_Rossum de_la_Fuente dos_Reis
Chaouch Bouazizi Khelifi Boudjema Djebbar Mansour Haddad Kaddour Messaoudi Belkacem
Yilmaz Nguyen Kowalski Okafor Mensah Chikhaoui Zerrouki Hadjadj Bouchareb Khouildi
"""
# Given names a skeleton matcher confuses with another name (same consonants, other name).
_CONFUSABLE = {
    "Ahmed": "Hamid",
    "Hamid": "Ahmed",
    "Omar": "Amr",
    "Karim": "Akram",
    "Hassan": "Hussein",
}
_GIVEN_POOL = _GIVEN.split()
_FAMILY_POOL = [f.replace("_", " ") for f in _FAMILY.split()]
PARTICLES = ("ben", "bel", "bin", "ibn", "el", "al", "abd", "van", "von", "der", "den", "de",
             "da", "dos", "del", "di", "la")  # fmt: skip

# Cross-language spellings of the same sounds (regular expressions on the lower-case word),
# one applied at a time: y/i, j/y, ss/c, ou/u, kh/h, dj/j, ch/sh, q/k, doubled letters, e/a.
_SPELLINGS: tuple[tuple[str, str], ...] = (
    ("ou", "u"), ("(?<![aeiouy])u", "ou"), ("y", "i"), ("(?<=[a-z])i(?=[aeou])", "y"),
    ("^y(?=[aeiou])", "j"), ("^j(?=[aeiou])", "y"), ("ss(?=[eiy])", "c"),
    ("(?<=[aeiou])c(?=[eiy])", "ss"), ("ss", "s"), ("(?<=[aeiou])s(?=[aeiou])", "ss"),
    ("kh", "h"), ("kh", "k"), ("dj", "j"), ("(?<![d])j", "dj"), ("ch", "sh"), ("sh", "ch"),
    ("q", "k"), ("(?<=[aeiou])k", "q"),
    ("(?<=[a-z])e(?=[a-z])", "a"), ("(?<=[a-z])a(?=[a-z])", "e"),
    ("mm", "m"), ("(?<=[aeiou])m(?=[aeiou])", "mm"), ("dd", "d"), ("ll", "l"), ("ei", "ai"),
    ("ee", "i"), ("oo", "u"),
)  # fmt: skip
_SPELLING_RES = tuple((re.compile(a), b) for a, b in _SPELLINGS)


def _split(pool: list[str], split: str) -> list[str]:
    start = 0 if split == "dev" else 1
    return pool[start::2]


@dataclass(frozen=True)
class Listed:
    """A person on the evaluation watchlist."""

    alert_id: str
    given: str
    family: str  # as listed: particles split, hyphenated or joined
    canonical: str  # the family name with its particles split
    dob: dt.date


@dataclass(frozen=True)
class Traveller:
    """A traveller screened in the evaluation; ``target`` is the listed person or None."""

    name: str
    dob: dt.date
    kind: str  # a planted KIND, or "unlisted"
    target: str | None


@dataclass
class EvalSet:
    """Watchlist records and travellers of one evaluation."""

    records: list[dict[str, Any]] = field(default_factory=list)
    travellers: list[Traveller] = field(default_factory=list)


def _record(person: Listed) -> dict[str, Any]:
    return {
        "envelope": {"alert_id": person.alert_id, "version": 1, "source_org": "INTERPOL"},
        "subject": {
            "given_names": person.given,
            "family_name": person.family,
            "aliases": [],
            "date_of_birth": {
                "year": person.dob.year,
                "month": person.dob.month,
                "day": person.dob.day,
            },
            "nationalities": [],
            "travel_documents": [],
            "category": "LOCATE",
            "action": "DISCREET_CHECK",
        },
    }


def _dob(rng: random.Random) -> dt.date:
    return dt.date(1945, 1, 1) + dt.timedelta(days=rng.randrange(60 * 365))


def _has_particle(name: str) -> bool:
    return any(w.lower() in PARTICLES for w in name.split())


def _written(name: str, rng: random.Random) -> str:
    """A name with particles as one source writes them: split, hyphenated, or joined."""
    words = name.split()
    if not _has_particle(name):
        return name
    style = rng.random()
    if style < 0.4:
        return name
    if style < 0.55:
        return "-".join(words)
    joined = "".join(w.lower() for w in words)
    return joined[0].upper() + joined[1:]


def _rejoin(name: str, listed: str, rng: random.Random) -> str:
    """The family name written with particles the other way from how it is listed."""
    if not _has_particle(name):
        return listed
    for _ in range(8):
        other = _written(name, rng)
        if other.replace("-", " ") != listed.replace("-", " "):
            return other
    joined = "".join(name.split())
    return joined if listed != joined else name


def _respell(word: str, rng: random.Random, times: int) -> str:
    """``word`` with up to ``times`` cross-language spelling changes."""
    lower = word.lower()
    for _ in range(times):
        options = [(pattern, b) for pattern, b in _SPELLING_RES if pattern.search(lower)]
        if not options:
            break
        pattern, b = rng.choice(options)
        match = rng.choice(list(pattern.finditer(lower)))
        lower = lower[: match.start()] + b + lower[match.end() :]
    return lower[0].upper() + lower[1:] if lower else word


def _spelled(name: str, rng: random.Random) -> str:
    """One or two words of ``name`` respelled (the particles kept as they are)."""
    words = name.split(" ")
    content = [i for i, w in enumerate(words) if w.lower() not in PARTICLES]
    for i in rng.sample(content, min(len(content), rng.choice((1, 2)))):
        words[i] = _respell(words[i], rng, rng.choice((1, 1, 2)))
    return " ".join(words)


def _planted(person: Listed, kind: str, rng: random.Random) -> str:
    given, family = person.given, person.family
    if kind in ("joined_split", "combined"):
        family = _rejoin(person.canonical, person.family, rng)
        if kind == "joined_split" and not _has_particle(person.canonical) and " " in given:
            given = given.split()[0]  # no particle: drop the middle name instead
    if kind in ("spelling", "combined"):
        given, family = _spelled(given, rng), _spelled(family, rng)
    if kind in ("swapped", "combined"):
        return f"{family} {given}"
    return f"{given} {family}"


def build_eval_set(
    *, split: str = "held_out", background: int = 5_000, planted: int = 400, seed: int = 15
) -> EvalSet:
    """The evaluation set: background persons, planted persons with decoys, and travellers."""
    rng = random.Random(seed)
    given_pool = _split(_GIVEN_POOL, split)
    family_pool = _split(_FAMILY_POOL, split)
    given_pool += [g for g in _CONFUSABLE if g not in given_pool]
    out = EvalSet()
    counter = 0

    def add(given: str, family: str, dob: dt.date) -> Listed:
        nonlocal counter
        counter += 1
        person = Listed(f"E:{counter}", given, _written(family, rng), family, dob)
        out.records.append(_record(person))
        return person

    def some_given() -> str:
        first = rng.choice(given_pool)
        return first if rng.random() < 0.7 else f"{first} {rng.choice(given_pool)}"

    for _ in range(background):
        add(some_given(), rng.choice(family_pool), _dob(rng))
    targets = [add(some_given(), rng.choice(family_pool), _dob(rng)) for _ in range(planted)]
    for person in targets:
        family = person.canonical
        first = person.given.split()[0]
        # Near misses born the same day: another given name with the same family name ...
        other = rng.choice([g for g in given_pool if g != first])
        add(other, family, person.dob)
        # ... the same given name, another family name (behind the same particle if any) ...
        particle = family.split()[0] if _has_particle(family) else ""
        others = [f for f in family_pool if f != family and f.startswith(particle)]
        add(person.given, rng.choice(others or [f for f in family_pool if f != family]), person.dob)
        # ... and a given name with the same consonants that is another name.
        if first in _CONFUSABLE:
            add(_CONFUSABLE[first], family, person.dob)
    for i, person in enumerate(targets):
        kind = KINDS[i % len(KINDS)]
        name = _planted(person, kind, rng)
        out.travellers.append(Traveller(name, person.dob, kind, person.alert_id))
    listed_names = {(r["subject"]["given_names"], r["subject"]["family_name"]) for r in out.records}
    while len(out.travellers) < 2 * planted:
        given, family = some_given(), rng.choice(family_pool)
        written = _written(family, rng)
        if (given, written) in listed_names:
            continue
        out.travellers.append(Traveller(f"{given} {written}", _dob(rng), "unlisted", None))
    return out


def load_eval_set(watchlist: Watchlist, eval_set: EvalSet) -> None:
    """Add the evaluation's persons to ``watchlist``."""
    for record in eval_set.records:
        watchlist.upsert(entry_from_record("WANTED_PERSON", record))


@dataclass
class EvalResult:
    """Recall, precision and latency of one evaluation run."""

    planted: int = 0
    found: int = 0
    true_hits: int = 0
    hits: int = 0
    unlisted_hits: int = 0
    found_by_kind: dict[str, int] = field(default_factory=dict)
    planted_by_kind: dict[str, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    misses: list[tuple[str, str]] = field(default_factory=list)  # (kind, traveller name)
    false_hits: list[tuple[str, str]] = field(default_factory=list)  # (query, hit name)

    @property
    def recall(self) -> float:
        """Planted travellers found, over planted travellers."""
        return self.found / self.planted if self.planted else 1.0

    @property
    def precision(self) -> float:
        """Hits naming the planted person, over every hit."""
        return self.true_hits / self.hits if self.hits else 1.0

    def recall_by_kind(self) -> dict[str, float]:
        """Recall per planted kind."""
        return {
            k: round(self.found_by_kind.get(k, 0) / n, 3) for k, n in self.planted_by_kind.items()
        }


def evaluate(
    watchlist: Watchlist,
    travellers: list[Traveller],
    screen: Callable[[Watchlist, PersonQuery], list[Any]] = screen_person,
) -> EvalResult:
    """Screen every traveller against ``watchlist`` and count what was found and returned."""
    result = EvalResult()
    for t in travellers:
        started = time.perf_counter()
        hits = screen(watchlist, PersonQuery(name=t.name, date_of_birth=t.dob.isoformat()))
        result.latencies_ms.append((time.perf_counter() - started) * 1000)
        result.hits += len(hits)
        if t.target is None:
            result.unlisted_hits += len(hits)
            result.false_hits += [(t.name, " / ".join(h.subject.names)) for h in hits]
            continue
        result.planted += 1
        result.planted_by_kind[t.kind] = result.planted_by_kind.get(t.kind, 0) + 1
        ids = [{a.alert_id for a in h.alerts} for h in hits]
        if any(t.target in group for group in ids):
            result.found += 1
            result.true_hits += 1
            result.found_by_kind[t.kind] = result.found_by_kind.get(t.kind, 0) + 1
        else:
            result.misses.append((t.kind, t.name))
        result.false_hits += [
            (t.name, " / ".join(h.subject.names))
            for h, group in zip(hits, ids, strict=True)
            if t.target not in group
        ]
    return result


def main() -> None:
    """Command line: build one evaluation, print recall, precision, misses and false hits."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="held_out", choices=("held_out", "dev"))
    parser.add_argument("--background", type=int, default=5_000)
    parser.add_argument("--planted", type=int, default=400)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--show", type=int, default=20, help="misses and false hits to print")
    args = parser.parse_args()
    eval_set = build_eval_set(
        split=args.split, background=args.background, planted=args.planted, seed=args.seed
    )
    watchlist = Watchlist()
    load_eval_set(watchlist, eval_set)
    result = evaluate(watchlist, eval_set.travellers)
    lat = sorted(result.latencies_ms)
    print(
        f"{args.split}: {len(watchlist):,} persons, {len(eval_set.travellers)} travellers; "
        f"recall {result.recall:.3f} precision {result.precision:.3f} "
        f"({result.hits} hits, {result.unlisted_hits} on unlisted travellers); "
        f"p50 {lat[len(lat) // 2]:.2f} ms"
    )
    print("recall by kind:", result.recall_by_kind())
    for kind, name in result.misses[: args.show]:
        print(f"  miss [{kind}] {name}")
    for query, hit in result.false_hits[: args.show]:
        print(f"  false hit {query!r} -> {hit}")


if __name__ == "__main__":
    main()
