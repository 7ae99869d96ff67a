"""Reading machine-readable zones: the ICAO Doc 9303 specimens, mutations, slips, bad zones."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.contract.identifiers import icao_check_digit
from gateway.errors import FrontlineError
from gateway.post.screening.match import PersonQuery
from gateway.post.screening.mrz import MrzError, MrzReading, icao_to_iso3, read_mrz

TODAY = dt.date(2026, 12, 6)

# The Doc 9303 specimens of Utopia's Anna Maria Eriksson (Parts 4-7), as published.
TD3 = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
)
TD1 = (
    "I<UTOD231458907<<<<<<<<<<<<<<<",
    "7408122F1204159UTO<<<<<<<<<<<6",
    "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
)
TD2 = ("I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "D231458907UTO7408122F1204159<<<<<<<6")
MRV_A = (
    "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L8988901C4XXX4009078F96121096ZE184226B<<<<<<",
)
MRV_B = ("V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "L8988901C4XXX4009078F9612109<<<<<<<<")
SPECIMENS = {"TD1": TD1, "TD2": TD2, "TD3": TD3, "MRV-A": MRV_A, "MRV-B": MRV_B}

# Published check digits: (field, line, column, digit).
PUBLISHED = {
    "TD1": [("document_number", 1, 15, "7"), ("birth_date", 2, 7, "2"),
            ("expiry_date", 2, 15, "9"), ("composite", 2, 30, "6")],
    "TD2": [("document_number", 2, 10, "7"), ("birth_date", 2, 20, "2"),
            ("expiry_date", 2, 28, "9"), ("composite", 2, 36, "6")],
    "TD3": [("document_number", 2, 10, "6"), ("birth_date", 2, 20, "2"),
            ("expiry_date", 2, 28, "9"), ("personal_number", 2, 43, "1"),
            ("composite", 2, 44, "0")],
    "MRV-A": [("document_number", 2, 10, "4"), ("birth_date", 2, 20, "8"),
              ("expiry_date", 2, 28, "9")],
    "MRV-B": [("document_number", 2, 10, "4"), ("birth_date", 2, 20, "8"),
              ("expiry_date", 2, 28, "9")],
}  # fmt: skip

# Data fields each check digit covers: (line index, start, end), 0-based, end excluded.
CHECKED: dict[str, dict[str, tuple[int, int, int]]] = {
    "TD1": {"document_number": (0, 5, 14), "birth_date": (1, 0, 6), "expiry_date": (1, 8, 14)},
    "TD2": {"document_number": (1, 0, 9), "birth_date": (1, 13, 19), "expiry_date": (1, 21, 27)},
    "TD3": {"document_number": (1, 0, 9), "birth_date": (1, 13, 19), "expiry_date": (1, 21, 27),
            "personal_number": (1, 28, 42)},
    "MRV-A": {"document_number": (1, 0, 9), "birth_date": (1, 13, 19),
              "expiry_date": (1, 21, 27)},
    "MRV-B": {"document_number": (1, 0, 9), "birth_date": (1, 13, 19),
              "expiry_date": (1, 21, 27)},
}  # fmt: skip
HAS_COMPOSITE = {"TD1", "TD2", "TD3"}


def read(lines: tuple[str, ...] | list[str]) -> MrzReading:
    """The reading of these lines as of TODAY."""
    return read_mrz("\n".join(lines), today=TODAY)


def failed(reading: MrzReading) -> set[str]:
    """The fields whose check digit fails."""
    return {check.field for check in reading.checks if not check.valid}


def mutate(lines: Sequence[str], line: int, col: int, char: str) -> list[str]:
    """The lines with one character replaced."""
    out = list(lines)
    out[line] = out[line][:col] + char + out[line][col + 1 :]
    return out


def residue(char: str) -> int:
    """A character's ICAO value ('<' 0, digits, A-Z 10-35) modulo 10."""
    if char == "<":
        return 0
    return int(char) if char.isdigit() else (ord(char) - ord("A") + 10) % 10


@pytest.mark.parametrize("fmt", list(SPECIMENS))
def test_specimen_check_digits_are_the_published_ones(fmt: str) -> None:
    """Every specimen reads in its format with each check digit valid, where it is printed."""
    reading = read(SPECIMENS[fmt])
    assert reading.format == fmt
    assert [(c.field, c.line, c.column, c.found) for c in reading.checks] == PUBLISHED[fmt]
    assert all(c.valid and c.expected == c.found for c in reading.checks)
    assert reading.valid
    assert not any("check digit" in w for w in reading.warnings)


@pytest.mark.parametrize(
    ("fmt", "number", "nationality", "birth", "expiry", "optional", "code"),
    [
        ("TD1", "D23145890", "UTO", "1974-08-12", "2012-04-15", "", "I"),
        ("TD2", "D23145890", "UTO", "1974-08-12", "2012-04-15", "", "I"),
        ("TD3", "L898902C3", "UTO", "1974-08-12", "2012-04-15", "ZE184226B", "P"),
        ("MRV-A", "L8988901C", "XXX", "1940-09-07", "1996-12-10", "6ZE184226B", "V"),
        ("MRV-B", "L8988901C", "XXX", "1940-09-07", "1996-12-10", "", "V"),
    ],
)
def test_specimen_fields(  # noqa: PLR0917  # why: one row of the table each
    fmt: str, number: str, nationality: str, birth: str, expiry: str, optional: str, code: str
) -> None:
    """Each specimen's fields read as Doc 9303 prints them, the centuries inferred."""
    reading = read(SPECIMENS[fmt])
    assert (reading.surname, reading.given_names) == ("ERIKSSON", "ANNA MARIA")
    assert (reading.document_code, reading.issuing_state) == (code, "UTO")
    assert (reading.document_number, reading.nationality) == (number, nationality)
    assert (reading.birth_date, reading.expiry_date, reading.sex) == (birth, expiry, "F")
    assert reading.optional_data == optional
    assert f"the document expired on {expiry}" in reading.warnings
    assert any("UTO: ICAO's specimen state" in w for w in reading.warnings)


def test_person_query_carries_holder_and_document() -> None:
    """The passport's query names the holder, birth date and document; UTO maps to no country."""
    assert read(TD3).person_query() == PersonQuery(
        name="ANNA MARIA ERIKSSON",
        date_of_birth="1974-08-12",
        nationality=None,
        document_number="L898902C3",
        document_country=None,
    )


@pytest.mark.parametrize(
    ("code", "iso"),
    [("D", "DEU"), ("D<<", "DEU"), ("GBN", "GBR"), ("UNK", "XKX"), ("FRA", "FRA"),
     ("XXA", None), ("XXB", None), ("XXC", None), ("XXX", None), ("UTO", None),
     ("UNO", None), ("QQQ", None)],
)  # fmt: skip
def test_icao_codes_map_to_iso(code: str, iso: str | None) -> None:
    """ICAO's own codes map to an ISO country where one exists, else to none."""
    assert icao_to_iso3(code) == iso


def test_german_passport_issuer_and_nationality_become_deu() -> None:
    """Germany's single-letter 'D<<' is read as D and screened as DEU, without a warning."""
    lines = (
        "P<D<<ERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
        "L898902C36D<<7408122F1204159ZE184226B<<<<<10",
    )
    reading = read(lines)
    assert (reading.issuing_state, reading.nationality) == ("D", "D")
    query = reading.person_query()
    assert (query.nationality, query.document_country) == ("DEU", "DEU")
    assert reading.valid
    assert not any("country" in w or "ICAO" in w for w in reading.warnings)


# -- mutations ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "line", "col", "char", "fails"),
    [
        ("TD3", 1, 3, "3", {"document_number", "composite"}),
        ("TD3", 1, 14, "5", {"birth_date", "composite"}),
        ("TD3", 1, 22, "3", {"expiry_date", "composite"}),
        ("TD3", 1, 30, "F", {"personal_number", "composite"}),
        ("TD3", 1, 19, "3", {"birth_date", "composite"}),  # the check digit itself
        ("TD3", 1, 43, "1", {"composite"}),
        ("TD3", 1, 10, "S", set()),  # nationality: in no check digit
        ("TD3", 1, 20, "M", set()),  # sex: in no check digit
        ("TD3", 0, 6, "A", set()),  # the name: in no check digit
        ("TD1", 0, 7, "4", {"document_number", "composite"}),
        ("TD1", 0, 20, "X", {"composite"}),  # optional data 1: composite only
        ("TD1", 1, 20, "7", {"composite"}),  # optional data 2: composite only
        ("TD1", 1, 2, "1", {"birth_date", "composite"}),
        ("TD2", 1, 24, "0", {"expiry_date", "composite"}),
        ("TD2", 1, 30, "Z", {"composite"}),
        ("MRV-A", 1, 0, "X", {"document_number"}),
        ("MRV-A", 1, 30, "X", set()),  # a visa's optional data: no check digit
        ("MRV-B", 1, 16, "1", {"birth_date"}),
        ("MRV-B", 1, 26, "1", {"expiry_date"}),
    ],
)
def test_a_changed_character_fails_exactly_its_checks(
    fmt: str, line: int, col: int, char: str, fails: set[str]
) -> None:
    """One altered character fails the check digits covering it and no other; reading goes on."""
    lines = SPECIMENS[fmt]
    assert lines[line][col] != char
    reading = read(mutate(lines, line, col, char))
    assert failed(reading) == fails
    assert reading.valid == (not fails)
    for field in fails:
        check = next(c for c in reading.checks if c.field == field)
        assert any(f"check digit of the {field.replace('_', ' ')} fails" in w
                   and f"expected {check.expected}" in w for w in reading.warnings)  # fmt: skip
    assert reading.surname  # the reading went on


@st.composite
def single_changes(draw: st.DrawFn) -> tuple[str, str, list[str]]:
    """A specimen, one of its digit-checked fields, and that field with one character changed.

    Dates take digits only; alphanumeric fields any of A-Z, 0-9, < whose ICAO value differs
    from the original's modulo 10 (a 7-3-1 digit cannot see 0 -> A, say, values 0 and 10).
    """
    fmt = draw(st.sampled_from(sorted(SPECIMENS)))
    field = draw(st.sampled_from(sorted(CHECKED[fmt])))
    line, start, end = CHECKED[fmt][field]
    col = draw(st.integers(start, end - 1))
    old = SPECIMENS[fmt][line][col]
    alphabet = "0123456789" if field in {"birth_date", "expiry_date"} else (
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ<")  # fmt: skip
    new = draw(st.sampled_from([c for c in alphabet if residue(c) != residue(old)]))
    return fmt, field, mutate(SPECIMENS[fmt], line, col, new)


@settings(max_examples=300, deadline=None)
@given(single_changes())
def test_any_single_change_to_a_checked_field_is_detected(
    change: tuple[str, str, list[str]],
) -> None:
    """Any one-character change to a digit-checked field fails its check digit (and composite)."""
    fmt, field, lines = change
    reading = read(lines)
    expected = {field, "composite"} if fmt in HAS_COMPOSITE else {field}
    assert failed(reading) == expected
    assert not reading.valid


def test_a_forged_zone_still_screens() -> None:
    """A zone whose every check digit fails is still read and turned into a query."""
    lines = mutate(mutate(mutate(TD3, 1, 9, "0"), 1, 19, "0"), 1, 27, "0")
    reading = read(lines)
    assert failed(reading) == {"document_number", "birth_date", "expiry_date", "composite"}
    assert reading.person_query().document_number == "L898902C3"


# -- what a paste or an OCR gives ---------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "\r\n  " + TD3[0].lower() + "  \r\n\r\n" + TD3[1] + "  \n",
        TD3[0] + TD3[1],  # both lines on one
        TD3[0] + " " + TD3[1],
        "\t" + TD3[0] + "\r" + TD3[1] + "\t",
        TD3[0] + " | " + TD3[1],  # as the CLI takes it
    ],
)
def test_pasted_text_is_accepted(text: str) -> None:
    """CR/LF, '|', blank lines, spaces around, lower case or one line of 88 read as the passport."""
    reading = read_mrz(text, today=TODAY)
    assert reading.lines == list(TD3)
    assert reading.valid
    assert reading.corrections == []


def test_ocr_slips_are_corrected_and_reported() -> None:
    """'O' in a date and '0' in a name have one reading: corrected, and each one reported."""
    lines = mutate(mutate(TD3, 1, 15, "O"), 0, 11, "0")  # 74O812, ERIKSS0N
    reading = read(lines)
    assert reading.birth_date == "1974-08-12"
    assert reading.surname == "ERIKSSON"
    assert reading.valid
    assert [(c.line, c.column, c.found, c.read_as) for c in reading.corrections] == [
        (1, 12, "0", "O"),
        (2, 16, "O", "0"),
    ]
    assert "line 2, column 16: 'O' read as '0' (a digit-only field)" in reading.warnings


def test_letters_in_a_document_number_are_not_corrected() -> None:
    """An alphanumeric field has no single reading: 'O' stays and the check digit tells."""
    reading = read(mutate(TD3, 1, 2, "O"))  # L8O8902C3
    assert reading.document_number == "L8O8902C3"
    assert reading.corrections == []
    assert "document_number" in failed(reading)


def test_guillemet_for_two_fillers() -> None:
    """'«' read as '<<' when that gives the line its width, and reported."""
    reading = read((TD3[0].replace("<<ANNA", "«ANNA"), TD3[1]))
    assert reading.given_names == "ANNA MARIA"
    assert "line 1: '«' read as '<<'" in reading.warnings


# -- dates, sex, long numbers ---------------------------------------------------------------


def with_checks(line2: str) -> tuple[str, str]:
    """A TD3 zone with this line 2 and every check digit recomputed."""
    chars = list(line2)
    for start, end in ((0, 9), (13, 19), (21, 27), (28, 42)):
        chars[end] = str(icao_check_digit("".join(chars[start:end])))
    text = "".join(chars)
    chars[43] = str(icao_check_digit(text[0:10] + text[13:20] + text[21:43]))
    return TD3[0], "".join(chars)


@pytest.mark.parametrize(
    ("birth", "expiry", "read_birth", "read_expiry"),
    [
        ("250101", "300101", "2025-01-01", "2030-01-01"),
        ("261207", "760101", "1926-12-07", "2076-01-01"),  # tomorrow's date was last century
        ("261206", "770101", "2026-12-06", "1977-01-01"),
        ("7408<<", "120415", "1974-08", "2012-04-15"),
        ("74<<<<", "120415", "1974", "2012-04-15"),
        ("740800", "120415", "1974-08", "2012-04-15"),
        ("<<<<<<", "120415", None, "2012-04-15"),
    ],
)
def test_centuries_and_partial_dates(
    birth: str, expiry: str, read_birth: str | None, read_expiry: str
) -> None:
    """Birth dates are in the past, expiry within 50 years; unknown parts give partial dates."""
    line2 = TD3[1][:13] + birth + "0F" + expiry + TD3[1][27:]
    reading = read(with_checks(line2))
    assert (reading.birth_date, reading.expiry_date) == (read_birth, read_expiry)
    assert reading.valid


def test_impossible_date_is_a_warning() -> None:
    """A 31st of February is reported, the birth date left out, the rest still read."""
    reading = read(with_checks(TD3[1][:13] + "740231" + TD3[1][19:]))
    assert reading.birth_date is None
    assert "the birth date '740231' is not a date" in reading.warnings
    assert reading.person_query().date_of_birth is None


@pytest.mark.parametrize(("char", "sex"), [("M", "M"), ("F", "F"), ("<", "X"), ("X", "X")])
def test_sex(char: str, sex: str) -> None:
    """F and M as printed; '<' and 'X' both mean unspecified (X)."""
    assert read(mutate(TD3, 1, 20, char)).sex == sex


def test_td1_long_document_number_continues_in_optional_data() -> None:
    """A TD1 number past 9 characters: '<' in the check digit's place, the rest and its check
    digit at the start of the optional data."""
    digit = icao_check_digit("D23145890734")
    line1 = f"I<UTOD23145890<734{digit}<<<<<<<<<<<"
    line2 = TD1[1][:29]
    composite = icao_check_digit(line1[5:30] + line2[0:7] + line2[8:15] + line2[18:29])
    reading = read((line1, line2 + str(composite), TD1[2]))
    assert reading.document_number == "D23145890734"
    assert reading.optional_data == ""
    check = reading.checks[0]
    assert (check.field, check.line, check.column, check.valid) == ("document_number", 1, 19, True)
    assert reading.valid


def test_truncated_name_is_reported() -> None:
    """A name that fills its whole field may have been cut, and the officer is told."""
    line1 = "P<UTO" + "ERIKSSONWESTERBERGLUNDQVIST<<ANNAMARIAX"
    reading = read((line1, TD3[1]))
    assert reading.given_names == "ANNAMARIAX"
    assert any("truncated" in w for w in reading.warnings)


# -- zones that cannot be read --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "column", "expected"),
    [
        (TD3[0], 2, 1, "2 lines"),
        ("\n".join((*TD1, TD1[2])), 4, 1, "2 lines"),
        (TD3[0] + "\n" + TD3[1][:43], 2, 44, "TD3: 2 lines of 44"),
        (TD3[0] + "<\n" + TD3[1], 1, 45, "TD3: 2 lines of 44"),
        (TD2[0] + "\n" + TD2[1] + "<", 2, 37, "TD2: 2 lines of 36"),
        (MRV_B[0] + "\n" + MRV_B[1][:35], 2, 36, "MRV-B: 2 lines of 36"),
        ("\n".join((TD1[0], TD1[1][:29], TD1[2])), 2, 30, "TD1: 3 lines of 30"),
        (TD3[0] + "\n" + TD3[1][:20] + "é" + TD3[1][21:], 2, 21, "A-Z, 0-9 or <"),
        (TD3[0].replace("ANNA", "AN-A") + "\n" + TD3[1], 1, 18, "A-Z, 0-9 or <"),
        ("", 1, 1, "2 lines"),
    ],
)
def test_malformed_zones_name_line_column_and_format(
    text: str, line: int, column: int, expected: str
) -> None:
    """A wrong line count, length or character raises naming the line, column and format."""
    with pytest.raises(MrzError) as raised:
        read_mrz(text, today=TODAY)
    error = raised.value
    assert isinstance(error, FrontlineError)
    assert (error.line, error.column) == (line, column)
    assert expected in error.expected
    assert f"MRZ line {line}, column {column}" in error.message
    assert "TD1 3 lines of 30" in str(error.hint)


def outcome(text: str) -> MrzReading | MrzError:
    """The reading of a text, or the MrzError it raised (any other exception escapes)."""
    try:
        return read_mrz(text, today=TODAY)
    except MrzError as error:
        return error


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(sorted(SPECIMENS)).flatmap(
        lambda fmt: st.tuples(
            *(
                st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<", min_size=len(line),
                        max_size=len(line))
                for line in SPECIMENS[fmt]
            )
        )
    )
)  # fmt: skip
def test_any_zone_of_the_right_shape_reads_or_names_its_fault(lines: tuple[str, ...]) -> None:
    """Random characters in a zone's shape give a reading or an MrzError, never a crash."""
    reading = outcome("\n".join(lines))
    if isinstance(reading, MrzError):
        assert reading.line >= 1
        assert reading.column >= 1
    else:
        assert len(reading.checks) >= 3
        reading.person_query()


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120))
def test_any_text_reads_or_names_its_fault(text: str) -> None:
    """Any text at all gives a reading or an MrzError (a FrontlineError), never another error."""
    reading = outcome(text)
    assert isinstance(reading, MrzReading) or reading.expected
