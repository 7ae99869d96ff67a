"""The node's packed routing entry: what goes in comes back out unchanged, and it stays small."""

from __future__ import annotations

import sys

from hypothesis import given
from hypothesis import strategies as st

from gateway.node.wayback import AlertEntry

_headers = st.lists(st.tuples(st.text(max_size=40), st.binary(max_size=300)), max_size=20)


@given(
    key=st.binary(max_size=200),
    value=st.none() | st.binary(max_size=5000),
    headers=_headers,
    version=st.integers(min_value=1, max_value=2**31),
)
def test_key_value_and_headers_come_back_as_packed(
    key: bytes, value: bytes | None, headers: list[tuple[str, bytes]], version: int
) -> None:
    """Key, value (or none: a removal, apart from an empty value) and every header, in order
    and with any name, come back from the packed entry exactly as given."""
    entry = AlertEntry(key, value, headers, version, ("p1",), ())
    assert entry.key == key
    assert entry.value == value
    assert entry.headers == headers
    assert (entry.version, entry.delivered, entry.tombstoned) == (version, ("p1",), ())
    assert entry == AlertEntry(key, value, list(headers), version, ("p1",), ())


def test_an_entry_is_two_objects_and_its_repr_holds_no_record_content() -> None:
    """An entry is its slots and one packed ``bytes`` (no per-header objects are kept), and
    its repr names sizes only, never the record's bytes (personal data)."""
    value = b"SURNAME-DOE-19800101" * 30
    headers = [(f"fl-h{i}", b"x" * 16) for i in range(12)]
    before = sys.getallocatedblocks()
    entries = [AlertEntry(b"k-%d" % i, value, headers, 2, ("p1",), ()) for i in range(1000)]
    per_entry = (sys.getallocatedblocks() - before) / len(entries)
    assert per_entry < 3, per_entry
    assert not hasattr(entries[0], "__dict__")
    assert "DOE" not in repr(entries[0])
    assert entries[0] != AlertEntry(b"k-0", value, headers, 3, ("p1",), ())
