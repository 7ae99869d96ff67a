"""The in-memory watchlist: entries by alert id plus the indexes that make screening fast.

Names are indexed per variant ("row"): each row's tokens and consonant skeletons point to the
row in an inverted index of ``array('i')`` postings. A query token reaches the vocabulary
tokens within one edit (SymSpell-style deletion keys) and tokens sharing its skeleton, so
typos and transliteration differences still find their rows without scanning everything.
Rows are append-only; a replaced or removed alert marks its rows dead, and the index is
rebuilt once dead rows are a quarter of all rows (and number at least :data:`REBUILD_AFTER`),
after an update as after a removal: a constant population revised for ever stays within a
third more than its live rows. Documents and objects are exact dictionaries.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
from array import array
from collections.abc import Iterable, Iterator, Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from gateway.post.screening.entry import Entry
from gateway.post.screening.normalize import DateRange, NameForm, bare, skeleton_keys

__all__ = ["DEAD_SHARE_DENOMINATOR", "REBUILD_AFTER", "Candidate", "Watchlist"]

REBUILD_AFTER = 2_000
"""Dead rows (replaced or removed name variants) kept at least before a rebuild drops them."""

DEAD_SHARE_DENOMINATOR = 4
"""A rebuild comes once more than one row in this many is dead."""

_MIN_FUZZY_TOKEN = 4  # shorter tokens would reach half the vocabulary within one edit
_MIN_SKELETON = 2
_FEW = 100  # below this many rows sharing two tokens, rows sharing one are scored too

Candidate = tuple[int, str, int]  # row, alert id, name variant index
_BY_YEAR_FROM = 2_048  # postings this long are kept ordered by birth year too


class _ByYear(NamedTuple):
    """A posting's rows ordered by birth year (then row), as it was at ``size`` rows."""

    rows: npt.NDArray[np.int32]
    years: npt.NDArray[np.int16]
    size: int


def _deletes(token: str) -> set[str]:
    """Every string one deletion away from ``token``."""
    return {token[:i] + token[i + 1 :] for i in range(len(token))}


def _sound_keys(token: str) -> set[str]:
    """Skeleton keys of a token and of its particle-free form (``~`` + skeleton)."""
    keys = {"~" + k for k in skeleton_keys(token) if len(k) >= _MIN_SKELETON}
    stripped = bare(token)
    if stripped != token:
        keys.add(stripped)
        keys.update("~" + k for k in skeleton_keys(stripped) if len(k) >= _MIN_SKELETON)
    return keys


def _pair_keys(form: NameForm) -> set[str]:
    """Skeletons of adjacent tokens joined, so split and merged spellings share a key."""
    skels = form.skeletons
    return {"~" + a + b for a, b in itertools.pairwise(skels) if a and b}


def _kept(column: array[int], dtype: type[np.integer], keep: npt.NDArray[np.intp]) -> array[int]:
    """The ``keep`` rows of an ``array`` column, as a new array of the same type code."""
    return array(column.typecode, np.frombuffer(column, dtype=dtype)[keep].tobytes())


Postings = list[npt.NDArray[np.int32]]  # one token's sorted postings, possibly overlapping


def _size(arrays: Postings) -> int:
    return sum(a.size for a in arrays)


def _member(rows: npt.NDArray[np.int32], arrays: Postings) -> npt.NDArray[np.bool_]:
    """Which of ``rows`` are in any of the sorted ``arrays`` (binary search)."""
    hit = np.zeros(rows.size, dtype=bool)
    for sorted_rows in arrays:
        if sorted_rows.size:
            at = np.minimum(np.searchsorted(sorted_rows, rows), sorted_rows.size - 1)
            hit |= sorted_rows[at] == rows
    return hit


def _intersect(a: Postings, b: Postings) -> npt.NDArray[np.int32]:
    """Rows in both tokens' postings (may repeat), searching the smaller in the larger."""
    small, large = (a, b) if _size(a) <= _size(b) else (b, a)
    found = [rows[_member(rows, large)] for rows in small]
    return np.concatenate(found) if found else np.empty(0, dtype=np.int32)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """The cyclic collector off for a while: a compaction makes a new array per index key
    (tens of thousands of tracked objects, a young collection every 700 and then a full one
    over the whole watchlist). 40,000 rows: 0.67 s of the rebuild's postings loop was 0.15 s
    without the collector; the event loop, and every screening, waits for a rebuild."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


class Watchlist:
    """Alerts a post screens against, indexed for name, document and object lookups."""

    def __init__(self) -> None:
        self._entries: dict[str, Entry] = {}
        self._rows_of: dict[str, list[int]] = {}
        self._reset_index()

    def _reset_index(self) -> None:
        self._row_alert: list[str] = []
        self._row_variant: array[int] = array("H")
        self._row_dob_start = array("i")  # proleptic ordinal of the birth date range, 0 unknown
        self._row_dob_end = array("i")
        # Birth year per row (0 unknown), for pruning postings by date before intersecting;
        # a numpy array grown by doubling, so readers never see it resized under them.
        self._row_year: npt.NDArray[np.int16] = np.zeros(1024, dtype=np.int16)
        self._row_text: list[str] = []
        self._row_skel: list[str] = []
        self._alive = bytearray()
        self._dead = 0
        self._postings: dict[str, array[int]] = {}
        self._vocab: set[str] = set()
        self._near: dict[str, set[str]] = {}
        self._documents: dict[str, set[str]] = {}
        self._objects: dict[str, set[str]] = {}
        self._by_year: dict[str, _ByYear] = {}

    # -- reading ------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, alert_id: object) -> bool:
        return alert_id in self._entries

    def get(self, alert_id: str) -> Entry | None:
        """The entry for an alert id, if the post holds it."""
        return self._entries.get(alert_id)

    def entries(self) -> Iterator[Entry]:
        """Every entry, in insertion order."""
        return iter(self._entries.values())

    @property
    def person_rows(self) -> int:
        """Live name variants in the index."""
        return len(self._alive) - self._dead

    # -- writing ------------------------------------------------------------------------------

    def upsert(self, entry: Entry) -> bool:
        """Add or replace an alert; a version older than the one held is ignored (False)."""
        held = self._entries.get(entry.alert_id)
        if held is not None and held.version > entry.version:
            return False
        if held is not None:
            self._unindex(held)
            self._maybe_rebuild()
        self._entries[entry.alert_id] = entry
        self._index(entry)
        return True

    def remove(self, alert_id: str) -> bool:
        """Drop an alert (tombstone); False when the post did not hold it."""
        held = self._entries.pop(alert_id, None)
        if held is None:
            return False
        self._unindex(held)
        self._maybe_rebuild()
        return True

    def load(self, entries: Iterable[Entry]) -> None:
        """Bulk-add entries (startup from the local store)."""
        for entry in entries:
            self.upsert(entry)

    def _maybe_rebuild(self) -> None:
        """Compact the index once dead rows are a quarter of all rows (and REBUILD_AFTER).

        Half, until a steady soak showed a post's memory rising for half an hour towards
        twice its live index; a quarter costs about 20 µs more per update (a compaction is
        about 24 µs a dead row, an update's indexing 80 µs a row)."""
        if self._dead >= REBUILD_AFTER and self._dead * DEAD_SHARE_DENOMINATOR > len(self._alive):
            self._compact()

    def _compact(self) -> None:
        """Drop the dead rows and renumber the live ones in every column and posting (numpy:
        a fraction of re-indexing every entry, which costs about 80 µs a row); tokens no
        posting names any more leave the vocabulary."""
        with _gc_paused():
            self._compact_now()

    def _compact_now(self) -> None:
        alive = np.frombuffer(self._alive, dtype=np.uint8).astype(bool)
        keep = np.flatnonzero(alive)
        new_of = np.full(alive.size, -1, dtype=np.int32)
        new_of[keep] = np.arange(keep.size, dtype=np.int32)
        rows = keep.tolist()
        self._row_alert = [self._row_alert[r] for r in rows]
        self._row_text = [self._row_text[r] for r in rows]
        self._row_skel = [self._row_skel[r] for r in rows]
        self._row_variant = _kept(self._row_variant, np.uint16, keep)
        self._row_dob_start = _kept(self._row_dob_start, np.int32, keep)
        self._row_dob_end = _kept(self._row_dob_end, np.int32, keep)
        years = np.zeros(max(1024, 2 * keep.size), dtype=np.int16)
        years[: keep.size] = self._row_year[keep]
        self._row_year = years
        self._alive = bytearray(b"\x01" * keep.size)
        self._dead = 0
        # Every posting renumbered at once: one flat array, cut back per key.
        keys, arrays = list(self._postings), list(self._postings.values())
        moved = new_of[np.frombuffer(b"".join(arrays), dtype=np.int32)]
        live = moved >= 0
        ends = np.cumsum(np.fromiter(map(len, arrays), dtype=np.int64, count=len(arrays)))
        kept_ends = np.cumsum(live)[ends - 1].tolist() if ends.size else []
        data = moved[live].tobytes()
        postings: dict[str, array[int]] = {}
        start = 0
        for key, end in zip(keys, kept_ends, strict=True):
            if end > start:
                postings[key] = array("i", data[start * 4 : end * 4])
            start = end
        self._postings = postings
        self._by_year = {}
        self._rows_of = {a: [int(new_of[r]) for r in rs] for a, rs in self._rows_of.items()}
        gone = {t for t in self._vocab if t not in postings}
        self._vocab -= gone
        for token in gone:
            if len(token) >= _MIN_FUZZY_TOKEN:
                for key in _deletes(token) | {token}:
                    self._discard(self._near, key, token)

    def _index(self, entry: Entry) -> None:
        alert_id = entry.alert_id
        if entry.person is not None:
            rows: list[int] = []
            for variant, name in enumerate(entry.person.names):
                rows.append(self._add_row(alert_id, variant, name.form, entry.person.dob))
            self._rows_of[alert_id] = rows
            for doc in entry.person.documents:
                self._documents.setdefault(doc.number, set()).add(alert_id)
        for obj in entry.objects:
            self._objects.setdefault(obj.number, set()).add(alert_id)

    def _unindex(self, entry: Entry) -> None:
        for row in self._rows_of.pop(entry.alert_id, ()):
            self._alive[row] = 0
            self._dead += 1
        if entry.person is not None:
            for doc in entry.person.documents:
                self._discard(self._documents, doc.number, entry.alert_id)
        for obj in entry.objects:
            self._discard(self._objects, obj.number, entry.alert_id)

    @staticmethod
    def _discard(index: dict[str, set[str]], key: str, alert_id: str) -> None:
        holders = index.get(key)
        if holders is not None:
            holders.discard(alert_id)
            if not holders:
                del index[key]

    def _add_row(self, alert_id: str, variant: int, form: NameForm, dob: DateRange | None) -> int:
        row = len(self._alive)
        self._row_alert.append(alert_id)
        self._row_variant.append(variant)
        self._row_dob_start.append(dob.start.toordinal() if dob else 0)
        self._row_dob_end.append(dob.end.toordinal() if dob else 0)
        if row >= self._row_year.size:
            grown = np.zeros(self._row_year.size * 2, dtype=np.int16)
            grown[: self._row_year.size] = self._row_year
            self._row_year = grown
        self._row_year[row] = dob.start.year if dob else 0
        self._row_text.append(form.sorted_text)
        self._row_skel.append(form.skeleton_text)
        self._alive.append(1)
        keys = set(form.tokens)
        for token in form.tokens:
            keys.update(_sound_keys(token))
        if len(form.tokens) == 1:
            keys.update("1:" + k.removeprefix("~") for k in list(keys))
        # Merged spellings ("abd allah" / "abdullah") meet on adjacent skeletons joined.
        keys.update(_pair_keys(form))
        for key in keys:
            posting = self._postings.get(key)
            if posting is None:
                posting = self._postings[key] = array("i")
            posting.append(row)
        for token in form.tokens:
            if token not in self._vocab:
                self._vocab.add(token)
                if len(token) >= _MIN_FUZZY_TOKEN:
                    for key in _deletes(token) | {token}:
                        self._near.setdefault(key, set()).add(token)
        return row

    # -- lookups ------------------------------------------------------------------------------

    def documents(self, number: str) -> set[str]:
        """Alert ids holding a document with this normalized number."""
        return set(self._documents.get(number, ()))

    def objects(self, number: str) -> set[str]:
        """Alert ids holding a conveyance with this normalized identifier."""
        return set(self._objects.get(number, ()))

    def row_variant(self, row: int) -> int:
        """The name variant index a row stands for."""
        return self._row_variant[row]

    def _token_keys(self, token: str, skel: str) -> set[str]:
        """Index keys a query token may meet: itself, vocabulary within one edit, its skeleton."""
        keys = {token}
        # A token the vocabulary knows is taken as written (its skeleton still widens it);
        # only unknown tokens, likely typos, are widened to their one-edit neighbours.
        if token not in self._vocab and len(token) >= _MIN_FUZZY_TOKEN - 1:
            for key in _deletes(token) | {token}:
                keys.update(self._near.get(key, ()))
        if len(skel) >= _MIN_SKELETON:
            # Every row holding the token is under its skeleton key too: one sorted posting
            # then stands for both and needs no de-duplication.
            keys.discard(token)
        keys.update(_sound_keys(token))
        return keys

    def _postings_of(
        self, keys: Iterable[str], years: npt.NDArray[np.int16] | None = None
    ) -> list[npt.NDArray[np.int32]]:
        """The sorted postings under ``keys`` (one token's rows, possibly overlapping); with
        ``years`` (sorted, 0 for unknown), only the rows born in one of them."""
        out = []
        for key in keys:
            posting = self._postings.get(key)
            if posting is None:
                continue
            if years is None:
                out.append(np.frombuffer(posting, dtype=np.int32).copy())  # it may grow
                continue
            rows = self._born_in(key, posting, years)
            if rows.size:
                out.append(rows)
        return out

    def _born_in(
        self, key: str, posting: array[int], years: npt.NDArray[np.int16]
    ) -> npt.NDArray[np.int32]:
        """The posting's rows born in one of ``years``, sorted. A long posting is cached
        ordered by birth year, so a common name costs a few slices, not a pass over it."""
        size = len(posting)
        row_year = self._row_year
        if size < _BY_YEAR_FROM:
            rows = np.frombuffer(posting, dtype=np.int32).copy()
            return rows[np.isin(row_year[rows], years)]
        cached = self._by_year.get(key)
        if cached is None or size - cached.size > cached.size // 8:
            rows = np.frombuffer(posting, dtype=np.int32)[:size].copy()
            born = row_year[rows]
            order = np.argsort(born, kind="stable")
            cached = _ByYear(rows[order], born[order], size)
            self._by_year[key] = cached
        lo = np.searchsorted(cached.years, years, side="left")
        hi = np.searchsorted(cached.years, years, side="right")
        parts = [cached.rows[a:b] for a, b in zip(lo.tolist(), hi.tolist(), strict=True) if b > a]
        if size > cached.size:  # rows added since the cache was built
            tail = np.frombuffer(posting, dtype=np.int32)[cached.size : size].copy()
            parts.append(tail[np.isin(row_year[tail], years)])
        if not parts:
            return np.empty(0, dtype=np.int32)
        return np.sort(np.concatenate(parts)) if len(parts) > 1 else parts[0]

    def candidates(
        self, form: NameForm, limit: int = 1_000, birth_years: Sequence[int] | None = None
    ) -> list[int]:
        """Live rows sharing two (fuzzy) tokens with ``form`` (one for one-token names).

        Rows sharing two tokens are found by intersecting the tokens' sorted postings pairwise,
        smaller into larger, so a common given name costs a binary search, not a scan. With
        ``birth_years``, rows born in another (known) year are dropped from the postings first.
        """
        if not form.tokens:
            return []
        token_keys = [
            self._token_keys(token, skel)
            for token, skel in zip(form.tokens, form.skeletons, strict=True)
        ]
        years = None if birth_years is None else np.asarray(sorted({0, *birth_years}), np.int16)
        sets = [self._postings_of(keys, years) for keys in token_keys]
        sets += [self._postings_of((key,), years) for key in _pair_keys(form)]
        sets = sorted((s for s in sets if s), key=_size)
        if not sets:
            return []
        if len(form.tokens) == 1:
            parts = [a for s in sets for a in s]
        else:
            parts = [_intersect(a, b) for i, a in enumerate(sets) for b in sets[i + 1 :]]
            # One-token names (mononyms) need only one shared token.
            mono = {"1:" + k.removeprefix("~") for keys in token_keys for k in keys}
            parts += self._postings_of(mono, years)
            if birth_years is None and sum(p.size for p in parts) < _FEW:
                # Few rows share two tokens (one may be badly misspelt): add rows sharing
                # the rarest tokens, so the fuzzy scorer sees them too. Not with a birth
                # date: rows born that year sharing two tokens are the ones that can hit, and
                # a thousand one-token namesakes would cost milliseconds for nothing.
                budget = limit
                for arrays in sets:
                    for rows in arrays:
                        if budget <= 0:
                            break
                        parts.append(rows[:budget])
                        budget -= min(rows.size, budget)
        found = np.unique(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int32)
        alive = np.frombuffer(self._alive, dtype=np.uint8)[found].astype(bool)
        found = found[alive]
        if found.size > limit:
            hits = sum(_member(found, arrays).astype(np.int32) for arrays in sets)
            found = found[np.argsort(-hits, kind="stable")[:limit]]
        return [int(r) for r in found]

    def dob_agreement(self, rows: list[int], dob: DateRange) -> npt.NDArray[np.float32]:
        """Per row: 1 if its birth date range overlaps ``dob``, 0.5 within a year or unknown."""
        index = np.asarray(rows, dtype=np.int64)
        start = np.frombuffer(self._row_dob_start, dtype=np.int32)[index]
        end = np.frombuffer(self._row_dob_end, dtype=np.int32)[index]
        lo, hi = dob.start.toordinal(), dob.end.toordinal()
        agree = np.zeros(index.size, dtype=np.float32)
        agree[(start <= hi + 366) & (end >= lo - 366)] = 0.5
        agree[(start <= hi) & (end >= lo)] = 1.0
        agree[start == 0] = 0.5
        return agree

    def row_texts(self, rows: list[int], *, skeletons: bool = False) -> list[str]:
        """The sorted token text (or skeleton text) of each row, for the fast scorer."""
        source = self._row_skel if skeletons else self._row_text
        return [source[r] for r in rows]

    def row_alert(self, row: int) -> str:
        """The alert id a row belongs to."""
        return self._row_alert[row]
