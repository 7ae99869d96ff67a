"""Check digits with published examples, document codes and country helpers."""

from __future__ import annotations

import pytest

from gateway.contract.identifiers import (
    alpha2_to_alpha3,
    check_air_waybill,
    check_container,
    check_imo,
    check_vin,
    icao_check_digit,
    imo_check_digit,
    is_flight_number,
    is_iata_airport,
    is_icao_document_code,
    is_iso3,
    is_iso4217,
    is_locode,
    is_valid_air_waybill,
    is_valid_container,
    is_valid_imo,
    is_valid_vin,
    iso6346_check_digit,
    normalize_identifier,
    vin_check_digit,
)

# ICAO Doc 9303 specimen passport MRZ line 2 (Anna Maria Eriksson, Utopia).
SPECIMEN_MRZ = "L898902C36UTO7408122F1204159ZE184226B<<<<<10"


@pytest.mark.parametrize(
    ("field", "digit"),
    [
        pytest.param("L898902C3", 6, id="document-number"),
        pytest.param("740812", 2, id="birth-date"),
        pytest.param("120415", 9, id="expiry-date"),
        pytest.param("ZE184226B<<<<<", 1, id="optional-data"),
        pytest.param(
            SPECIMEN_MRZ[0:10] + SPECIMEN_MRZ[13:20] + SPECIMEN_MRZ[21:43], 0, id="composite"
        ),
    ],
)
def test_icao_check_digits_of_the_specimen_passport(field: str, digit: int) -> None:
    """Every check digit of ICAO's specimen passport MRZ is reproduced."""
    assert icao_check_digit(field) == digit


def test_icao_rejects_non_mrz_characters() -> None:
    """A character outside 0-9, A-Z and '<' raises instead of being silently weighed."""
    with pytest.raises(ValueError, match="MRZ"):
        icao_check_digit("AB-12")


@pytest.mark.parametrize(("prefix", "digit"), [("MWCU605978", 4), ("CSQU305438", 3)])
def test_iso6346_published_examples(prefix: str, digit: int) -> None:
    """ISO 6346 check digits of published container numbers are reproduced."""
    assert iso6346_check_digit(prefix) == digit
    assert is_valid_container(f"{prefix}{digit}")


@pytest.mark.parametrize(
    ("code", "result"),
    [
        pytest.param("MWCU 605978-4", "ok", id="spaces-and-dash"),
        pytest.param("mwcu6059784", "ok", id="lower-case"),
        pytest.param("MWCU6059785", "bad_check_digit", id="wrong-digit"),
        pytest.param("MWCX6059784", "bad_format", id="bad-category"),
        pytest.param("MWCU605978", "bad_format", id="too-short"),
    ],
)
def test_check_container_tells_format_from_check_digit(code: str, result: str) -> None:
    """Container checks separate a wrong shape from a wrong check digit."""
    assert check_container(code) == result


def test_imo_published_example() -> None:
    """IMO 9074729: the weighted sum is 139, so the check digit is 9."""
    assert imo_check_digit("907472") == 9
    assert is_valid_imo("IMO 9074729")
    assert check_imo("9074728") == "bad_check_digit"
    assert check_imo("907472") == "bad_format"


def test_vin_published_example() -> None:
    """1M8GDM9AXKP042788 has check character X (remainder 10)."""
    assert vin_check_digit("1M8GDM9AXKP042788") == "X"
    assert is_valid_vin("1M8GDM9AXKP042788")


@pytest.mark.parametrize(
    ("vin", "result"),
    [
        pytest.param("1M8GDM9A1KP042788", "bad_check_digit", id="north-american-wrong-digit"),
        pytest.param("WVWZZZ1JZXW000001", "ok", id="european-no-check-digit"),
        pytest.param("1M8GDM9AXKP04278O", "bad_format", id="letter-O"),
        pytest.param("1M8GDM9AXKP04278", "bad_format", id="sixteen-chars"),
    ],
)
def test_check_vin(vin: str, result: str) -> None:
    """VIN check digits are enforced where mandatory (North America) and shapes everywhere."""
    assert check_vin(vin) == result


def test_vin_check_digit_can_be_forced() -> None:
    """require_check_digit=True checks a European VIN too."""
    assert check_vin("WVWZZZ1JZXW000001", require_check_digit=True) == "bad_check_digit"


def test_air_waybill_mod7() -> None:
    """An air waybill's last digit is the 7-digit serial mod 7."""
    assert is_valid_air_waybill("020-12345675")
    assert check_air_waybill("020-12345676") == "bad_check_digit"
    assert check_air_waybill("020-1234567") == "bad_format"


@pytest.mark.parametrize(
    ("code", "ok"),
    [
        ("P", True),
        ("PD", True),
        ("P<", True),
        ("I", True),
        ("AC", True),
        ("V", True),
        ("IV", False),
        ("X", False),
        ("PPP", False),
        ("", False),
    ],
)
def test_icao_document_codes(code: str, ok: bool) -> None:
    """Document codes start with P, I, A, C or V; identity documents never use V second."""
    assert is_icao_document_code(code) is ok


def test_countries_and_currencies() -> None:
    """ISO alpha-3 codes are recognised in upper case only, with Kosovo's XKX accepted."""
    assert is_iso3("FRA")
    assert is_iso3("XKX")
    assert not is_iso3("fra")
    assert not is_iso3("UTO")
    assert not is_iso3("FR")
    assert alpha2_to_alpha3("fr") == "FRA"
    assert alpha2_to_alpha3("ZZ") is None
    assert is_iso4217("EUR")
    assert not is_iso4217("EURO")


def test_transport_codes() -> None:
    """Flight numbers, UN/LOCODEs and IATA airport codes are recognised by shape."""
    assert is_flight_number("LH400")
    assert is_flight_number("U2 1234")
    assert is_flight_number("BAW256")
    assert not is_flight_number("12345")
    assert is_locode("NLRTM")
    assert not is_locode("ZZRTM")
    assert is_iata_airport("CDG")
    assert not is_iata_airport("CDGX")


def test_normalize_identifier() -> None:
    """Separators go and letters are upper-cased."""
    assert normalize_identifier(" csqu-305438.3 ") == "CSQU3054383"


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        pytest.param("imo 9074729", "9074729", id="imo-prefix"),
        pytest.param("IMO-90747291", "IMO90747291", id="imo-prefix-needs-seven-digits"),
        pytest.param("L898902C3<<", "L898902C3", id="mrz-filler"),
        pytest.param("AB#12_3", "AB123", id="other-punctuation"),
        pytest.param("\uff2d\uff37\uff23\uff35\uff16\uff10", "MWCU60", id="full-width"),
        pytest.param("\u0410\u0412 123", "AV123", id="cyrillic-transliterated"),
    ],
)
def test_normalize_identifier_union_rules(text: str, normalized: str) -> None:
    """One normalizer for hub and post: any script to ASCII, only letters and digits, no IMO."""
    assert normalize_identifier(text) == normalized


def test_checks_refuse_characters_outside_plain_identifiers() -> None:
    """Check functions accept only ASCII letters, digits and separators, not what folds to them."""
    assert check_container("MWCU 605978-4") == "ok"
    assert check_container("MWCU#6059784") == "bad_format"
    assert check_container("\uff2dWCU6059784") == "bad_format"
    assert check_imo("IMO 9074729") == "ok"
