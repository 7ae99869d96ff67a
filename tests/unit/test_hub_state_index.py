"""The hub state's identifier index: exact 8-byte digests, many alerts a digest, growth."""

from __future__ import annotations

import random
import tracemalloc

from gateway.hub.state import AlertState, StateStore
from gateway.hub.state_index import IdentIndex

A = ("fl.ingress.interpol", 0)


def _entry(alert_id: str, *idents: str, seq: int = 1) -> AlertState:
    return AlertState(alert_id, 1, "INTERPOL", "WANTED_PERSON", A, idents=idents, seq=seq)


def test_identifiers_sharing_60_bits_do_not_link() -> None:
    """Two identifiers whose digests differ in their last 4 bits only are different
    documents: neither alert is linked to the other (the whole 64-bit digest is compared)."""
    store = StateStore("s")
    store.apply(_entry("INTERPOL:X-1", "0123456789abcde0"))
    store.apply(_entry("INTERPOL:X-2", "0123456789abcde1"))
    store.apply(_entry("INTERPOL:X-3", "0123456789abcde1"))
    assert store.linked(["0123456789abcde0"], "X:0") == ["INTERPOL:X-1"]
    assert store.linked(["0123456789abcde1"], "INTERPOL:X-2") == ["INTERPOL:X-3"]


def test_a_digest_straddling_two_others_is_not_found() -> None:
    """A digest whose 8 bytes occur across the end of one stored digest and the start of the
    next (same bucket) is not taken for either."""
    index = IdentIndex()
    first, second, query = b"a\0\0\0ABCD", b"QFGH\0\0\0\0", b"ABCDQFGH"
    assert index._bucket(first) == index._bucket(second) == index._bucket(query)
    index.add(first, "one")
    index.add(second, "two")
    assert index.get(query) == []
    assert index.get(first) == ["one"]
    index.discard(query, "one")
    assert len(index) == 2


def test_the_index_answers_as_a_dict_would_while_it_grows_and_shrinks() -> None:
    """Through 20,000 adds (hundreds of bucket splits), a digest listed for hundreds of alerts and
    removals, every digest lists exactly the alerts a plain dict of sets says it does."""
    rng = random.Random(7)
    index = IdentIndex()
    model: dict[bytes, list[str]] = {}
    digests = [rng.getrandbits(64).to_bytes(8, "big") for _ in range(12_000)]
    hot = digests[0]
    for n in range(20_000):
        digest = hot if n % 64 == 0 else rng.choice(digests)
        alert = f"A-{n}"
        index.add(digest, alert)
        model.setdefault(digest, []).append(alert)
        if n % 3 == 0:  # take one listed alert out again
            gone = rng.choice(digests[:200])
            if model.get(gone):
                index.discard(gone, model[gone].pop(0))
    assert len(model[hot]) >= 250
    for digest in digests:
        assert sorted(index.get(digest)) == sorted(model.get(digest, []))
    assert len(index) == sum(len(alerts) for alerts in model.values())


def test_a_scan_of_the_state_holds_no_tuple_per_entry() -> None:
    """Scanning 20,000 entries (the gauges' periodic pass) peaks under 16 bytes an entry of
    traced memory: the ids are copied as one list, not as an (id, blob) tuple each (59 bytes)."""
    store = StateStore("s")
    for n in range(20_000):
        store.apply(_entry(f"INTERPOL:S-{n}", seq=n + 1))
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        seen = sum(1 for _ in store.entries())
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert seen == 20_000
    assert peak / 20_000 < 16, f"{peak / 20_000:.1f} bytes an entry"
