"""Arabic-script helpers: Umm al-Qura and Solar Hijri dates, native digits, names, countries."""

# Arabic-script test data is the point of this module, not look-alike typos:
# ruff: noqa: RUF001

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.formats.arabic import (
    Calendar,
    CalendarError,
    country_from_arabic,
    format_native_date,
    from_gregorian,
    has_arabic,
    normalize_digits,
    parse_native_date,
    split_full_name,
    to_gregorian,
    transliterate,
)


@pytest.mark.parametrize(
    ("calendar", "native", "gregorian"),
    [
        (Calendar.HIJRI, (1445, 9, 1), dt.date(2024, 3, 11)),  # 1 Ramadan 1445, Umm al-Qura
        (Calendar.HIJRI, (1445, 10, 1), dt.date(2024, 4, 10)),  # Eid al-Fitr 1445
        (Calendar.HIJRI, (1446, 1, 1), dt.date(2024, 7, 7)),  # Islamic new year 1446
        (Calendar.JALALI, (1403, 1, 1), dt.date(2024, 3, 20)),  # Nowruz 1403
        (Calendar.JALALI, (1402, 1, 1), dt.date(2023, 3, 21)),  # Nowruz 1402
        (Calendar.GREGORIAN, (2024, 2, 29), dt.date(2024, 2, 29)),
    ],
)
def test_published_calendar_examples(
    calendar: Calendar, native: tuple[int, int, int], gregorian: dt.date
) -> None:
    """Published Umm al-Qura and Solar Hijri dates convert to their Gregorian days and back."""
    assert to_gregorian(calendar, *native) == gregorian
    assert from_gregorian(calendar, gregorian) == native


def test_native_digits_become_ascii() -> None:
    """Eastern Arabic-Indic and Persian digits and the Arabic date separator read as ASCII."""
    assert normalize_digits("١٤٤٥/٠٩/٠١") == "1445/09/01"
    assert normalize_digits("۱۴۰۳/۰۱/۰۱") == "1403/01/01"
    assert normalize_digits("12\u060d03") == "12/03"


@pytest.mark.parametrize(
    ("text", "calendar", "expected"),
    [
        ("1445-09-01", "hijri", (2024, 3, 11)),
        ("١٤٤٥/٠٩/٠١ هـ", None, (2024, 3, 11)),
        ("٠١/٠٩/١٤٤٥", "hijri", (2024, 3, 11)),  # day first
        ("1403/01/01 SH", None, (2024, 3, 20)),
        ("۱۴۰۳/۰۱/۰۱", "jalali", (2024, 3, 20)),
        ("03/01/1985 م", None, (1985, 1, 3)),
        ("1985", "gregorian", (1985, None, None)),
        ("1985-05", "G", (1985, 5, None)),
    ],
)
def test_parse_native_date(
    text: str, calendar: str | None, expected: tuple[int, int | None, int | None]
) -> None:
    """Dates in either digit set, either order, with calendar by field or by suffix, convert."""
    assert parse_native_date(text, calendar).gregorian() == expected


def test_partial_hijri_dates_keep_only_what_is_certain() -> None:
    """A Hijri month inside one Gregorian year keeps the year only; a Hijri year its middle year."""
    # Rabi al-Awwal 1405 runs from late November to late December 1984.
    assert parse_native_date("1405-03", "hijri").gregorian() == (1984, None, None)
    # 1410 AH runs from August 1989 to July 1990: most of it lies in 1990.
    assert parse_native_date("1410", "hijri").gregorian() == (1990, None, None)
    # Farvardin 1403 runs from 20 March to 19 April 2024.
    assert parse_native_date("1403-01", "jalali").gregorian() == (2024, None, None)


def test_hijri_month_within_one_gregorian_month_keeps_the_month() -> None:
    """When the whole native month falls in one Gregorian month, the month is kept."""
    found = [
        (year, month)
        for year in range(1440, 1450)
        for month in range(1, 13)
        if parse_native_date(f"{year}-{month:02d}", "hijri").gregorian()[1] is not None
    ]
    assert found  # such months exist in every decade
    for year, month in found:
        first = to_gregorian(Calendar.HIJRI, year, month, 1)
        greg = parse_native_date(f"{year}-{month:02d}", "hijri").gregorian()
        assert (first.year, first.month) == greg[:2]
        assert first.day <= 2  # only a month starting on the 1st or 2nd can fit


@pytest.mark.parametrize(
    ("text", "calendar", "code"),
    [
        ("1445-02-31", "hijri", "bad_date"),
        ("1300-01-01", "hijri", "date_out_of_range"),
        ("1985-01-03 هـ", "gregorian", "calendar_conflict"),
        ("1985-01-03", None, "missing_calendar"),
        ("1985-01-03", "julian", "unknown_calendar"),
        ("85-01-03", "gregorian", "bad_date"),
        ("1985-13", "gregorian", "bad_date"),
        ("tomorrow", "hijri", "bad_date"),
        ("1403-12-31", "jalali", "bad_date"),  # Esfand 1403 has 30 days
    ],
)
def test_bad_native_dates_have_a_code(text: str, calendar: str | None, code: str) -> None:
    """Each unreadable or impossible date raises CalendarError with a machine-readable code."""
    with pytest.raises(CalendarError) as caught:
        parse_native_date(text, calendar)
    assert caught.value.code == code


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30), st.sampled_from([None, "hijri", "jalali", "gregorian", "x"]))
def test_any_text_parses_or_raises_calendar_error(text: str, calendar: str | None) -> None:
    """No text makes the date parser raise anything but CalendarError."""
    try:
        parse_native_date(text, calendar).gregorian()
    except CalendarError as exc:
        code = exc.code
    else:
        code = "ok"
    assert code


@settings(max_examples=100, deadline=None)
@given(st.dates(dt.date(1930, 1, 1), dt.date(2070, 12, 31)), st.sampled_from(list(Calendar)))
def test_formatted_native_dates_round_trip(day: dt.date, calendar: Calendar) -> None:
    """A day written in any native calendar and digit style reads back as the same day."""
    text = format_native_date(calendar, day, digits="arabic", order="dmy", sep="/")
    assert parse_native_date(text, calendar).gregorian_date() == day


@pytest.mark.parametrize(
    ("arabic", "latin"),
    [
        ("فهد بن عبدالله بن محمد العتيبي", "Fahad bin Abdullah bin Muhammad Al-Otaibi"),
        ("محمد بن سلمان آل سعود", "Muhammad bin Salman Al Saud"),
        ("عبد الرحمن", "Abdulrahman"),
        ("عبدالكريم الهاشمي", "Abd al-Karim Al-Hashemi"),
        ("عبد الكريم", "Abd al-Karim"),
        ("نورة بنت خالد", "Noura bint Khalid"),
        ("مُحَمَّد", "Muhammad"),  # vowel marks do not change the spelling
        ("أبو حمزة", "Abu Hamza"),
    ],
)
def test_transliteration_of_names_and_particles(arabic: str, latin: str) -> None:
    """Frequent names get their usual spelling; bin, bint, Al, Abu and Abd al- are handled."""
    assert transliterate(arabic) == latin


def test_transliteration_of_unknown_names_keeps_long_vowels() -> None:
    """A name outside the lexicon keeps the alef and ya that anyascii alone would drop."""
    assert transliterate("ماهر") == "Mahr"
    assert transliterate("سليمان") == "Sliman"
    assert transliterate("پژمان") == "Pzhman"  # Persian letters go through anyascii
    assert transliterate("Ahmed") == "Ahmed"


def test_split_full_name_keeps_family_particles() -> None:
    """The family name is the last word with the particle that binds to it."""
    assert split_full_name("محمد بن سلمان آل سعود") == ("آل سعود", "محمد بن سلمان")
    assert split_full_name("أسامة بن محمد بن لادن") == ("بن لادن", "أسامة بن محمد")
    assert split_full_name("عبد الرحمن") == ("عبد الرحمن", None)
    assert split_full_name("Mohammad bin Ali Al Zoubi") == ("Al Zoubi", "Mohammad bin Ali")
    assert split_full_name("خالد") == ("خالد", None)


def test_countries_named_in_arabic() -> None:
    """Official, short and everyday Arabic names resolve to ISO alpha-3; others to None."""
    assert country_from_arabic("السعودية") == "SAU"
    assert country_from_arabic("المملكة العربية السعودية") == "SAU"
    assert country_from_arabic("دولة الكويت") == "KWT"
    assert country_from_arabic("الأردن") == "JOR"
    assert country_from_arabic("سوريا") == "SYR"
    assert country_from_arabic("أتلانتس") is None


def test_has_arabic() -> None:
    """Arabic and Persian letters count as Arabic script; Latin does not."""
    assert has_arabic("Ali علي")
    assert has_arabic("پژمان")
    assert not has_arabic("Ali")
