"""Signature checks in a border post's feed: only alerts their organization signed reach the
watchlist; rotation, revocation, tombstones and the highest-version rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from aiokafka import TopicPartition
from prometheus_client import CollectorRegistry
from structlog.testing import capture_logs

from gateway.contract.trust import TrustStore
from gateway.kafka.headers import RouteHeaders
from gateway.post.feed import PostFeed
from gateway.post.metrics import PostMetrics
from gateway.post.screening import Watchlist
from gateway.post.store import PostStore
from gateway.settings import Settings
from tests.support.alerts import make_alert
from tests.support.signing import flip_byte, make_key, trust_text

NOW = datetime.now(UTC)
TOPIC = "fl.post.FRA.CDG"


def record(
    offset: int, alert_id: str, value: bytes | None, sig: list[tuple[str, bytes]] | None = None
) -> SimpleNamespace:
    """A feed record as the node writes it: routing headers plus the originator's signature."""
    headers = RouteHeaders(
        kind="WANTED_PERSON", org="INTERPOL", tlp="GREEN", status="ACTUAL", msg_type="ALERT",
        version=1, ts_hub=1, ts_node=2,
    ).to_kafka()  # fmt: skip
    return SimpleNamespace(
        offset=offset, key=alert_id.encode(), value=value, headers=[*headers, *(sig or [])]
    )


def feed(tmp_path: Path, trust: TrustStore | None) -> PostFeed:
    """A post's feed over a fresh store and watchlist, with ``trust`` as its trust store."""
    metrics = PostMetrics(CollectorRegistry(), "FRA.CDG")
    store = PostStore(tmp_path / "post.sqlite")
    return PostFeed(Settings(data_dir=tmp_path), TOPIC, store, Watchlist(), metrics, trust=trust)


def refused(f: PostFeed, reason: str) -> float:
    """How many records the post refused for ``reason``."""
    value = f.metrics.registry.get_sample_value(
        "frontline_post_signature_refused_total", {"post": "FRA.CDG", "reason": reason}
    )
    return value or 0.0


def apply(f: PostFeed, *records: SimpleNamespace) -> None:
    f.apply({TopicPartition(TOPIC, 0): list(records)})


def test_only_validly_signed_alerts_enter_the_watchlist_and_the_store(tmp_path: Path) -> None:
    """Signed alerts are held; unsigned, flipped, foreign-key and unknown-key ones are refused."""
    signer, entry = make_key("INTERPOL")
    europol, europol_entry = make_key("EUROPOL")
    stranger, _ = make_key("INTERPOL")
    f = feed(tmp_path, TrustStore([entry, europol_entry]))
    good, unsigned, flipped, foreign, unknown = (make_alert(f"INTERPOL:S-{i}") for i in range(5))
    apply(
        f,
        record(0, "INTERPOL:S-0", good, signer.sign(good)),
        record(1, "INTERPOL:S-1", unsigned),
        record(2, "INTERPOL:S-2", flip_byte(flipped), signer.sign(flipped)),
        record(3, "INTERPOL:S-3", foreign, europol.sign(foreign)),
        record(4, "INTERPOL:S-4", unknown, stranger.sign(unknown)),
    )
    assert [e.alert_id for e in f.watchlist.entries()] == ["INTERPOL:S-0"]
    assert [r.alert_id for r in f.store.records()] == ["INTERPOL:S-0"]
    assert f.store.offsets(TOPIC) == {0: 5}  # refused records are read past, not re-read
    for reason in ("missing_signature", "bad_signature", "wrong_org", "unknown_key"):
        assert refused(f, reason) == 1, reason


def test_rotation_overlap_accepts_both_keys_and_revocation_refuses_later_signatures(
    tmp_path: Path,
) -> None:
    """Two keys valid at once both verify; a revoked key's signatures count only before it."""
    old, old_entry = make_key("INTERPOL", revoked_at=NOW - timedelta(hours=1))
    new, new_entry = make_key("INTERPOL")
    f = feed(tmp_path, TrustStore([old_entry, new_entry]))
    a, b, c = (make_alert(f"INTERPOL:R-{i}") for i in range(3))
    apply(
        f,
        record(0, "INTERPOL:R-0", a, new.sign(a)),
        record(1, "INTERPOL:R-1", b, old.sign(b, at=NOW - timedelta(hours=2))),
        record(2, "INTERPOL:R-2", c, old.sign(c)),
    )
    assert sorted(e.alert_id for e in f.watchlist.entries()) == ["INTERPOL:R-0", "INTERPOL:R-1"]
    assert refused(f, "key_revoked") == 1


def test_an_altered_newer_version_neither_replaces_nor_removes_the_genuine_one(
    tmp_path: Path,
) -> None:
    """A refused version 2 leaves version 1 held; an unsigned tombstone still removes it."""
    signer, entry = make_key("INTERPOL")
    f = feed(tmp_path, TrustStore([entry]))
    v1, v2 = make_alert("INTERPOL:V-1"), make_alert("INTERPOL:V-1", 2)
    apply(f, record(0, "INTERPOL:V-1", v1, signer.sign(v1)))
    apply(f, record(1, "INTERPOL:V-1", flip_byte(v2), signer.sign(v2)))
    held = f.watchlist.get("INTERPOL:V-1")
    assert held is not None
    assert held.version == 1
    assert refused(f, "bad_signature") == 1
    apply(f, record(2, "INTERPOL:V-1", None))  # the hub's derived tombstones carry no signature
    assert f.watchlist.get("INTERPOL:V-1") is None


def test_without_a_trust_file_checks_are_off_and_said_so(tmp_path: Path) -> None:
    """No trust file: one 'signature checks off' warning, and unsigned alerts are held as before."""
    metrics = PostMetrics(CollectorRegistry(), "FRA.CDG")
    store = PostStore(tmp_path / "post.sqlite")
    with capture_logs() as logs:
        f = PostFeed(
            Settings(data_dir=tmp_path, trust_file=None), TOPIC, store, Watchlist(), metrics
        )
        apply(f, record(0, "INTERPOL:U-1", make_alert("INTERPOL:U-1")))
    assert f.verifier is None
    assert f.watchlist.get("INTERPOL:U-1") is not None
    warned = [e for e in logs if e["event"] == "signature checks off"]
    assert [(e["log_level"], e["component"]) for e in warned] == [("warning", "post")]


def test_a_configured_trust_file_turns_checks_on(tmp_path: Path) -> None:
    """FRONTLINE_TRUST_FILE (the setting) is read by the feed: unsigned alerts are refused."""
    _, entry = make_key("INTERPOL")
    path = tmp_path / "trust.toml"
    path.write_text(trust_text(entry), encoding="utf-8")
    metrics = PostMetrics(CollectorRegistry(), "FRA.CDG")
    store = PostStore(tmp_path / "post.sqlite")
    f = PostFeed(Settings(data_dir=tmp_path, trust_file=path), TOPIC, store, Watchlist(), metrics)
    apply(f, record(0, "INTERPOL:U-1", make_alert("INTERPOL:U-1")))
    assert f.watchlist.get("INTERPOL:U-1") is None
    assert refused(f, "missing_signature") == 1
