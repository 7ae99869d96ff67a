"""Topology loading: the shipped default, and line-precise errors for bad files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gateway.contract.enums import Org
from gateway.errors import ConfigError
from gateway.hub.policy.decide import load_policy
from gateway.topology import Topology, load_topology, parse_topology

ORG_CODES = {org.value for org in Org}

GOOD = """\
version = 1

[[organizations]]
code = "INTERPOL"
name = "International Criminal Police Organization"
kind = "global"

[[organizations]]
code = "EUROPOL"
name = "European Union Agency for Law Enforcement Cooperation"
kind = "regional"

[[countries]]
code = "FRA"
name = "France"

  [[countries.posts]]
  id = "CDG"
  name = "Paris Charles de Gaulle Airport"
  type = "AIRPORT"
  [countries.posts.subscribes]
  kinds = ["WANTED_PERSON", "COMMODITY"]
  commodity_categories = ["DRUGS"]

  [[countries.posts]]
  id = "FRLEH"
  name = "Port of Le Havre"
  type = "SEAPORT"

[[countries]]
code = "USA"
name = "United States of America"

  [[countries.posts]]
  id = "SYS"
  name = "San Ysidro port of entry"
  type = "LAND"
  subscribes = { kinds = ["WANTED_PERSON"], routes = ["MEX", "MXZLO"] }
"""


def _line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the n-th line containing ``needle``."""
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    return hits[occurrence - 1]


def _problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_topology(text, "topo.toml")
    return [line for line in caught.value.message.splitlines() if line.startswith("topo.toml:")]


@pytest.fixture(scope="module")
def default() -> Topology:
    return load_topology(None)


def test_default_topology_loads_with_every_organization(default: Topology) -> None:
    """The shipped topology declares exactly the eleven Dialogue organizations."""
    assert {org.code for org in default.organizations} == ORG_CODES
    assert default.organization("aimc").name == "Arab Interior Ministers Council"


def test_default_topology_spans_continents_with_several_posts_each(default: Topology) -> None:
    """The default has 30-40 countries, each with 2-4 posts, and every post type in use."""
    assert 30 <= len(default.countries) <= 40
    assert all(2 <= len(c.posts) <= 4 for c in default.countries)
    assert {p.type for _, p in default.posts()} == {"AIRPORT", "SEAPORT", "LAND", "RAIL"}
    for code in ("FRA", "NGA", "USA", "BRA", "SGP", "SAU", "IRN", "KAZ", "AUS"):
        default.country(code)


def test_default_seaports_use_their_own_countrys_locode(default: Topology) -> None:
    """Every seaport id is a UN/LOCODE starting with its country's alpha-2 code."""
    seaports = [(c, p) for c, p in default.posts() if p.type == "SEAPORT"]
    assert len(seaports) >= 30
    assert all(p.id[:2] == c.alpha2 for c, p in seaports)


def test_post_lookup_by_qualified_or_unique_id(default: Topology) -> None:
    """A post is found by ISO3.POST or by a unique id; an id used twice is ambiguous."""
    country, post = default.post("USA.SYS")
    assert (country.code, post.type) == ("USA", "LAND")
    assert default.post("sys")[1] is post
    with pytest.raises(KeyError, match="ambiguous"):
        default.post("TORKHAM")
    assert default.post("AFG.TORKHAM")[0].code == "AFG"
    with pytest.raises(KeyError, match="not in the topology"):
        default.post("FRA.NOPE")


def test_unknown_country_lookup_is_a_key_error(default: Topology) -> None:
    """Asking for a country that is not in the topology raises KeyError naming it."""
    with pytest.raises(KeyError, match="ATA"):
        default.country("ATA")


def test_small_file_parses_inline_and_table_subscriptions() -> None:
    """Both the sub-table and the inline-table forms of ``subscribes`` are read."""
    topology = parse_topology(GOOD)
    assert topology.post("FRA.CDG")[1].subscribes.commodity_categories == ("DRUGS",)
    assert topology.post("SYS")[1].subscribes.routes == ("MEX", "MXZLO")
    assert topology.post("FRLEH")[1].subscribes.kinds == ("WANTED_PERSON", "COMMODITY")


def test_bad_country_code_is_reported_on_its_line() -> None:
    """A code that is not ISO 3166-1 alpha-3 is reported with its file line and path."""
    text = GOOD.replace('code = "USA"', 'code = "XYZ"')
    assert _problems(text) == [
        f"topo.toml:{_line_of(text, 'XYZ')}: countries[1].code: "
        "'XYZ' is not an ISO 3166-1 alpha-3 country code"
    ]


def test_alpha2_country_code_suggests_the_alpha3() -> None:
    """An alpha-2 code is rejected with the alpha-3 code to use instead."""
    text = GOOD.replace('code = "USA"', 'code = "US"')
    (problem,) = _problems(text)
    assert "use the alpha-3 code 'USA'" in problem


def test_duplicate_post_id_is_reported_on_the_second_id_line() -> None:
    """Two posts with one id in a country are an error at the second one's id line."""
    text = GOOD.replace('id = "FRLEH"', 'id = "CDG"').replace('"SEAPORT"', '"AIRPORT"')
    second = _line_of(text, 'id = "CDG"', 2)
    assert _problems(text) == [
        f"topo.toml:{second}: countries[0].posts[1].id: duplicate post id 'CDG' in FRA"
    ]


def test_unknown_organization_code_is_reported_on_its_line() -> None:
    """An organization code outside the Dialogue list is rejected at its line."""
    text = GOOD.replace('code = "EUROPOL"', 'code = "NATO"')
    (problem,) = _problems(text)
    assert problem.startswith(f"topo.toml:{_line_of(text, 'NATO')}: organizations[1].code: ")
    assert "(got 'NATO')" in problem
    assert "not an organization of the alert contract; use one of INTERPOL, EUROPOL," in problem


def test_a_subscription_names_only_contract_organizations() -> None:
    """A post subscribing to an organization unknown to the contract is refused at its line."""
    text = GOOD.replace(
        'kinds = ["WANTED_PERSON"],', 'kinds = ["WANTED_PERSON"], organizations = ["NATO"],'
    )
    (problem,) = _problems(text)
    assert "subscribes.organizations[0]: not an organization of the alert contract" in problem


def test_topology_observers_are_the_policy_observers(default: Topology) -> None:
    """The shipped topology describes as observers exactly the policy file's observers."""
    policy = load_policy(None)
    described = {org.code for org in default.organizations if org.kind == "observer"}
    assert described == set(policy.observers)


def test_undeclared_organization_in_a_subscription_is_reported() -> None:
    """A post subscribing to a valid but undeclared organization points at the inline table."""
    text = GOOD.replace(
        'kinds = ["WANTED_PERSON"],', 'kinds = ["WANTED_PERSON"], organizations = ["ECO"],'
    )
    assert _problems(text) == [
        f"topo.toml:{_line_of(text, 'organizations = [')}: "
        "countries[1].posts[0].subscribes.organizations[0]: organization 'ECO' is not declared"
    ]


def test_unknown_post_type_is_reported_on_its_line() -> None:
    """A post type outside AIRPORT/SEAPORT/LAND/RAIL is reported at its type line."""
    text = GOOD.replace('type = "LAND"', 'type = "BRIDGE"')
    (problem,) = _problems(text)
    assert problem.startswith(f"topo.toml:{_line_of(text, 'BRIDGE')}: countries[1].posts[0].type: ")
    assert "'AIRPORT', 'SEAPORT', 'LAND' or 'RAIL' (got 'BRIDGE')" in problem


def test_bad_item_in_a_list_names_its_index() -> None:
    """A wrong alert kind inside the kinds list is reported with its index and line."""
    text = GOOD.replace(
        'kinds = ["WANTED_PERSON", "COMMODITY"]', 'kinds = ["WANTED_PERSON", "GOSSIP"]'
    )
    (problem,) = _problems(text)
    assert problem.startswith(
        f"topo.toml:{_line_of(text, 'GOSSIP')}: countries[0].posts[0].subscribes.kinds[1]: "
    )


def test_seaport_locode_of_another_country_is_rejected() -> None:
    """A seaport id must be a UN/LOCODE of its own country."""
    text = GOOD.replace('id = "FRLEH"', 'id = "NLRTM"')
    assert _problems(text) == [
        f"topo.toml:{_line_of(text, 'NLRTM')}: countries[0].posts[1].id: "
        "seaport UN/LOCODE 'NLRTM' must start with 'FR' (FRA)"
    ]


def test_misspelled_key_is_an_error_not_a_default() -> None:
    """An unknown key (a typo) is rejected at its line instead of being ignored."""
    text = GOOD.replace("commodity_categories =", "comodity_categories =")
    (problem,) = _problems(text)
    path = "countries[0].posts[0].subscribes.comodity_categories"
    assert problem.startswith(f"topo.toml:{_line_of(text, 'comodity')}: {path}: ")


def test_post_id_unusable_in_a_topic_name_is_rejected() -> None:
    """A post id with a dot or lower case would break fl.post.<ISO3>.<POST>: rejected."""
    text = GOOD.replace('id = "SYS"', 'id = "San.Ysidro"')
    (problem,) = _problems(text)
    assert f"topo.toml:{_line_of(text, 'San.Ysidro')}: countries[1].posts[0].id: " in problem


def test_every_problem_is_listed_sorted_by_line() -> None:
    """Several independent mistakes are all reported, in file order."""
    text = GOOD.replace('code = "USA"', 'code = "XYZ"').replace('type = "AIRPORT"', 'type = "X"')
    lines = [int(p.split(":")[1]) for p in _problems(text)]
    assert lines == sorted(lines)
    assert len(lines) == 2


def test_toml_syntax_error_reports_its_line() -> None:
    """Broken TOML syntax is a ConfigError naming the line, not a crash."""
    text = GOOD.replace('name = "France"', 'name = "France')
    with pytest.raises(ConfigError) as caught:
        parse_topology(text, "topo.toml")
    assert re.match(rf"topo\.toml:{_line_of(text, 'France')}: not valid TOML", caught.value.message)


def test_missing_file_is_a_config_error_with_a_fix(tmp_path: Path) -> None:
    """A topology path that does not exist gives a ConfigError whose hint names the setting."""
    with pytest.raises(ConfigError) as caught:
        load_topology(tmp_path / "absent.toml")
    assert "absent.toml" in caught.value.message
    assert caught.value.hint is not None
    assert "FRONTLINE_TOPOLOGY_FILE" in caught.value.hint


def test_file_path_appears_in_errors(tmp_path: Path) -> None:
    """Errors from load_topology name the file that was read."""
    path = tmp_path / "mine.toml"
    path.write_text(GOOD.replace("version = 1", "version = 2"), encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(f"{path}:1: version: ")):
        load_topology(path)


def test_topology_is_immutable(default: Topology) -> None:
    """The loaded topology cannot be changed in place by a component."""
    with pytest.raises(ValueError, match="frozen"):
        default.countries[0].posts[0].name = "changed"  # type: ignore[misc]  # the point of the test
