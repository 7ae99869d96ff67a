"""Expiry timers of a hub instance's state: only the partitions it owns keep any."""

from __future__ import annotations

from typing import Any

from gateway.hub.state import AlertState, ChangelogReader, Held, StateStore
from gateway.settings import Settings

NOW = 1_800_000_000_000
A = ("fl.ingress.interpol", 0)
B = ("fl.ingress.europol", 1)


def _entry(alert_id: str, owner: tuple[str, int], **kw: Any) -> AlertState:
    fields: dict[str, Any] = {
        "version": 5, "org": alert_id.split(":", 1)[0], "kind": "WANTED_PERSON", "owner": owner,
        "recipients": frozenset({"FRA", "DEU"}), "expires_at_ms": NOW + 5_000, "seq": 1,
    }  # fmt: skip
    fields.update(kw)
    return AlertState(alert_id, **fields)


def _held(expires_at_ms: int | None) -> Held:
    return Held(6, "article-3", frozenset({"ESP"}), b"payload", (), NOW, expires_at_ms)


def test_updates_of_a_partition_owned_elsewhere_arm_no_timer() -> None:
    """A store owning partition A keeps no expiry timer for the 10,000 updates of partition
    B's alerts another instance committed (its tail applies them; B's owner expires them)."""
    store = StateStore("s")
    store.own([A])
    for n in range(10_000):
        alert = f"EUROPOL:T-{n % 1_000}"
        store.apply(_entry(alert, B, seq=1 + n // 1_000, expires_at_ms=NOW + 86_400_000 * n))
    store.apply(_entry("INTERPOL:T-1", A))
    assert len(store) == 1_001
    assert store.armed(B) == 0
    assert store.armed(A) == 1
    assert store.due(B, NOW + 86_400_000 * 20_000) == []


def test_owning_a_partition_arms_its_committed_entries_held_expiry_included() -> None:
    """Once a store takes partition B over, B's entries whose expiry (or whose held version's
    own expiry) passed are due, and those not expired yet or reaching no one are not."""
    store = StateStore("s")
    store.own([A])
    store.apply(_entry("EUROPOL:E-1", B, expires_at_ms=NOW + 1_000))
    store.apply(_entry("EUROPOL:E-2", B, expires_at_ms=NOW + 90_000))
    store.apply(_entry("EUROPOL:E-3", B, expires_at_ms=None, held=_held(NOW + 2_000)))
    store.apply(_entry("EUROPOL:E-4", B, recipients=frozenset(), held=_held(None)))
    store.apply(_entry("INTERPOL:E-5", A, expires_at_ms=NOW + 1_000))
    assert store.armed(B) == 0
    store.own([B])
    assert store.armed(B) == 3
    due = [e.alert_id for e in store.due(B, NOW + 10_000)]
    assert due == ["EUROPOL:E-1", "EUROPOL:E-3"]
    assert [e.alert_id for e in store.due(B, NOW + 90_000)] == ["EUROPOL:E-2"]


def test_disowning_a_partition_drops_its_timers_and_an_abort_does_not_rearm_them() -> None:
    """After partition A moves away its timers are gone, and aborting A's open transaction
    (the engine aborts after the move) arms none again."""
    store = StateStore("s")
    store.own([A, B])
    store.apply(_entry("INTERPOL:D-1", A, expires_at_ms=NOW + 1_000))
    store.apply(_entry("EUROPOL:D-2", B, expires_at_ms=NOW + 1_000))
    committed = store.committed("INTERPOL:D-1")
    assert committed is not None
    store.stage(A, _entry("INTERPOL:D-1", A, recipients=frozenset(), seq=2))
    store.disown([A])
    store.abort(A)
    assert store.armed(A) == 0
    assert store.due(A, NOW + 10_000) == []
    assert [e.alert_id for e in store.due(B, NOW + 10_000)] == ["EUROPOL:D-2"]


def test_until_ownership_is_declared_every_owner_is_armed_then_only_the_owned() -> None:
    """A store no one declared ownership to (one process) arms every owner's entries; the
    first ownership it is told keeps the owned owners' timers and drops the others'."""
    store = StateStore("s")
    store.apply(_entry("INTERPOL:U-1", A, expires_at_ms=NOW + 1_000))
    store.apply(_entry("EUROPOL:U-2", B, expires_at_ms=NOW + 1_000))
    assert (store.armed(A), store.armed(B)) == (1, 1)
    store.own([A])
    assert (store.armed(A), store.armed(B)) == (1, 0)
    assert [e.alert_id for e in store.due(A, NOW + 1_000)] == ["INTERPOL:U-1"]


def test_the_changelog_reader_tells_the_store_what_this_instance_owns() -> None:
    """The reader's own and disown (called on assignment and revocation) decide which
    owners' timers the store keeps."""
    store = StateStore("s")
    reader = ChangelogReader(Settings(), store)
    reader.own(iter([A]))
    store.apply(_entry("EUROPOL:R-1", B))
    assert store.armed(B) == 0
    reader.own(iter([B]))
    assert store.armed(B) == 1
    reader.disown(iter([B]))
    assert store.armed(B) == 0
    assert reader.owners == frozenset({A})


def test_updates_keeping_an_owned_alerts_expiry_day_hold_one_timer_slot() -> None:
    """10,000 versions of two owned alerts whose expiry stays on the same far day arm one slot
    each, not one per version; moving an expiry to another day arms the new day, and the alert
    is due once, at its latest deadline."""
    store = StateStore("s")
    store.own([A])
    far = NOW + 30 * 86_400_000
    for n in range(10_000):  # two alerts' versions interleaved, ids decoded afresh each time
        alert = "".join(["INTERPOL:U-", str(1 + n % 2)])
        store.apply(_entry(alert, A, seq=1 + n, expires_at_ms=far + n))
    assert store.armed(A) == 2
    later = far + 2 * 86_400_000
    store.apply(_entry("INTERPOL:U-1", A, seq=20_000, expires_at_ms=later))
    assert store.armed(A) == 3
    store.apply(_entry("INTERPOL:U-2", A, seq=20_001, expires_at_ms=None, recipients=frozenset()))
    assert store.due(A, far + 10_000) == []
    [due] = store.due(A, later)
    assert due.alert_id == "INTERPOL:U-1"
