"""Reading UN/EDIFACT PAXLST manifests (D:02B and D:05B) into travellers."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.post.manifest import ManifestError, parse_paxlst, read_paxlst
from tests.support.paths import ROOT

SAMPLES = ROOT / "docs" / "samples"


def _message(body: str, *, directory: str = "D:05B", count: int | None = None) -> str:
    """A PAXLST interchange around ``body`` segments (one per line), UNT counted unless given."""
    lines = [line for line in body.strip().splitlines() if line]
    version, release = directory.split(":")
    unt = count if count is not None else len(lines) + 2
    return "\n".join(
        [
            "UNA:+.? '",
            "UNB+UNOA:4+CARRIER+FRAPIU+251206:0615+1'",
            f"UNH+1+PAXLST:{version}:{release}:UN:IATA+REF+01:F'",
            *lines,
            f"UNT+{unt}+1'",
            "UNZ+1+1'",
        ]
    )


def test_d05b_sample_reads_flight_travellers_and_documents() -> None:
    """The D:05B sample gives the flight, five travellers (one crew) and every document."""
    manifest = read_paxlst(SAMPLES / "paxlst_d05b.edi")
    assert manifest.directory == "D:05B"
    assert manifest.flights[0].label() == "AF1083 ARN-CDG"
    assert manifest.flights[0].departure_at == "2025-12-06T09:05"
    assert [p.role for p in manifest.passengers] == ["passenger"] * 4 + ["crew"]
    anna = manifest.passengers[1]
    assert (anna.family_name, anna.given_names) == ("ERIKSSON", "ANNA MARIA")
    assert (anna.sex, anna.date_of_birth, anna.nationality) == ("F", "1974-08-12", "SWE")
    assert [(d.number, d.doc_type, d.issuer, d.expiry) for d in anna.documents] == [
        ("L898902C3", "P", "SWE", "2032-04-15"),
        ("SE7741902", "I", "SWE", "2029-01-01"),
    ]
    assert anna.places["embarkation"] == "ARN"
    assert manifest.passengers[2].family_name == "O'BRIEN"  # release character ?'
    assert manifest.passengers[2].date_of_birth == "1966-09-30"  # format 102 (CCYYMMDD)
    assert manifest.warnings == []


def test_d02b_sample_flags_missing_and_unreadable_fields() -> None:
    """The D:02B sample keeps a traveller without a document and one with a bad birth date."""
    manifest = read_paxlst(SAMPLES / "paxlst_d02b.edi")
    assert manifest.directory == "D:02B"
    assert [p.documents[0].number for p in manifest.passengers if p.documents] == [
        "20DF81774",
        "94112783",
        "CB187364",
    ]
    holm, santos = manifest.passengers[2], manifest.passengers[3]
    assert holm.missing == ["document"]
    assert santos.missing == ["date_of_birth"]
    assert santos.flags == ["unreadable: date_of_birth at segment 39 (DTM)"]


def test_two_digit_birth_years_take_the_past_century() -> None:
    """A YYMMDD birth date is never in the future; an expiry date is in this century."""
    manifest = parse_paxlst(
        _message("NAD+FL+++A:B'\nDTM+329:990101'\nNAT+2+FR'\nDOC+P+X1'\nDTM+36:990101'")
    )
    pax = manifest.passengers[0]
    assert pax.date_of_birth == "1999-01-01"
    assert pax.documents[0].expiry == "2099-01-01"
    assert pax.nationality == "FRA"  # alpha-2 converted


def test_missing_fields_are_flagged_not_refused() -> None:
    """A traveller with only a name is kept and lists what it lacks."""
    manifest = parse_paxlst(_message("NAD+FL+++SOLO'\nNAT+2+XXX'"))
    pax = manifest.passengers[0]
    assert pax.name == "SOLO"
    assert pax.missing == ["date_of_birth", "nationality", "document"]
    assert pax.flags == ["unreadable: nationality at segment 5 (NAT)"]


@pytest.mark.parametrize(
    ("text", "names"),
    [
        (_message("NAD+FL+++A:B'", count=9), "segment 5 (UNT) counts 9"),
        (_message("DOC+P+X1'"), "segment 4 (DOC) comes before any traveller"),
        (_message("NAD+FL+++A:B'", directory="D:96B"), "segment 3 (UNH) is PAXLST directory D:96B"),
        (_message("NAD+FL+++A:B'\nDTM'"), "segment 5 (DTM) has no date qualifier"),
        ("UNB+UNOA:4+X+Y+251206:0615+1'UNH+1+CUSRES:D:05B:UN'UNT+2+1'", "segment 2 (UNH)"),
        ("UNB+UNOA:4+X+Y+251206:0615+1'NAD+FL+++A'", "segment 2 (NAD) is outside a message"),
        ("UNB+UNOA:4+X+Y+251206:0615+1'UNH+1+PAXLST:D:05B:UN'NAD+FL+++A'", "has no UNT"),
        ("UNB+UNOA:4+X+Y+251206:0615+1'UNH+1+PAXLST:D:05B:UN'NAD+FL+++A", "segment 3 (NAD)"),
        ("UNB+UNOA:4+X+Y+251206:0615+1'", "no PAXLST message"),
    ],
)
def test_malformed_manifest_names_segment_and_position(text: str, names: str) -> None:
    """Each malformation is a ManifestError naming the segment's position and tag."""
    with pytest.raises(ManifestError) as caught:
        parse_paxlst(text)
    assert names in caught.value.message
    assert caught.value.hint


def test_error_messages_never_quote_values() -> None:
    """An unreadable value is named by its segment, never echoed (it is personal data)."""
    manifest = parse_paxlst(_message("NAD+FL+++DOE:JANE'\nDTM+329:751399'"))
    assert "751399" not in " ".join(manifest.passengers[0].flags)


def test_cnt_disagreement_is_a_warning(tmp_path: Path) -> None:
    """A CNT total that disagrees with the travellers found is reported, not fatal."""
    path = tmp_path / "m.edi"
    path.write_text(_message("NAD+FL+++A:B'\nCNT+42:2'"), encoding="latin-1")
    manifest = read_paxlst(path)
    assert len(manifest.passengers) == 1
    assert manifest.warnings == ["segment 5 (CNT) announces 2 travellers; the message holds 1"]


def test_benchmark_flight_is_a_readable_manifest() -> None:
    """bench_manifest's generated D:05B flight reads back with every traveller and its plants."""
    import random  # noqa: PLC0415  # why: only here

    from bench.bench_manifest import flight  # noqa: PLC0415  # why: only here

    rng = random.Random(1)
    from bench.bench_post import person  # noqa: PLC0415  # why: only here

    subjects = [person(rng, i) for i in range(50)]
    text, planted = flight(rng, 40, subjects, [f"D{i:09d}" for i in range(4)])
    manifest = parse_paxlst(text)
    assert len(manifest.passengers) == 40
    assert len(planted) == 12
    assert manifest.warnings == []
    assert all(p.missing == [] for p in manifest.passengers)


def test_several_messages_and_custom_service_characters() -> None:
    """A flight split over two messages (01:C, 02:F) with its own UNA separators reads whole."""
    text = (
        "UNA*|.\\ ~"
        "UNB|UNOA*4|CARRIER|FRAPIU|251206*0615|9~"
        "UNH|1|PAXLST*D*05B*UN*IATA|REF|01*C~TDT|20|LH1024|||LH~"
        "NAD|FL|||MUELLER*KARL~DTM|329*800101~UNT|5|1~"
        "UNH|2|PAXLST*D*05B*UN*IATA|REF|02*F~TDT|20|LH1024|||LH~"
        "NAD|FL|||O\\|HARA*ENA~NAT|2|IRL~UNT|5|2~"
        "UNZ|2|9~"
    )
    manifest = parse_paxlst(text)
    assert [p.family_name for p in manifest.passengers] == ["MUELLER", "O|HARA"]
    assert [p.index for p in manifest.passengers] == [1, 2]
    assert manifest.passengers[0].date_of_birth == "1980-01-01"
    assert [f.number for f in manifest.flights] == ["LH1024", "LH1024"]
