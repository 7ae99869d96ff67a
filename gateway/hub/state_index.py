"""The hub state's identifier index: 8-byte identifier digests to the alerts holding them.

A dict keyed by the digests costs about 85 bytes an identifier (a dict slot of 24 bytes at
two-thirds load and an int key of 32); this index keeps the digests packed instead, about 20
bytes an identifier: a linear hash table whose buckets are a ``bytearray`` of digests and a
``list`` of the alert ids at the same positions. It splits one bucket at a time as it grows
(no pause to rehash everything), and a lookup compares the whole 8-byte digest (no link from a
shared prefix).
"""

from __future__ import annotations

import sys
from array import array

__all__ = ["IdentIndex"]

DIGEST_SIZE = 8
PER_BUCKET = 64
"""A bucket is split when the index holds more than this many digests per bucket on average
(a lookup searches one bucket's 512 bytes or so)."""
_FIRST = 16  # buckets of an empty index
_ORDER = sys.byteorder  # a digest's hash is its 8 bytes read as a native unsigned integer


def _positions(digests: bytearray, digest: bytes, at: int) -> list[int]:
    """Where ``digest`` starts at a multiple of 8 in ``digests``, from its first occurrence
    ``at`` on (in slots, ascending)."""
    out: list[int] = []
    while at >= 0:
        if at % DIGEST_SIZE == 0:
            out.append(at // DIGEST_SIZE)
            at = digests.find(digest, at + DIGEST_SIZE)
        else:  # straddles two digests: not one
            at = digests.find(digest, at + 1)
    return out


class IdentIndex:
    """Identifier digests (8 bytes each) to the alert ids holding them; an alert id is listed
    once per :meth:`add` (the store adds each of an entry's identifiers once)."""

    __slots__ = ("_count", "_digests", "_ids", "_level", "_limit", "_split")

    def __init__(self) -> None:
        self._digests: list[bytearray] = [bytearray() for _ in range(_FIRST)]
        self._ids: list[list[str]] = [[] for _ in range(_FIRST)]
        self._level = _FIRST  # buckets below ``_split`` are already split at this level
        self._split = 0
        self._count = 0
        self._limit = PER_BUCKET * _FIRST  # past this many digests the next bucket splits

    def __len__(self) -> int:
        return self._count

    def _bucket(self, digest: bytes) -> int:
        hashed = int.from_bytes(digest, _ORDER)
        bucket = hashed % self._level
        if bucket < self._split:
            bucket = hashed % (self._level * 2)
        return bucket

    def add(self, digest: bytes, alert_id: str) -> None:
        """List ``alert_id`` under ``digest``."""
        if len(digest) != DIGEST_SIZE:
            raise ValueError(f"an identifier digest is {DIGEST_SIZE} bytes")
        hashed = int.from_bytes(digest, _ORDER)
        bucket = hashed % self._level
        if bucket < self._split:
            bucket = hashed % (self._level * 2)
        self._digests[bucket] += digest
        self._ids[bucket].append(alert_id)
        self._count += 1
        if self._count > self._limit:
            self._split_one()

    def discard(self, digest: bytes, alert_id: str) -> None:
        """Take ``alert_id`` out from under ``digest`` (every time it was added)."""
        bucket = self._bucket(digest)
        digests, ids = self._digests[bucket], self._ids[bucket]
        for slot in reversed(_positions(digests, digest, digests.find(digest))):
            if ids[slot] == alert_id:
                del digests[slot * DIGEST_SIZE : (slot + 1) * DIGEST_SIZE]
                del ids[slot]
                self._count -= 1

    def get(self, digest: bytes) -> list[str]:
        """The alert ids listed under ``digest`` (the same 8 bytes, exactly)."""
        hashed = int.from_bytes(digest, _ORDER)
        bucket = hashed % self._level
        if bucket < self._split:
            bucket = hashed % (self._level * 2)
        digests = self._digests[bucket]
        at = digests.find(digest)
        if at < 0:
            return []
        ids = self._ids[bucket]
        return [ids[slot] for slot in _positions(digests, digest, at)]

    def _split_one(self) -> None:
        """Split the next bucket of this level in two by the hash's next bit (linear hashing):
        the digests whose bit is set move to a new bucket at the end."""
        source, level = self._split, self._level
        with memoryview(self._digests[source]) as view, view.cast("Q") as words:
            hashes = words.tolist()
        ids = self._ids[source]
        self._digests[source] = bytearray(array("Q", [h for h in hashes if not h & level]))
        self._ids[source] = [a for a, h in zip(ids, hashes, strict=True) if not h & level]
        self._digests.append(bytearray(array("Q", [h for h in hashes if h & level])))
        self._ids.append([a for a, h in zip(ids, hashes, strict=True) if h & level])
        self._limit += PER_BUCKET
        self._split += 1
        if self._split == level:
            self._level, self._split = level * 2, 0
