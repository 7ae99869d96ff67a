"""The hub's side store (hits, acknowledgements, receipts): staged entries become committed
on commit only, committed ones are kept as their JSON and read back equal, and a reader's
copy cannot change the store."""

from __future__ import annotations

import ctypes

import orjson

from gateway.hub.hits import SideStore

OWNER = ("t.hub.inbox", 0)


def test_committed_entries_read_back_equal_and_a_readers_copy_cannot_change_them() -> None:
    """An entry staged and committed reads back equal (from ``get``, ``committed`` and
    ``items``), is held as the bytes the changelog holds, and changing what a reader got
    leaves the committed entry as it was."""
    side = SideStore("t.hub.state")
    entry = {"v": 3, "rm": False, "n": 2, "r": 1, "l": 1_796_000_000_123}
    record = side.stage(OWNER, "rcpt:a-1|FRA", entry)
    assert side.committed("rcpt:a-1|FRA") is None  # staged only
    assert side.get(OWNER, "rcpt:a-1|FRA") == entry  # the owner's transaction sees it
    side.commit(OWNER)
    assert side._entries["rcpt:a-1|FRA"] == record.value == orjson.dumps(entry)
    got = side.committed("rcpt:a-1|FRA")
    assert got == entry
    assert got is not None
    got["r"] = 2
    assert side.get(OWNER, "rcpt:a-1|FRA") == entry
    assert list(side.items("rcpt:")) == [("rcpt:a-1|FRA", entry)]


def test_restore_keeps_objects_drops_tombstones_and_skips_bad_json() -> None:
    """A restored side record is read back as it was written, a tombstone removes it, and a
    value that is not a JSON object is skipped (still taken as a side record)."""
    side = SideStore("t.hub.state")
    assert side.restore(b"hit:h-1", orjson.dumps({"org": "EUROPOL", "reported": 5}))
    assert side.committed("hit:h-1") == {"org": "EUROPOL", "reported": 5}
    assert side.restore(b"ack:h-9", b"[1, 2]")
    assert side.restore(b"ack:h-8", b"{not json")
    assert side.committed("ack:h-9") is None
    assert side.committed("ack:h-8") is None
    assert side.awaiting() == 1
    assert side.restore(b"hit:h-1", None)
    assert side.committed("hit:h-1") is None
    assert not side.restore(b"alert-1", b"{}")  # an alert's entry, not a side record


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost",
    )]  # fmt: skip


def _c_heap_in_use() -> int:
    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = _MallInfo2
    return int(libc.mallinfo2().uordblks)


def test_a_committed_entry_holds_its_own_size_not_the_encoders_buffer() -> None:
    """Committed entries are right-sized copies: 10,000 small receipts add well under 4 MB to
    the C heap (orjson's own output keeps the 4 KB buffer it was written into: about 40 MB)."""
    side = SideStore("t.hub.state")
    for i in range(10_000):
        side.stage(OWNER, f"rcpt:a-{i}|FRA", {"v": i, "rm": False, "n": 1, "r": 1, "l": i})
    before = _c_heap_in_use()
    side.commit(OWNER)
    grown = _c_heap_in_use() - before
    assert len(side) == 10_000
    assert grown < 4_000_000, grown
