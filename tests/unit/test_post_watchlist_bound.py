"""The screening index stays bounded when a constant population of alerts is revised for ever."""

from __future__ import annotations

import gc

from gateway.post.screening import PersonQuery, Watchlist, entry_from_record, screen_person
from gateway.post.screening.watchlist import DEAD_SHARE_DENOMINATOR, REBUILD_AFTER
from tests.support.screening import person


def _revise(wl: Watchlist, alerts: int, version: int) -> None:
    for i in range(alerts):
        record = person(f"INTERPOL:W-{i}", "Anna", f"Lindqvist{i}", version=version,
                        aliases=(f"Anna Lind{i}",))  # fmt: skip
        assert wl.upsert(entry_from_record("WANTED_PERSON", record))


def test_updates_alone_rebuild_the_index_so_dead_rows_stay_bounded() -> None:
    """REBUILD_AFTER * 3 updates of 100 alerts leave at most REBUILD_AFTER + 1 dead rows."""
    wl = Watchlist()
    alerts = 100
    _revise(wl, alerts, 1)
    live = wl.person_rows
    assert live == 2 * alerts  # a primary name and an alias each
    for version in range(2, 2 + 3 * REBUILD_AFTER // live):
        _revise(wl, alerts, version)
        assert len(wl._alive) - live <= REBUILD_AFTER  # dead rows, bounded
    assert wl.person_rows == live
    assert len(wl) == alerts


def test_a_rebuild_on_update_keeps_the_new_version_searchable() -> None:
    """The alert whose update triggers the rebuild is found under its new name, not the old."""
    wl = Watchlist()
    _revise(wl, 1, 1)
    for version in range(2, REBUILD_AFTER // 2 + 1):  # two dead rows each, one short
        _revise(wl, 1, version)
    renamed = person("INTERPOL:W-0", "Anna", "Sorensen", version=REBUILD_AFTER)
    wl.upsert(entry_from_record("WANTED_PERSON", renamed))
    assert len(wl._alive) == wl.person_rows == 1  # rebuilt: the renamed row alone
    found = screen_person(wl, PersonQuery(name="Anna Sorensen"))
    assert [h.subject_id for h in found] == ["INTERPOL:W-0"]
    assert screen_person(wl, PersonQuery(name="Anna Lindqvist0")) == []


def test_a_rebuild_runs_no_cyclic_collection_and_leaves_the_collector_on() -> None:
    """The rebuild's tens of thousands of new postings trigger no garbage collection inside
    it (the screening waits for it), and the collector is enabled again afterwards."""
    wl = Watchlist()
    _revise(wl, 3_000, 1)
    wl._maybe_rebuild = lambda: None  # type: ignore[method-assign]  # why: gather dead rows
    _revise(wl, 3_000, 2)
    collections: list[str] = []

    def note(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(phase)

    gc.callbacks.append(note)
    try:
        gc.collect()
        collections.clear()
        wl._compact()
    finally:
        gc.callbacks.remove(note)
    assert collections == []
    assert gc.isenabled()
    assert wl.person_rows == len(wl._alive) == 6_000


def test_a_large_population_revised_for_ever_keeps_at_most_a_quarter_of_its_rows_dead() -> None:
    """4,500 alerts (9,000 live rows) revised four times never hold more than 12,000 rows, a
    third above the live ones (twice the live rows, 18,000, before)."""
    wl = Watchlist()
    _revise(wl, 4_500, 1)
    live = wl.person_rows
    peak = len(wl._alive)
    for version in range(2, 6):
        for i in range(4_500):
            record = person(f"INTERPOL:W-{i}", "Anna", f"Lindqvist{i}", version=version,
                            aliases=(f"Anna Lind{i}",))  # fmt: skip
            wl.upsert(entry_from_record("WANTED_PERSON", record))
            peak = max(peak, len(wl._alive))
    assert wl.person_rows == live == 9_000
    assert peak <= live * DEAD_SHARE_DENOMINATOR // (DEAD_SHARE_DENOMINATOR - 1) + 1 == 12_001
