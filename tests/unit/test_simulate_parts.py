"""Pieces of the exercise that need no broker: country choice, variants, quantiles, report."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from gateway.contract import PersonAction, PersonCategory, WantedPerson
from gateway.hub.policy.decide import load_policy
from gateway.simulate.report import AccountingCheck, OrgCounts, Report, Series, write_report
from gateway.simulate.scenario import subset_topology, write_topology
from gateway.simulate.stats import quantiles
from gateway.simulate.variants import TravellerFactory, name_variant
from gateway.topology import load_topology

PERSON = WantedPerson(
    family_name="Haddad",
    given_names="Omar Khalil",
    family_name_original="حداد",
    given_names_original="عمر خليل",
    category=PersonCategory.FOREIGN_TERRORIST_FIGHTER,
    action=PersonAction.ARREST,
)


def test_small_exercise_spans_regional_organizations() -> None:
    """Six countries are drawn from six different regional organizations' members."""
    policy = load_policy()
    topo = subset_topology(load_topology(), policy, countries=6, posts_per_country=1, seed=3)
    assert len(topo.countries) == 6
    orgs = ("EUROPOL", "AFRIPOL", "AMERIPOL", "ASEANAPOL", "GCCPOL", "ECO")
    for org in orgs:
        assert any(c.code in policy.members(org) for c in topo.countries), org
    assert all(len(c.posts) == 1 for c in topo.countries)


def test_subset_topology_round_trips_through_toml(tmp_path: Path) -> None:
    """The topology written for child processes loads back equal."""
    topo = subset_topology(load_topology(), load_policy(), countries=4, posts_per_country=2, seed=1)
    path = write_topology(topo, tmp_path / "topology.toml")
    assert load_topology(path) == topo


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("exact", "Omar Khalil Haddad"),
        ("swapped", "Haddad Omar Khalil"),
        ("dropped_middle", "Omar Haddad"),
        ("original_script", "عمر خليل حداد"),
    ],
)
def test_name_variants(kind: str, expected: str) -> None:
    """Each deterministic variant rewrites the name the way its kind says."""
    assert name_variant(random.Random(0), PERSON, kind) == expected


def test_typo_variant_changes_one_word_slightly() -> None:
    """A typo variant differs from the exact name but keeps its words' count."""
    typo = name_variant(random.Random(5), PERSON, "typo")
    assert typo != "Omar Khalil Haddad"
    assert len(typo.split()) == 3


def test_planted_traveller_names_its_alert() -> None:
    """A planted traveller carries the alert id it should hit; an ordinary one carries none."""
    factory = TravellerFactory(seed=1)
    assert factory.planted("INTERPOL:2021/1", PERSON).planted == "INTERPOL:2021/1"
    assert factory.ordinary().planted is None


def test_quantiles_nearest_rank() -> None:
    """p50/p99/max follow the nearest-rank definition; an empty sample gives None."""
    q = quantiles([float(i) for i in range(1, 101)])
    assert (q.p50_ms, q.p95_ms, q.p99_ms, q.max_ms, q.count) == (50.0, 95.0, 99.0, 100.0, 100)
    assert quantiles([]).p99_ms is None


def test_report_written_as_json_and_html(tmp_path: Path) -> None:
    """A failing accounting check shows in the JSON verdict and the HTML page."""
    report = Report(
        run={"started": "now", "duration_s": 1, "rate": 1, "countries": 1, "posts": 1, "seed": 1,
             "kafka_version": "4.4.0"},
        organizations={"INTERPOL": OrgCounts(issued=2, published=1, quarantined=0)},
        hub={"deliveries_by_org": {"INTERPOL": 3}},
        latency={"end_to_end": quantiles([10.0, 20.0])},
        screening={"queries": 0},
        accounting=[AccountingCheck(name="issued", ok=False, detail="2 != 1 + 0")],
        series=Series(e2e_latency=[(0.1, 10.0), (0.2, 20.0)]),
    )  # fmt: skip
    json_path, html_path = write_report(report, tmp_path)
    assert not report.ok
    assert json.loads(json_path.read_text())["accounting"][0]["ok"] is False
    html = html_path.read_text()
    assert "FAILED" in html
    assert "data:image/png;base64," in html


def test_report_header_names_the_cluster_the_hub_instances_and_the_steady_phase(
    tmp_path: Path,
) -> None:
    """A run on three brokers with two hubs and a steady phase says so under the title; a
    plain run's header names none of them."""
    run = {"started": "now", "duration_s": 60, "rate": 10, "countries": 1, "posts": 1,
           "seed": 1, "kafka_version": "4.4.0"}  # fmt: skip
    rest: dict[str, Any] = {
        "organizations": {}, "hub": {}, "latency": {}, "screening": {}, "accounting": [],
    }  # fmt: skip
    special = Report(run=run | {"brokers": 3, "hubs": 2, "steady_after_s": 15.0}, **rest)
    plain = Report(run=run | {"steady_after_s": "never"}, **rest)
    _, html_path = write_report(special, tmp_path / "special")
    header = html_path.read_text().split('<p class="verdict')[0]
    assert "3 brokers" in header
    assert "2 hub instances" in header
    assert "steady from 15.0 s" in header
    _, html_path = write_report(plain, tmp_path / "plain")
    header = html_path.read_text().split('<p class="verdict')[0]
    assert "brokers" not in header
    assert "steady" not in header
