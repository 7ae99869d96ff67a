"""Tests of the shipped policy data (memberships from public sources) and of policy-file errors."""

from __future__ import annotations

import re
from pathlib import Path

import pycountry
import pytest

from gateway._resources import resource_path
from gateway.contract.enums import Org
from gateway.errors import ConfigError
from gateway.hub.policy.decide import OrgCode, load_policy
from gateway.hub.policy.file import locate, read_policy_file

SHIPPED_TEXT = resource_path("policy").read_text(encoding="utf-8")
POLICY = load_policy(None)

EU = frozenset(
    {
        "AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC", "HUN",
        "IRL", "ITA", "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK", "SVN", "ESP",
        "SWE",
    }
)  # fmt: skip


def members(org: str) -> frozenset[str]:
    """Members of one organization in the shipped policy."""
    return POLICY.members(org)


# --- membership data ----------------------------------------------------------------------


def test_every_org_code_has_a_member_list() -> None:
    """The shipped policy lists members for all eleven organizations, none empty."""
    for org in OrgCode:
        assert members(org.value), org


def test_every_code_is_iso_alpha3() -> None:
    """Every member code in the shipped policy is an ISO 3166-1 alpha-3 code known to pycountry."""
    for org in OrgCode:
        for code in members(org.value):
            assert pycountry.countries.get(alpha_3=code) is not None, (org, code)


@pytest.mark.parametrize(
    ("org", "count"),
    [
        ("INTERPOL", 196),
        ("ASEANAPOL", 10),
        ("GCCPOL", 6),
        ("ECO", 10),
        ("FRONTEX", 29),
        ("AIMC", 22),
        ("AFRIPOL", 54),
        ("SCO", 10),
        ("UNODC", 193),
    ],
)
def test_membership_counts(org: str, count: int) -> None:
    """Each organization has as many members as its public source lists."""
    assert len(members(org)) == count


def test_exact_small_memberships() -> None:
    """The GCC, ECO and ASEAN lists are exactly their published members."""
    assert members("GCCPOL") == {"BHR", "KWT", "OMN", "QAT", "SAU", "ARE"}
    assert members("ECO") == {"AFG", "AZE", "IRN", "KAZ", "KGZ", "PAK", "TJK", "TUR", "TKM", "UZB"}
    assert members("ASEANAPOL") == {
        "BRN",
        "KHM",
        "IDN",
        "LAO",
        "MYS",
        "MMR",
        "PHL",
        "SGP",
        "THA",
        "VNM",
    }


def test_europol_covers_eu_and_operational_partners() -> None:
    """Every EU member state is a Europol member, and partners with operational agreements too."""
    assert members("EUROPOL") > EU
    assert {"NOR", "CHE", "ISL", "LIE", "GBR", "USA", "CAN", "AUS", "UKR"} <= members("EUROPOL")


def test_schengen_membership() -> None:
    """Frontex reach is the Schengen area: BGR and ROU in, CYP and IRL out, four associates in."""
    frontex = members("FRONTEX")
    assert {"BGR", "ROU", "ISL", "NOR", "CHE", "LIE", "HRV"} <= frontex
    assert not {"CYP", "IRL", "GBR"} & frontex
    assert frontex - {"ISL", "NOR", "CHE", "LIE"} < EU


def test_interpol_membership_edges() -> None:
    """INTERPOL includes PSE, VAT and the Dutch Caribbean NCBs, and excludes PRK, TUV and TWN."""
    interpol = members("INTERPOL")
    assert {"PSE", "VAT", "ABW", "CUW", "SXM", "PLW", "FSM", "KIR"} <= interpol
    assert not {"PRK", "TUV", "TWN", "ESH"} & interpol


def test_regional_members_are_interpol_members() -> None:
    """Every regional organization's member country also has an INTERPOL NCB."""
    for org in OrgCode:
        if org.value != "UNODC":
            assert members(org.value) <= members("INTERPOL"), org


def test_arab_and_african_edges() -> None:
    """AIMC holds PSE and SYR and all GCC states; AFRIPOL holds MAR (back in the AU since 2017)."""
    assert {"PSE", "SYR"} <= members("AIMC")
    assert members("GCCPOL") < members("AIMC")
    assert "MAR" in members("AFRIPOL")
    assert "ESH" not in members("AFRIPOL")


def test_observers_are_sco_and_unodc() -> None:
    """SCO and UNODC are the observers; SCO includes its newest members IRN and BLR."""
    assert POLICY.observers == {"SCO", "UNODC"}
    assert {"IRN", "BLR"} <= members("SCO")


def test_shipped_version_is_calver() -> None:
    """The shipped policy carries a CalVer version string that decisions will record."""
    assert re.fullmatch(r"\d{4}\.\d{1,2}\.\d+", POLICY.version)
    assert POLICY.exercise_mode is False


# --- file errors --------------------------------------------------------------------------


def line_of(text: str, needle: str, after: str = "") -> int:
    """1-based number of the first line containing ``needle`` (after the first ``after`` line)."""
    start = line_of(text, after) if after else 0
    for number, line in enumerate(text.splitlines(), start=1):
        if number > start and needle in line:
            return number
    raise AssertionError(needle)


def write(tmp_path: Path, text: str) -> Path:
    """Write a policy file under the test's folder."""
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


# id, edit of the shipped text (old -> new), text on the line the error must name, words in it
EDITS: list[tuple[str, str, str, str, str]] = [
    ("bad-country", '"BRN", "IDN"', '"BRN", "XYZ", "IDN"', '"XYZ"', "XYZ"),
    ("lowercase-country", '"BHR", "KWT", "OMN"', '"BHR", "kwt", "OMN"', '"kwt"', "alpha-3"),
    ("unknown-org", "GCCPOL = [", "GCCPOLICE = [", "GCCPOLICE = [", "GCCPOLICE"),
    ("duplicate-member", '"AFG", "AZE"', '"AFG", "AZE", "AFG"', '"AFG", "AZE", "AFG"', "twice"),
    ("bad-version", 'version = "2026.11.1"', 'version = "v2"', 'version = "v2"', "version"),
    ("unknown-key", "exercise_mode = false", "exercise = false", "exercise = false", "exercise"),
    ("bad-bool", "exercise_mode = false", 'exercise_mode = "no"', "exercise_mode", "bool"),
    (
        "unknown-observer",
        'observers = ["SCO", "UNODC"]',
        'observers = ["SCO", "NATO"]',
        "observ",
        "NATO",
    ),
    (
        "bad-originator",
        "originators_under_review = []",
        'originators_under_review = ["FRA", "NATO"]',
        "originators_under_review",
        "NATO",
    ),
    ("blank-keyword", '    "heresy",', '    "  ",', '    "  ",', "blank"),
    ("duplicate-keyword", '    "heresy",', '    "Mutiny",', '    "Mutiny",', "twice"),
    ("toml-syntax", 'version = "2026.11.1"', 'version = "2026.11.1', "version =", "TOML"),
    ("missing-org", "ECO = [", "ECO_OLD = [", "ECO_OLD = [", "ECO_OLD"),
]


@pytest.mark.parametrize(
    ("old", "new", "marker", "word"),
    [pytest.param(o, n, m, w, id=i) for i, o, n, m, w in EDITS],
)
def test_file_errors_name_the_line(
    tmp_path: Path, old: str, new: str, marker: str, word: str
) -> None:
    """A bad policy file fails with a ConfigError naming the file and the offending line."""
    assert old in SHIPPED_TEXT
    text = SHIPPED_TEXT.replace(old, new, 1)
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_policy(path)
    message = str(caught.value)
    assert f"{path}:{line_of(text, marker)}:" in message
    assert word in message
    assert caught.value.hint


@pytest.mark.parametrize(
    ("old", "new"),
    [
        pytest.param('observers = ["SCO", "UNODC"]', 'observers = ["SCO", "NATO"]', id="observer"),
        pytest.param("GCCPOL = [", "NATO = [", id="membership"),
    ],
)
def test_unknown_organization_names_the_contract_codes(tmp_path: Path, old: str, new: str) -> None:
    """An organization outside the contract's enum is refused with the list of valid codes."""
    path = write(tmp_path, SHIPPED_TEXT.replace(old, new, 1))
    with pytest.raises(ConfigError) as caught:
        load_policy(path)
    message = str(caught.value)
    assert "not an organization of the alert contract; use one of INTERPOL," in message
    assert "(got 'NATO')" in message
    assert "Value error" not in message


def test_policy_organizations_are_the_contract_enum() -> None:
    """The policy's organization type is the contract's enum itself, not a second list."""
    assert OrgCode is Org


def test_missing_org_table_entry_is_reported(tmp_path: Path) -> None:
    """Removing an organization's list is an error at the memberships table, not a silent gap."""
    start = SHIPPED_TEXT.index("ECO = [")
    end = SHIPPED_TEXT.index("]", start) + 1
    text = SHIPPED_TEXT[:start] + SHIPPED_TEXT[end:]
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match="ECO has no member list") as caught:
        load_policy(path)
    assert f"{path}:{line_of(text, '[memberships]')}:" in str(caught.value)


def test_every_problem_is_listed(tmp_path: Path) -> None:
    """Two bad codes in one file are both reported, each with its own line."""
    text = SHIPPED_TEXT.replace('"BRN", "IDN"', '"BRN", "XXA", "IDN"').replace(
        '"BHR", "KWT", "OMN"', '"BHR", "XXB", "OMN"'
    )
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_policy(path)
    message = str(caught.value)
    assert f"{path}:{line_of(text, 'XXA')}:" in message
    assert f"{path}:{line_of(text, 'XXB')}:" in message


@pytest.mark.parametrize(
    ("content", "word"),
    [
        pytest.param("", "empty", id="empty"),
        pytest.param("# only a comment\n", "empty", id="comments-only"),
        pytest.param('version = "2026.1.1"\n', "memberships", id="no-memberships"),
    ],
)
def test_degenerate_files(tmp_path: Path, content: str, word: str) -> None:
    """Empty or skeletal policy files are rejected with a clear message."""
    with pytest.raises(ConfigError, match=word):
        load_policy(write(tmp_path, content))


def test_missing_file(tmp_path: Path) -> None:
    """A policy path that does not exist is a ConfigError with a fix, not an OSError."""
    with pytest.raises(ConfigError, match="cannot read") as caught:
        read_policy_file(tmp_path / "absent.toml")
    assert "FRONTLINE_POLICY_FILE" in (caught.value.hint or "")


def test_not_utf8(tmp_path: Path) -> None:
    """A policy file that is not UTF-8 is a ConfigError."""
    path = tmp_path / "policy.toml"
    path.write_bytes(b'version = "\xff"\n')
    with pytest.raises(ConfigError, match="cannot read"):
        read_policy_file(path)


def test_edited_policy_loads_and_applies(tmp_path: Path) -> None:
    """A valid edited copy loads and its changes take effect: version and review originators."""
    text = SHIPPED_TEXT.replace('version = "2026.11.1"', 'version = "2026.12.2"').replace(
        "originators_under_review = []", 'originators_under_review = ["ECO"]'
    )
    policy = load_policy(write(tmp_path, text))
    assert policy.version == "2026.12.2"
    assert policy.review.originators == {"ECO"}


@pytest.mark.parametrize(
    ("loc", "needle", "after"),
    [
        pytest.param(("version",), "version =", "", id="top-level-key"),
        pytest.param(("memberships", "SCO", 0), '"BLR", "CHN"', "", id="array-element"),
        pytest.param(
            ("memberships", "UNODC", 150),
            '"' + sorted(members("UNODC"))[150] + '"',
            "UNODC = [",
            id="element-on-later-line",
        ),
        pytest.param(("review", "offence_keywords", 2), '"sedition"', "", id="one-per-line"),
        pytest.param(("memberships", "NOPE"), "[memberships]", "", id="absent-key-falls-to-table"),
    ],
)
def test_locate(loc: tuple[str | int, ...], needle: str, after: str) -> None:
    """The locator finds the line a pydantic error location points at in TOML text."""
    assert locate(SHIPPED_TEXT, loc) == line_of(SHIPPED_TEXT, needle, after)
