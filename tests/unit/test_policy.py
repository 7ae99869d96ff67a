"""Table-driven tests of the sharing policy: every TLP label against reach, restrictions,
deny lists, status, expiry and observers, plus properties that must hold for any alert."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.hub.policy.decide import (
    Decision,
    DenyReason,
    Feed,
    OrgCode,
    Policy,
    PolicyFile,
    RoutingFacts,
    load_policy,
)

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

# A small world whose memberships a reader can hold in mind while reading the table.
SMALL_MEMBERS: dict[str, list[str]] = {
    "INTERPOL": [
        "FRA",
        "DEU",
        "ITA",
        "THA",
        "VNM",
        "SAU",
        "ARE",
        "USA",
        "BRA",
        "KEN",
        "NGA",
        "CHN",
    ],
    "EUROPOL": ["FRA", "DEU", "ITA", "USA"],
    "FRONTEX": ["FRA", "DEU", "ITA"],
    "AFRIPOL": ["KEN", "NGA", "EGY"],
    "AMERIPOL": ["USA", "BRA"],
    "ASEANAPOL": ["THA", "VNM"],
    "GCCPOL": ["SAU", "ARE"],
    "AIMC": ["SAU", "ARE", "EGY"],
    "ECO": ["TUR"],
    "SCO": ["CHN", "RUS"],
    "UNODC": ["FRA", "DEU", "ITA", "THA", "VNM", "SAU", "ARE", "USA", "BRA", "KEN", "NGA", "CHN"],
}
# Countries with a national node: every INTERPOL member here plus EGY, which is not one.
CANDIDATES = frozenset(SMALL_MEMBERS["INTERPOL"]) | {"EGY"}
INTERPOL = frozenset(SMALL_MEMBERS["INTERPOL"])


def small_policy(**overrides: Any) -> Policy:
    """A compiled policy over the small world, with top-level fields overridden."""
    raw: dict[str, Any] = {
        "version": "2026.11.7",
        "observers": ["SCO", "UNODC"],
        "memberships": SMALL_MEMBERS,
        "review": {
            "offence_keywords": ["blasphemy", "insult to the head of state", "political"],
            "originators_under_review": [],
        },
    }
    raw.update(overrides)
    return Policy(PolicyFile.model_validate(raw))


def facts(**changes: Any) -> RoutingFacts:
    """An INTERPOL GREEN actual wanted-person alert from FRA, changed as the case says."""
    base = RoutingFacts(
        alert_id="A-1",
        version=1,
        source_org="INTERPOL",
        originating_country="FRA",
        msg_type="ALERT",
        status="ACTUAL",
        tlp="GREEN",
        kind="WANTED_PERSON",
        expires_at=NOW + timedelta(days=30),
    )
    for key in ("release_to_countries", "release_to_orgs", "deny_countries", "deny_orgs"):
        if key in changes:
            changes[key] = frozenset(changes[key])
    return replace(base, **changes)


def assert_partition(decision: Decision, candidates: frozenset[str]) -> None:
    """Every candidate is either a recipient or denied with one reason, never both."""
    assert decision.recipients | decision.denied.keys() == candidates
    assert not decision.recipients & decision.denied.keys()


P = DenyReason
A_STRICT = "AMBER_STRICT"

# id, alert changes, expected recipients, reasons expected for some denied candidates.
CASES: list[tuple[str, dict[str, Any], set[str], dict[str, DenyReason]]] = [
    # default reach
    ("clear-interpol-all-members", {"tlp": "CLEAR"}, set(INTERPOL), {"EGY": P.NOT_IN_REACH}),
    ("green-interpol-all-members", {}, set(INTERPOL), {"EGY": P.NOT_IN_REACH}),
    (
        "green-regional-members-only",
        {"source_org": "ASEANAPOL", "originating_country": "THA"},
        {"THA", "VNM"},
        {"FRA": P.NOT_IN_REACH, "SAU": P.NOT_IN_REACH},
    ),
    (
        "green-regional-released-country",
        {"source_org": "ASEANAPOL", "release_to_countries": {"FRA"}},
        {"THA", "VNM", "FRA"},
        {"DEU": P.NOT_IN_REACH},
    ),
    (
        "green-regional-released-org",
        {"source_org": "ASEANAPOL", "release_to_orgs": {"GCCPOL"}},
        {"THA", "VNM", "SAU", "ARE"},
        {"FRA": P.NOT_IN_REACH},
    ),
    (
        "clear-regional-released-org",
        {"tlp": "CLEAR", "source_org": "AFRIPOL", "release_to_orgs": {"AIMC"}},
        {"KEN", "NGA", "EGY", "SAU", "ARE"},
        {"THA": P.NOT_IN_REACH},
    ),
    (
        "green-unknown-release-org-adds-nobody",
        {"source_org": "ASEANAPOL", "release_to_orgs": {"NATO"}},
        {"THA", "VNM"},
        {"FRA": P.NOT_IN_REACH},
    ),
    # AMBER: the default reach, narrowed to the named recipients when the originator names any
    (
        "amber-regional-default",
        {"tlp": "AMBER", "source_org": "ASEANAPOL"},
        {"THA", "VNM"},
        {"FRA": P.NOT_IN_REACH},
    ),
    ("amber-interpol-default", {"tlp": "AMBER"}, set(INTERPOL), {"EGY": P.NOT_IN_REACH}),
    (
        "amber-named-countries-narrow",
        {"tlp": "AMBER", "release_to_countries": {"FRA", "THA"}},
        {"FRA", "THA"},
        {"DEU": P.TLP_AMBER_RESTRICTED, "EGY": P.NOT_IN_REACH},
    ),
    (
        "amber-named-org-narrows",
        {"tlp": "AMBER", "release_to_orgs": {"GCCPOL"}},
        {"SAU", "ARE"},
        {"FRA": P.TLP_AMBER_RESTRICTED, "THA": P.TLP_AMBER_RESTRICTED},
    ),
    (
        "amber-regional-named-outsider-only",
        {"tlp": "AMBER", "source_org": "ASEANAPOL", "release_to_countries": {"FRA"}},
        {"FRA"},
        {"THA": P.TLP_AMBER_RESTRICTED, "DEU": P.NOT_IN_REACH},
    ),
    (
        "amber-regional-names-itself-and-outsider",
        {
            "tlp": "AMBER",
            "source_org": "ASEANAPOL",
            "release_to_orgs": {"ASEANAPOL"},
            "release_to_countries": {"FRA"},
        },
        {"THA", "VNM", "FRA"},
        {"DEU": P.NOT_IN_REACH},
    ),
    # AMBER+STRICT: the source organization's members, possibly narrowed, never beyond
    (
        "amber-strict-members-only",
        {"tlp": A_STRICT, "source_org": "EUROPOL"},
        {"FRA", "DEU", "ITA", "USA"},
        {"THA": P.TLP_AMBER_STRICT_NOT_MEMBER, "EGY": P.TLP_AMBER_STRICT_NOT_MEMBER},
    ),
    (
        "amber-strict-release-never-widens",
        {"tlp": A_STRICT, "source_org": "EUROPOL", "release_to_countries": {"FRA", "THA"}},
        {"FRA"},
        {"THA": P.TLP_AMBER_STRICT_NOT_MEMBER, "DEU": P.TLP_AMBER_RESTRICTED},
    ),
    (
        "amber-strict-release-org-outside",
        {"tlp": A_STRICT, "source_org": "GCCPOL", "release_to_orgs": {"ASEANAPOL"}},
        set(),
        {"SAU": P.TLP_AMBER_RESTRICTED, "THA": P.TLP_AMBER_STRICT_NOT_MEMBER},
    ),
    (
        "amber-strict-interpol-all-members",
        {"tlp": A_STRICT},
        set(INTERPOL),
        {"EGY": P.TLP_AMBER_STRICT_NOT_MEMBER},
    ),
    # RED: named countries only
    (
        "red-named-only",
        {"tlp": "RED", "release_to_countries": {"FRA", "KEN"}},
        {"FRA", "KEN"},
        {"DEU": P.TLP_RED_NOT_NAMED, "EGY": P.TLP_RED_NOT_NAMED},
    ),
    (
        "red-release-orgs-name-nobody",
        {"tlp": "RED", "release_to_orgs": {"GCCPOL"}},
        set(),
        {"SAU": P.TLP_RED_NOT_NAMED, "FRA": P.TLP_RED_NOT_NAMED},
    ),
    (
        "red-regional-may-name-outsider",
        {"tlp": "RED", "source_org": "ASEANAPOL", "release_to_countries": {"EGY"}},
        {"EGY"},
        {"THA": P.TLP_RED_NOT_NAMED},
    ),
    ("red-nobody-named", {"tlp": "RED"}, set(), {"FRA": P.TLP_RED_NOT_NAMED}),
    # deny lists always win
    (
        "deny-country-green",
        {"deny_countries": {"FRA"}},
        set(INTERPOL - {"FRA"}),
        {"FRA": P.DENY_LIST_COUNTRY},
    ),
    (
        "deny-country-over-red-name",
        {"tlp": "RED", "release_to_countries": {"FRA", "DEU"}, "deny_countries": {"FRA"}},
        {"DEU"},
        {"FRA": P.DENY_LIST_COUNTRY},
    ),
    (
        "deny-country-over-amber-name",
        {"tlp": "AMBER", "release_to_countries": {"FRA", "DEU"}, "deny_countries": {"DEU"}},
        {"FRA"},
        {"DEU": P.DENY_LIST_COUNTRY, "ITA": P.TLP_AMBER_RESTRICTED},
    ),
    (
        "deny-country-amber-strict",
        {"tlp": A_STRICT, "source_org": "EUROPOL", "deny_countries": {"USA"}},
        {"FRA", "DEU", "ITA"},
        {"USA": P.DENY_LIST_COUNTRY},
    ),
    (
        "deny-org-green",
        {"deny_orgs": {"GCCPOL"}},
        set(INTERPOL - {"SAU", "ARE"}),
        {"SAU": P.DENY_LIST_ORG, "ARE": P.DENY_LIST_ORG},
    ),
    (
        "deny-org-over-released-org",
        {"source_org": "ASEANAPOL", "release_to_orgs": {"GCCPOL"}, "deny_orgs": {"GCCPOL"}},
        {"THA", "VNM"},
        {"SAU": P.DENY_LIST_ORG, "FRA": P.NOT_IN_REACH},
    ),
    (
        "deny-org-covers-non-member-candidate",
        {"tlp": "CLEAR", "source_org": "AFRIPOL", "deny_orgs": {"AIMC"}},
        {"KEN", "NGA"},
        {"EGY": P.DENY_LIST_ORG, "SAU": P.DENY_LIST_ORG},
    ),
    (
        "deny-country-reported-before-org",
        {"deny_countries": {"SAU"}, "deny_orgs": {"GCCPOL"}},
        set(INTERPOL - {"SAU", "ARE"}),
        {"SAU": P.DENY_LIST_COUNTRY, "ARE": P.DENY_LIST_ORG},
    ),
    (
        "deny-own-org-empties-reach",
        {"source_org": "ASEANAPOL", "deny_orgs": {"ASEANAPOL"}},
        set(),
        {"THA": P.DENY_LIST_ORG, "FRA": P.NOT_IN_REACH},
    ),
    (
        "deny-unknown-org-fails-closed",
        {"deny_orgs": {"NATO"}},
        set(),
        {"FRA": P.DENY_LIST_UNRESOLVED, "EGY": P.DENY_LIST_UNRESOLVED},
    ),
    # status, message type, expiry
    ("exercise-reaches-nobody", {"status": "EXERCISE"}, set(), {"FRA": P.NON_ACTUAL_STATUS}),
    ("test-reaches-nobody", {"status": "TEST"}, set(), {"FRA": P.NON_ACTUAL_STATUS}),
    ("cancel-reaches-nobody", {"msg_type": "CANCEL"}, set(), {"FRA": P.CANCELLED}),
    ("update-routes-like-alert", {"msg_type": "UPDATE"}, set(INTERPOL), {"EGY": P.NOT_IN_REACH}),
    ("expired-yesterday", {"expires_at": NOW - timedelta(days=1)}, set(), {"FRA": P.EXPIRED}),
    ("expires-exactly-now", {"expires_at": NOW}, set(), {"FRA": P.EXPIRED}),
    ("expires-in-a-second", {"expires_at": NOW + timedelta(seconds=1)}, set(INTERPOL), {}),
    ("no-expiry", {"expires_at": None}, set(INTERPOL), {}),
    (
        "naive-expiry-taken-as-utc",
        {"expires_at": datetime(2026, 11, 20, 11, 59)},
        set(),
        {"FRA": P.EXPIRED},
    ),
    (
        "other-zone-expiry-compared-as-instants",
        {"expires_at": datetime(2026, 11, 20, 16, 59, tzinfo=timezone(timedelta(hours=5)))},
        set(),
        {"FRA": P.EXPIRED},
    ),
    # observers, unknown and invalid input
    (
        "observer-wanted-person-refused",
        {"source_org": "SCO", "originating_country": "CHN"},
        set(),
        {"CHN": P.OBSERVER_OPERATIONAL},
    ),
    (
        "observer-commodity-refused",
        {"source_org": "UNODC", "kind": "COMMODITY"},
        set(),
        {"FRA": P.OBSERVER_OPERATIONAL},
    ),
    (
        "observer-threat-assessment-routed",
        {"source_org": "UNODC", "kind": "THREAT_ASSESSMENT"},
        set(SMALL_MEMBERS["UNODC"]),
        {"EGY": P.NOT_IN_REACH},
    ),
    (
        "member-threat-assessment-routed",
        {"source_org": "GCCPOL", "kind": "THREAT_ASSESSMENT", "tlp": "AMBER"},
        {"SAU", "ARE"},
        {"FRA": P.NOT_IN_REACH},
    ),
    ("unknown-source-org", {"source_org": "NATO"}, set(), {"FRA": P.UNKNOWN_SOURCE_ORG}),
    ("invalid-tlp", {"tlp": "PURPLE"}, set(), {"FRA": P.INVALID_FACTS}),
    ("invalid-status", {"status": "DRAFT"}, set(), {"FRA": P.INVALID_FACTS}),
    ("invalid-kind", {"kind": "RECIPE"}, set(), {"FRA": P.INVALID_FACTS}),
    ("invalid-msg-type", {"msg_type": "ACK"}, set(), {"FRA": P.INVALID_FACTS}),
]


@pytest.mark.parametrize(
    ("changes", "recipients", "reasons"),
    [pytest.param(c, r, d, id=i) for i, c, r, d in CASES],
)
def test_decision_table(
    changes: dict[str, Any], recipients: set[str], reasons: dict[str, DenyReason]
) -> None:
    """An alert reaches exactly the expected nodes; every other node gets the expected reason."""
    decision = small_policy().decide(facts(**changes), CANDIDATES, NOW)
    assert decision.recipients == recipients
    assert_partition(decision, CANDIDATES)
    for country, reason in reasons.items():
        assert decision.denied[country] is reason, country


@pytest.mark.parametrize(
    ("tlp", "blocker", "reason"),
    [
        pytest.param(tlp, blocker, reason, id=f"{tlp}-{blocker}")
        for tlp, (blocker, reason) in itertools.product(
            ["CLEAR", "GREEN", "AMBER", "AMBER_STRICT", "RED"],
            [
                ("exercise", P.NON_ACTUAL_STATUS),
                ("test", P.NON_ACTUAL_STATUS),
                ("expired", P.EXPIRED),
                ("cancel", P.CANCELLED),
            ],
        )
    ],
)
def test_status_expiry_and_cancel_block_every_tlp(
    tlp: str, blocker: str, reason: DenyReason
) -> None:
    """Whatever its TLP, a non-actual, expired or cancelled alert reaches nobody."""
    changes: dict[str, dict[str, Any]] = {
        "exercise": {"status": "EXERCISE"},
        "test": {"status": "TEST"},
        "expired": {"expires_at": NOW - timedelta(minutes=1)},
        "cancel": {"msg_type": "CANCEL"},
    }
    change = changes[blocker]
    alert = facts(tlp=tlp, release_to_countries={"FRA", "THA"}, **change)
    decision = small_policy().decide(alert, CANDIDATES, NOW)
    assert decision.recipients == frozenset()
    assert set(decision.denied.values()) == {reason}
    assert decision.denied.keys() == CANDIDATES


def test_exercise_mode_routes_exercises_to_the_exercise_feed() -> None:
    """In exercise mode an EXERCISE alert is routed normally but marked for the exercise feed."""
    decision = small_policy(exercise_mode=True).decide(facts(status="EXERCISE"), CANDIDATES, NOW)
    assert decision.recipients == INTERPOL
    assert decision.feed is Feed.EXERCISE


def test_actual_alerts_are_for_the_actual_feed() -> None:
    """An ACTUAL alert's decision names the ACTUAL feed, also in exercise mode."""
    decision = small_policy(exercise_mode=True).decide(facts(), CANDIDATES, NOW)
    assert decision.feed is Feed.ACTUAL


def test_non_candidates_never_appear() -> None:
    """A member without a national node is neither a recipient nor denied: only candidates count."""
    decision = small_policy().decide(facts(), {"FRA", "EGY"}, NOW)
    assert decision.recipients == {"FRA"}
    assert dict(decision.denied) == {"EGY": P.NOT_IN_REACH}


def test_decision_records_policy_version() -> None:
    """Every decision carries the version of the policy that made it, for the audit record."""
    assert small_policy().decide(facts(), CANDIDATES, NOW).policy_version == "2026.11.7"


def test_audit_fields_group_denials_by_reason() -> None:
    """The audit view lists sorted recipients and denied countries grouped by reason code."""
    alert = facts(tlp="AMBER", release_to_countries={"THA", "FRA"}, deny_countries={"FRA"})
    audit = small_policy().decide(alert, {"FRA", "THA", "DEU", "EGY"}, NOW).audit_fields()
    assert audit == {
        "policy_version": "2026.11.7",
        "feed": "ACTUAL",
        "recipients": ["THA"],
        "denied": {
            "DENY_LIST_COUNTRY": ["FRA"],
            "NOT_IN_REACH": ["EGY"],
            "TLP_AMBER_RESTRICTED": ["DEU"],
        },
        "hold_for_review": None,
    }


def test_reasons_mapping_matches_denied() -> None:
    """The grouped ``reasons`` view holds the same countries as ``denied``, by reason."""
    decision = small_policy().decide(facts(deny_orgs={"GCCPOL"}), CANDIDATES, NOW)
    regrouped: dict[DenyReason, set[str]] = {}
    for country, reason in decision.denied.items():
        regrouped.setdefault(reason, set()).add(country)
    assert {k: set(v) for k, v in decision.reasons.items()} == regrouped


# --- neutrality review ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offences", "originators", "changes", "rule"),
    [
        pytest.param(("Blasphemy",), [], {}, "offence:blasphemy", id="keyword-case-insensitive"),
        pytest.param(
            ("murder", "INSULT TO THE  HEAD OF STATE"),
            [],
            {},
            "offence:insult to the head of state",
            id="second-offence-spaces-folded",
        ),
        pytest.param(
            ("politically motivated arson",), [], {}, "offence:political", id="word-prefix"
        ),
        pytest.param(("apolitical fraud",), [], {}, None, id="not-inside-a-word"),
        pytest.param(("murder", "drug trafficking"), [], {}, None, id="ordinary-crime-flows"),
        pytest.param(("murder",), ["FRA"], {}, "originator:FRA", id="originating-country"),
        pytest.param(("murder",), ["INTERPOL"], {}, "originator:INTERPOL", id="originating-org"),
        pytest.param(
            ("blasphemy",), ["FRA"], {}, "originator:FRA", id="originator-rule-named-first"
        ),
        pytest.param(("blasphemy",), [], {"msg_type": "CANCEL"}, None, id="cancel-not-held"),
        pytest.param(
            ("blasphemy",),
            [],
            {"expires_at": NOW - timedelta(days=1)},
            None,
            id="expired-not-held",
        ),
        pytest.param(
            ("blasphemy",), [], {"tlp": "RED"}, None, id="nothing-to-deliver-nothing-to-hold"
        ),
    ],
)
def test_review_hold(
    offences: tuple[str, ...], originators: list[str], changes: dict[str, Any], rule: str | None
) -> None:
    """An alert that would be delivered is held under the first review rule it matches."""
    policy = small_policy(
        review={
            "offence_keywords": ["blasphemy", "insult to the head of state", "political"],
            "originators_under_review": originators,
        }
    )
    decision = policy.decide(facts(offences=offences, **changes), CANDIDATES, NOW)
    assert decision.hold_for_review == rule


def test_held_alert_keeps_its_recipients() -> None:
    """A held alert still names who an approval would release it to."""
    decision = small_policy().decide(facts(offences=("blasphemy",)), CANDIDATES, NOW)
    assert decision.hold_for_review == "offence:blasphemy"
    assert decision.recipients == INTERPOL


@pytest.mark.parametrize(
    ("offence", "held"),
    [
        ("Insult to the head of state", True),
        ("Lèse-majesté", True),
        ("Desertion from the armed forces", True),
        ("Blasphemy", True),
        ("Apostasy", True),
        ("Illegal assembly", True),
        ("Political offence", True),
        ("Draft evasion", True),
        ("Murder", False),
        ("Drug trafficking", False),
        ("Armed robbery", False),
        ("Financing of terrorism", False),
        ("Trafficking in human beings", False),
    ],
)
def test_shipped_review_rules(offence: str, held: bool) -> None:
    """Shipped rules hold Article 3 offences (political, military, religious), not ordinary ones."""
    policy = load_policy(None)
    decision = policy.decide(facts(offences=(offence,)), policy.members("INTERPOL"), NOW)
    assert (decision.hold_for_review is not None) is held


# --- properties ---------------------------------------------------------------------------

SHIPPED = load_policy(None)
ALL_CANDIDATES = SHIPPED.members("INTERPOL") | {"TWN", "ESH", "PRK"}
POOL = [*sorted(SHIPPED.members("INTERPOL"))[:60], "SAU", "ARE", "THA", "VNM", "USA", "PRK"]
codes = st.frozensets(st.sampled_from(POOL), max_size=6)
orgs = st.frozensets(st.sampled_from([o.value for o in OrgCode]), max_size=3)

alerts = st.builds(
    RoutingFacts,
    alert_id=st.just("A-9"),
    version=st.integers(1, 5),
    source_org=st.sampled_from([o.value for o in OrgCode]),
    originating_country=st.sampled_from(POOL),
    msg_type=st.sampled_from(["ALERT", "UPDATE", "CANCEL"]),
    status=st.sampled_from(["ACTUAL", "ACTUAL", "EXERCISE", "TEST"]),
    tlp=st.sampled_from(["CLEAR", "GREEN", "AMBER", "AMBER_STRICT", "RED"]),
    kind=st.sampled_from(["WANTED_PERSON", "COMMODITY", "THREAT_ASSESSMENT"]),
    expires_at=st.one_of(
        st.none(), st.builds(lambda h: NOW + timedelta(hours=h), st.integers(-48, 48))
    ),
    release_to_countries=codes,
    release_to_orgs=orgs,
    deny_countries=codes,
    deny_orgs=orgs,
    offences=st.just(()),
)


@settings(max_examples=400, deadline=None)
@given(alert=alerts)
def test_properties_hold_for_any_alert(alert: RoutingFacts) -> None:
    """Deny lists always win, RED stays with named countries, AMBER+STRICT with members,
    expired and non-actual alerts reach nobody, and every candidate is accounted for."""
    decision = SHIPPED.decide(alert, ALL_CANDIDATES, NOW)
    got = decision.recipients
    assert_partition(decision, ALL_CANDIDATES)
    assert not got & alert.deny_countries
    for org in alert.deny_orgs:
        assert not got & SHIPPED.members(org)
    if alert.tlp == "RED":
        assert got <= alert.release_to_countries
    if alert.tlp == "AMBER_STRICT":
        assert got <= SHIPPED.members(alert.source_org)
    if alert.expires_at is not None and alert.expires_at <= NOW:
        assert not got
    if alert.status != "ACTUAL" or alert.msg_type == "CANCEL":
        assert not got
    if alert.source_org in SHIPPED.observers and alert.kind != "THREAT_ASSESSMENT":
        assert not got
    if alert.tlp != "RED":
        reach = SHIPPED.members(alert.source_org) | alert.release_to_countries
        for org in alert.release_to_orgs:
            reach |= SHIPPED.members(org)
        assert got <= reach
