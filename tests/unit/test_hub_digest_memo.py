"""The hub's memo of hashed identifiers is bounded: revisions bringing new document numbers
for hours do not grow the hub's memory through it."""

from __future__ import annotations

import tracemalloc

from gateway.hub import facts


def test_digest_memo_keeps_its_bound_in_about_a_megabyte() -> None:
    """Past DIGEST_MEMO distinct identifiers the memo keeps its size and holds under 1.5 MB."""
    facts._digest.cache_clear()
    subjects = [
        {"travel_documents": [{"number": f"P{n:08d}", "issuing_country": "FRA"}]}
        for n in range(facts.DIGEST_MEMO + 2_000)
    ]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for subject in subjects:
            assert len(facts.strong_identifiers("WANTED_PERSON", subject)) == 1
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert facts._digest.cache_info().currsize == facts.DIGEST_MEMO
    assert held < 1_500_000, f"{held / 1e6:.1f} MB"
    facts._digest.cache_clear()
