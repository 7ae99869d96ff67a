"""Screening of persons and objects against a small watchlist with planted name variants."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.contract.identifiers import normalize_identifier
from gateway.post.screening import (
    ObjectQuery,
    PersonQuery,
    Watchlist,
    entry_from_record,
    normalize_name,
    screen_object,
    screen_person,
)
from gateway.post.screening.match import dob_compatibility, name_similarity
from gateway.post.screening.normalize import bare, parse_partial_date
from gateway.post.screening.snapshot import entry_from_snapshot, entry_to_snapshot
from tests.support.screening import commodity, person


@pytest.fixture
def watchlist() -> Watchlist:
    """A watchlist holding persons in several scripts and a few conveyances."""
    wl = Watchlist()
    records = [
        person(
            "INTERPOL:1",
            "Mohammed Ali",
            "Hassan",
            dob={"year": 1980, "month": None, "day": None},
            nationalities=("SYR",),
            documents=(("L898902C3", "SYR"),),
            original=("محمد علي", "حسن"),
        ),
        person("INTERPOL:2", "John Michael", "Smith", dob={"year": 1975, "month": 3, "day": 14}),
        person("INTERPOL:3", "Abdullah", "Al-Rashid"),
        person("INTERPOL:4", "Jinping", "Xi", original=("近平", "习")),
        person("INTERPOL:5", "Vladimir", "Petrov", original=("Владимир", "Петров")),
        person("ASEANAPOL:6", "Somchai", "Jaidee", org="ASEANAPOL", action="INFORM"),
        person("EUROPOL:7", "Ana María", "García López", aliases=("Anita Garcia",)),
    ]
    for record in records:
        wl.upsert(entry_from_record("WANTED_PERSON", record))
    wl.upsert(
        entry_from_record(
            "COMMODITY",
            commodity(
                "EUROPOL:C1",
                ("CONTAINER", "MWCU 605978-4", None),
                ("VEHICLE_PLATE", "AB-123-CD", "FRA"),
            ),
        )
    )
    wl.upsert(
        entry_from_record("COMMODITY", commodity("EUROPOL:C2", ("VESSEL_IMO", "IMO 9074729", None)))
    )
    return wl


def ids(hits: list[Any]) -> list[str]:
    """Subject ids of hits, in rank order."""
    return [h.subject_id for h in hits]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Hassan Mohammed Ali", "INTERPOL:1"),  # swapped order
        ("Mohamed Ali Hasan", "INTERPOL:1"),  # spelling variants
        ("Muhammad Hassan", "INTERPOL:1"),  # dropped middle name and vowel variant
        ("محمد علي حسن", "INTERPOL:1"),  # Arabic script against the Latin and original names
        ("John Smith", "INTERPOL:2"),  # dropped middle name
        ("Smith John Michael", "INTERPOL:2"),  # family name first
        ("Jonh Michael Smith", "INTERPOL:2"),  # transposition typo
        ("Abd Allah Rashid", "INTERPOL:3"),  # split spelling and dropped particle
        ("عبد الله الراشد", "INTERPOL:3"),  # Arabic with article, against Latin only
        ("习近平", "INTERPOL:4"),  # Han characters
        ("Xi Jin Ping", "INTERPOL:4"),  # pinyin split per syllable
        ("Владимир Петров", "INTERPOL:5"),  # Cyrillic
        ("Vladimir Petrow", "INTERPOL:5"),  # German transliteration of Cyrillic
        ("สมชาย ใจดี", "ASEANAPOL:6"),  # Thai script against RTGS-like Latin
        ("ANA MARIA GARCIA LOPEZ", "EUROPOL:7"),  # case and diacritics
        ("anita garcia", "EUROPOL:7"),  # alias
    ],
)
def test_planted_variants_are_found_first(watchlist: Watchlist, query: str, expected: str) -> None:
    """Each planted variant (order, spelling, script, typo, dropped name) ranks it first."""
    hits = screen_person(watchlist, PersonQuery(name=query))
    assert ids(hits)[:1] == [expected]


@pytest.mark.parametrize(
    "query", ["Peter Jones", "Smith", "Ali", "Ahmed Karimi", "Vladimir Ivanov", "Maria Lopez Perez"]
)
def test_other_people_do_not_hit(watchlist: Watchlist, query: str) -> None:
    """Unrelated names and lone shared tokens stay below the threshold."""
    assert screen_person(watchlist, PersonQuery(name=query)) == []


def test_hit_explains_fields_and_action(watchlist: Watchlist) -> None:
    """A hit lists the fields that matched and how, the action, the sources and the subject."""
    hits = screen_person(
        watchlist,
        PersonQuery(name="Hassan Mohammed Ali", date_of_birth="1980-05-02", nationality="syr"),
    )
    hit = hits[0]
    how = {r.field: r.how for r in hit.why}
    assert how == {"name": "exact", "date_of_birth": "within_range", "nationality": "exact"}
    assert hit.action == "ARREST"
    assert hit.sources == ["INTERPOL"]
    assert hit.subject.date_of_birth == "1980"
    assert hit.why[0].detail == "primary name; reordered"


def test_document_number_alone_hits_exactly(watchlist: Watchlist) -> None:
    """A document number matches after normalization even with no name given."""
    hits = screen_person(watchlist, PersonQuery(document_number="l89-8902 c3"))
    assert ids(hits) == ["INTERPOL:1"]
    assert hits[0].why[0].field == "document"
    assert hits[0].why[0].how == "exact"


def test_document_from_other_country_is_flagged(watchlist: Watchlist) -> None:
    """A number match with a different issuing country still hits, marked country_differs."""
    hits = screen_person(
        watchlist, PersonQuery(document_number="L898902C3", document_country="FRA")
    )
    assert hits[0].why[0].how == "country_differs"


def test_contradicting_birth_date_lowers_the_score(watchlist: Watchlist) -> None:
    """A birth date far from the alert's lowers the score of the same name."""
    good = screen_person(watchlist, PersonQuery(name="John Smith", date_of_birth="1975-03-14"))
    bad = screen_person(
        watchlist, PersonQuery(name="John Smith", date_of_birth="1990-01-01"), threshold=0.0
    )
    assert good[0].score > bad[0].score
    assert any(r.how == "contradicts" for r in bad[0].why)


def test_linked_alerts_form_one_subject(watchlist: Watchlist) -> None:
    """Alerts the hub linked as duplicates collapse into one hit with the strictest action."""
    watchlist.upsert(
        entry_from_record(
            "WANTED_PERSON",
            person("AFRIPOL:9", "Mohamed", "Hassan", org="AFRIPOL", action="INFORM"),
            linked=["INTERPOL:1"],
        )
    )
    hits = screen_person(watchlist, PersonQuery(name="Mohamed Ali Hassan"))
    assert len(hits) == 1
    assert {a.alert_id for a in hits[0].alerts} == {"INTERPOL:1", "AFRIPOL:9"}
    assert hits[0].sources == ["AFRIPOL", "INTERPOL"]
    assert hits[0].action == "ARREST"


def test_update_replaces_and_remove_forgets(watchlist: Watchlist) -> None:
    """A newer version replaces the name indexed; an older one is ignored; removal forgets it."""
    newer = person("INTERPOL:5", "Vladimir", "Sidorov", version=2)
    assert watchlist.upsert(entry_from_record("WANTED_PERSON", newer))
    assert not watchlist.upsert(entry_from_record("WANTED_PERSON", person("INTERPOL:5", "X", "Y")))
    assert screen_person(watchlist, PersonQuery(name="Vladimir Petrov")) == []
    assert ids(screen_person(watchlist, PersonQuery(name="Vladimir Sidorov"))) == ["INTERPOL:5"]
    assert watchlist.remove("INTERPOL:5")
    assert screen_person(watchlist, PersonQuery(name="Vladimir Sidorov")) == []
    assert not watchlist.remove("INTERPOL:5")


def test_removal_of_many_rebuilds_the_index() -> None:
    """After most rows die the index is rebuilt and survivors are still found."""
    wl = Watchlist()
    for i in range(120_000 // 2):
        wl.upsert(entry_from_record("WANTED_PERSON", person(f"X:{i}", f"Given{i}", f"Family{i}")))
    for i in range(1, 120_000 // 2):
        wl.remove(f"X:{i}")
    assert len(wl) == 1
    assert wl.person_rows == 1
    assert ids(screen_person(wl, PersonQuery(name="Given0 Family0"))) == ["X:0"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (ObjectQuery(container="mwcu6059784"), "container"),
        (ObjectQuery(plate="ab 123 cd"), "vehicle_plate"),
        (ObjectQuery(imo="9074729"), "vessel_imo"),
    ],
)
def test_objects_match_exactly_after_normalization(
    watchlist: Watchlist, query: ObjectQuery, field: str
) -> None:
    """Containers, plates and IMO numbers match whatever their spacing, case and prefix."""
    hits = screen_object(watchlist, query)
    assert len(hits) == 1
    assert hits[0].why[0].field == field
    assert hits[0].action == "SEIZE"


def test_plate_from_other_country_scores_lower(watchlist: Watchlist) -> None:
    """A plate registered in another country than asked is reported as country_differs."""
    hits = screen_object(watchlist, ObjectQuery(plate="AB123CD", plate_country="DEU"))
    assert hits[0].why[0].how == "country_differs"
    assert hits[0].score < 1.0


def test_unknown_object_has_no_hit(watchlist: Watchlist) -> None:
    """A container that no alert names gives no hit."""
    assert screen_object(watchlist, ObjectQuery(container="CSQU3054383")) == []


def test_partial_dates_become_ranges() -> None:
    """'1980' spans the year, '1980-02' the month (leap years included), a full date one day."""
    year = parse_partial_date("1980")
    month = parse_partial_date("1980-02")
    day = parse_partial_date({"year": 1980, "month": 2, "day": 29})
    assert year is not None
    assert month is not None
    assert day is not None
    assert (str(year.start), str(year.end)) == ("1980-01-01", "1980-12-31")
    assert str(month.end) == "1980-02-29"
    assert day.exact
    assert dob_compatibility(day, month) == ("within_range", 0.03)
    far = parse_partial_date("1975-01-02")
    assert far is not None
    assert dob_compatibility(day, far)[0] == "contradicts"
    assert dob_compatibility(day, year)[0] == "within_range"
    with pytest.raises(ValueError, match="not a date"):
        parse_partial_date("29/02/1980")


def test_swapped_day_and_month_is_near() -> None:
    """A birth date with day and month swapped is 'near', not a contradiction."""
    query = parse_partial_date("1980-03-05")
    held = parse_partial_date("1980-05-03")
    assert query is not None
    assert held is not None
    assert dob_compatibility(query, held)[0] == "near"


def test_normalized_names_are_ascii_tokens_with_particles_glued() -> None:
    """Names lose case and diacritics, particles join the next word, scripts become ASCII."""
    assert normalize_name("José van der Berg").tokens == ("jose", "vanderberg")
    assert normalize_name("Karim Ben-Ali").tokens == normalize_name("Karim Benali").tokens
    assert bare("vanderberg") == "berg"
    assert normalize_name("Владимир").tokens == ("vladimir",)
    assert normalize_name("محمد").abjad
    assert normalize_name("محمد").skeletons == normalize_name("Mohammed").skeletons
    assert normalize_name("  ").tokens == ()


def test_name_similarity_is_order_independent() -> None:
    """Swapping given and family names does not change the score."""
    a, how, notes = name_similarity(normalize_name("Karim Benali"), normalize_name("Benali Karim"))
    b, _, _ = name_similarity(normalize_name("Karim Benali"), normalize_name("Karim Benali"))
    assert a == b == 1.0
    assert (how, notes) == ("exact", ["reordered"])


def test_identifiers_normalize() -> None:
    """Identifiers keep only upper-case letters and digits; an IMO prefix is dropped."""
    assert normalize_identifier("imo 9074729") == "9074729"
    assert normalize_identifier("mwcu-605978 4") == "MWCU6059784"


def test_snapshot_round_trips_entries(watchlist: Watchlist) -> None:
    """Every entry survives its JSON snapshot unchanged; a foreign snapshot reads as None."""
    for entry in watchlist.entries():
        assert entry_from_snapshot(entry_to_snapshot(entry)) == entry
    assert entry_from_snapshot('[99, "x"]') is None
    assert entry_from_snapshot("not json") is None
