"""The hub's per-record decisions without Kafka: spoofing, versions, revocation, links, review."""

from __future__ import annotations

from functools import cache
from typing import Any

import orjson

from gateway.contract import AlertKind
from gateway.hub.audit import Action
from gateway.hub.policy.decide import Policy, load_policy
from gateway.hub.route import Effects, Inbound, expire, review_verdict, route
from gateway.hub.state import AlertState, StateStore
from gateway.kafka.headers import RouteHeaders
from gateway.topology import load_topology
from tests.support.alerts import make_alert

NOW = 1_800_000_000_000  # 2027-01-15
OWNER = ("fl.ingress.interpol", 0)


@cache
def _policy() -> Policy:
    return load_policy()


@cache
def _candidates() -> frozenset[str]:
    return frozenset(c.code for c in load_topology().countries)


def _route(store: StateStore, value: bytes | None, org: str = "INTERPOL", **kw: object) -> Effects:
    owner = (f"fl.ingress.{org.lower()}", 0)
    inbound = Inbound(org, owner, 7, value, [], NOW - 50)
    effects = route(inbound, store, _policy(), NOW, candidates=_candidates(), hub="test")
    if effects.state is not None:
        store.stage(owner, effects.state)
        store.commit(owner)
    return effects


def _audit(effects: Effects) -> dict[str, Any]:
    parsed: dict[str, Any] = orjson.loads(effects.audit)
    return parsed


def test_green_interpol_alert_reaches_every_member_node_unchanged() -> None:
    """A TLP:GREEN INTERPOL alert goes to every INTERPOL member with a node, bytes unchanged."""
    value = make_alert("INTERPOL:A-1")
    effects = _route(StateStore("s"), value)
    assert effects.action is Action.DELIVERED
    assert set(effects.deliveries) == _candidates() & _policy().members("INTERPOL")
    assert effects.payload is value
    headers = RouteHeaders.from_kafka(effects.deliveries["FRA"])
    assert (headers.org, headers.kind, headers.version, headers.tlp) == (
        "INTERPOL", "WANTED_PERSON", 1, "GREEN",
    )  # fmt: skip
    assert headers.ts_hub == NOW
    assert headers.ts_connector == NOW - 50
    assert headers.policy_version == _policy().version
    audit = _audit(effects)
    assert audit["action"] == "DELIVERED"
    assert audit["alert_id"] == "INTERPOL:A-1"


def test_audit_never_contains_personal_data() -> None:
    """Names, birth dates and document numbers of the subject never appear in an audit record."""
    effects = _route(StateStore("s"), make_alert("INTERPOL:A-2"))
    text = effects.audit.decode()
    for secret in ("ERIKSSON", "ANNA", "L898902C3", "1974", "Göteborg"):
        assert secret not in text


def test_spoofed_source_org_is_quarantined() -> None:
    """An alert claiming EUROPOL on INTERPOL's ingress topic is quarantined, not delivered."""
    value = make_alert("EUROPOL:X-1")
    effects = _route(StateStore("s"), value, org="INTERPOL")
    assert effects.action is Action.QUARANTINED
    assert not effects.deliveries
    assert effects.quarantine is not None
    assert effects.quarantine.original == value
    assert effects.quarantine.reasons[0].code == "source_org_mismatch"
    assert effects.state is None


def test_undecodable_bytes_are_quarantined_with_reason() -> None:
    """Bytes that are not single-object Avro go to quarantine with the decoder's reason."""
    effects = _route(StateStore("s"), b"not avro at all")
    assert effects.quarantine is not None
    assert effects.quarantine.reasons[0].code == "bad_marker"
    assert effects.quarantine.source == "fl.ingress.interpol[0]@7"
    assert _audit(effects)["reason"] == "bad_marker"


def test_tombstone_on_ingress_is_quarantined() -> None:
    """A record without a value on an ingress topic is refused with a reason, not dropped."""
    effects = _route(StateStore("s"), None)
    assert effects.quarantine is not None
    assert effects.quarantine.reasons[0].code == "tombstone"


def test_same_version_is_duplicate_and_older_is_stale() -> None:
    """A version not newer than the latest seen is audited as DUPLICATE or STALE, not delivered."""
    store = StateStore("s")
    _route(store, make_alert("INTERPOL:A-3", 2))
    dup = _route(store, make_alert("INTERPOL:A-3", 2))
    old = _route(store, make_alert("INTERPOL:A-3", 1))
    assert (dup.action, old.action) == (Action.DUPLICATE, Action.STALE)
    assert not dup.deliveries
    assert not old.deliveries
    assert dup.state is None
    assert old.state is None
    assert _audit(old)["latest"] == 2


def test_narrowed_update_tombstones_countries_no_longer_allowed() -> None:
    """An update that adds a deny-listed country sends that country a NARROWED tombstone."""
    store = StateStore("s")
    _route(store, make_alert("INTERPOL:A-4", 1))
    effects = _route(store, make_alert("INTERPOL:A-4", 2, deny_countries=["FRA", "DEU"]))
    assert effects.tombstones == {"DEU": "NARROWED", "FRA": "NARROWED"}
    assert "FRA" not in effects.deliveries
    assert "ESP" in effects.deliveries
    assert _audit(effects)["denied"] == {"DEU": "DENY_LIST_COUNTRY", "FRA": "DENY_LIST_COUNTRY"}


def test_cancel_tombstones_every_holder() -> None:
    """A CANCEL revokes the alert from every country that held it and delivers nothing."""
    store = StateStore("s")
    first = _route(store, make_alert("INTERPOL:A-5", 1))
    effects = _route(store, make_alert("INTERPOL:A-5", 2, msg_type="CANCEL"))
    assert effects.action is Action.REVOKED
    assert not effects.deliveries
    assert effects.tombstones == dict.fromkeys(sorted(first.deliveries), "CANCELLED")
    entry = store.committed("INTERPOL:A-5")
    assert entry is not None
    assert entry.recipients == frozenset()
    assert entry.cancelled


def test_expired_on_arrival_is_denied_to_all() -> None:
    """An alert whose expiry already passed reaches nobody."""
    effects = _route(StateStore("s"), make_alert("INTERPOL:A-6", expires_at="2020-01-01T00:00:00Z"))
    assert effects.action is Action.DENIED
    assert not effects.deliveries
    assert set(_audit(effects)["denied"].values()) == {"EXPIRED"}


def test_expire_timer_tombstones_every_holder() -> None:
    """When an alert's expiry passes, each holder receives an EXPIRED tombstone."""
    store = StateStore("s")
    _route(store, make_alert("INTERPOL:A-7", expires_at="2027-01-15T08:00:01Z"))
    due = store.due(OWNER, NOW + 10_000_000)
    assert [e.alert_id for e in due] == ["INTERPOL:A-7"]
    effects = expire(due[0], NOW + 10_000_000)
    assert set(effects.tombstones.values()) == {"EXPIRED"}
    assert effects.tombstones.keys() == due[0].recipients
    assert effects.state is not None
    assert effects.state.recipients == frozenset()


def test_not_due_before_expiry() -> None:
    """An alert whose expiry is still ahead is not handed to the expiry timer."""
    store = StateStore("s")
    _route(store, make_alert("INTERPOL:A-8", expires_at="2099-01-01T00:00:00Z"))
    assert store.due(OWNER, NOW) == []


def test_shared_travel_document_links_alerts_across_organizations() -> None:
    """Two organizations' alerts with the same passport are linked for countries holding both."""
    store = StateStore("s")
    _route(store, make_alert("INTERPOL:P-1"))
    effects = _route(store, make_alert("EUROPOL:P-2"), org="EUROPOL")
    assert RouteHeaders.from_kafka(effects.deliveries["FRA"]).linked == ("INTERPOL:P-1",)
    assert _audit(effects)["linked"] == ["INTERPOL:P-1"]


def test_different_documents_are_not_linked() -> None:
    """Alerts whose documents differ carry no link."""
    store = StateStore("s")
    _route(store, make_alert("INTERPOL:P-3"))
    other_doc = {
        "travel_documents": [{"doc_type": "P", "number": "X1234567", "issuing_country": "SWE"}]
    }
    effects = _route(store, make_alert("EUROPOL:P-4", subject=other_doc), org="EUROPOL")
    assert RouteHeaders.from_kafka(effects.deliveries["FRA"]).linked == ()


def test_link_named_only_to_countries_holding_the_other_alert() -> None:
    """A linked alert id is not revealed to a country that does not hold that alert."""
    store = StateStore("s")
    _route(store, make_alert("INTERPOL:P-5", deny_countries=["DEU"]))
    effects = _route(store, make_alert("EUROPOL:P-6"), org="EUROPOL")
    assert RouteHeaders.from_kafka(effects.deliveries["FRA"]).linked == ("INTERPOL:P-5",)
    assert RouteHeaders.from_kafka(effects.deliveries["DEU"]).linked == ()


def test_container_number_links_commodity_alerts() -> None:
    """Commodity alerts naming the same container are linked."""
    store = StateStore("s")
    _route(store, make_alert("EUROPOL:C-1", kind=AlertKind.COMMODITY, tlp="GREEN"), org="EUROPOL")
    effects = _route(store, make_alert("INTERPOL:C-2", kind=AlertKind.COMMODITY, tlp="GREEN"))
    assert RouteHeaders.from_kafka(effects.deliveries["NLD"]).linked == ("EUROPOL:C-1",)


def _political(alert_id: str, version: int = 1) -> bytes:
    return make_alert(alert_id, version, subject={"offences": ["political offence"]})


def test_review_rule_holds_alert_without_delivery() -> None:
    """An alert matching a neutrality review rule is held: nothing delivered, review record put."""
    store = StateStore("s")
    value = _political("INTERPOL:R-1")
    effects = _route(store, value)
    assert effects.action is Action.HELD
    assert effects.payload == value
    assert not effects.deliveries
    assert not effects.tombstones
    assert effects.review_put is not None
    entry = store.committed("INTERPOL:R-1")
    assert entry is not None
    assert entry.held is not None
    assert entry.recipients == frozenset()
    assert entry.held.recipients
    assert _audit(effects)["rule"]


def test_approval_delivers_held_payload_unchanged() -> None:
    """Approving a held alert delivers its original bytes to the recipients chosen at hold time."""
    store = StateStore("s")
    value = _political("INTERPOL:R-2")
    _route(store, value)
    entry = store.committed("INTERPOL:R-2")
    assert entry is not None
    assert entry.held is not None
    effects = review_verdict(entry, approve=True, reviewer="rev1", note="ok", now_ms=NOW + 1)
    assert effects.action is Action.APPROVED
    assert effects.payload == value
    assert set(effects.deliveries) == entry.held.recipients
    assert effects.review_clear
    assert effects.state is not None
    assert effects.state.held is None
    assert _audit(effects)["reviewer"] == "rev1"


def test_rejection_revokes_earlier_version() -> None:
    """Rejecting a held update revokes the earlier, delivered version from every holder."""
    store = StateStore("s")
    first = _route(store, make_alert("INTERPOL:R-3", 1))
    _route(store, _political("INTERPOL:R-3", 2))
    entry = store.committed("INTERPOL:R-3")
    assert entry is not None
    assert entry.recipients == frozenset(first.deliveries)
    effects = review_verdict(entry, approve=False, reviewer="rev1", note="Art. 3", now_ms=NOW)
    assert effects.action is Action.REJECTED
    assert not effects.deliveries
    assert set(effects.tombstones.values()) == {"REVIEW_REJECTED"}
    assert effects.tombstones.keys() == first.deliveries.keys()


def test_newer_version_supersedes_a_hold() -> None:
    """A newer version that needs no review is delivered and clears the pending review record."""
    store = StateStore("s")
    _route(store, _political("INTERPOL:R-4", 1))
    effects = _route(store, make_alert("INTERPOL:R-4", 2))
    assert effects.action is Action.DELIVERED
    assert effects.review_clear


def test_non_actual_status_reaches_nobody() -> None:
    """EXERCISE traffic is never delivered while the policy's exercise mode is off."""
    effects = _route(StateStore("s"), make_alert("INTERPOL:E-1", status="EXERCISE"))
    assert not effects.deliveries


def test_invalid_alert_id_prefix_is_quarantined() -> None:
    """An alert id that does not start with its source organization is refused."""
    value = make_alert("EUROPOL:Z-1", source_org="INTERPOL")
    effects = _route(StateStore("s"), value)
    assert effects.quarantine is not None
    assert effects.quarantine.reasons[0].code == "bad_alert_id"


def test_staged_state_is_dropped_on_abort() -> None:
    """State staged in an aborted transaction is invisible, so the records route the same again."""
    store = StateStore("s")
    owner = ("fl.ingress.interpol", 1)
    entry = AlertState("INTERPOL:S-1", 1, "INTERPOL", "WANTED_PERSON", owner)
    store.stage(owner, entry)
    assert store.get(owner, "INTERPOL:S-1") is not None
    assert store.committed("INTERPOL:S-1") is None
    store.abort(owner)
    assert store.get(owner, "INTERPOL:S-1") is None


def test_changelog_round_trip_and_older_seq_ignored() -> None:
    """A changelog entry restores identically, and an older one never overwrites a newer one."""
    store = StateStore("s")
    owner = ("fl.ingress.interpol", 1)
    first = AlertState(
        "INTERPOL:S-2", 1, "INTERPOL", "WANTED_PERSON", owner,
        recipients=frozenset({"FRA"}), idents=("abc",),
    )  # fmt: skip
    out = store.stage(owner, first)
    store.commit(owner)
    assert out.value is not None
    newer = store.stage(owner, AlertState("INTERPOL:S-2", 2, "INTERPOL", "WANTED_PERSON", owner))
    store.commit(owner)
    restored = StateStore("s")
    assert newer.value is not None
    assert restored.apply(AlertState.from_bytes(newer.value))
    assert not restored.apply(AlertState.from_bytes(out.value))
    entry = restored.committed("INTERPOL:S-2")
    assert entry is not None
    assert entry.version == 2


def test_ingest_time_travels_with_the_delivery() -> None:
    """The connector's ingest timestamp is copied to every delivery for end-to-end latency."""
    owner = ("fl.ingress.interpol", 0)
    inbound = Inbound(
        "INTERPOL", owner, 7, make_alert("INTERPOL:T-1"), [("fl-ts-ingest", b"123")], NOW - 50
    )
    effects = route(inbound, StateStore("s"), _policy(), NOW, candidates=_candidates(), hub="t")
    assert RouteHeaders.from_kafka(effects.deliveries["FRA"]).ts_ingest == 123
