"""Shared checks for the revision tests of the GCCPOL, AIMC, ECO, SCO and UNODC connectors."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import get_args

from connectors.base import Accepted, Connector, Revision, process, process_record
from gateway.contract import MsgType, Tlp
from gateway.contract.codec import decode_dict
from gateway.contract.identifiers import iso_countries
from gateway.hub.policy.decide import load_policy
from gateway.hub.route import facts_of

__all__ = [
    "CHANGES",
    "check_chain",
    "check_lapsed",
    "check_revisions",
    "check_withdrawn",
    "generated_mix",
    "recipients",
]

CHANGES: tuple[Revision, ...] = get_args(Revision)
_POLICY = load_policy()
_CANDIDATES = iso_countries()


def recipients(accepted: Accepted, now: datetime) -> frozenset[str]:
    """The countries the shipped policy delivers this alert to, among every ISO country."""
    kind, record = decode_dict(accepted.value)
    facts = facts_of(kind.value, record["envelope"], record.get("subject"))
    return _POLICY.decide(facts, _CANDIDATES, now).recipients


def _one(connector: Connector, payload: bytes, now: datetime) -> Accepted:
    outcomes = list(process(connector, payload, "revision", now=now))
    assert len(outcomes) == 1, outcomes
    (outcome,) = outcomes
    assert isinstance(outcome, Accepted), outcome
    return outcome


def check_revisions(connector: Connector, payload: bytes, now: datetime, seed: int) -> int:
    """Revise every record of a generated payload each way and check what the hub would see.

    Returns how many narrowings left strictly fewer recipients (the rest grew a deny list).
    """
    rng = random.Random(seed)
    shrunk = 0
    for record in connector.split(payload, "generated"):
        before = process_record(connector, record, now)
        assert isinstance(before, Accepted), before
        old = before.alert.envelope
        for change in CHANGES:
            after = _one(connector, connector.revise(rng, record, now, change), now)
            new = after.alert.envelope
            assert new.alert_id == old.alert_id
            assert new.version > old.version
            want = MsgType.CANCEL if change == "cancel" else MsgType.UPDATE
            assert new.msg_type is want, change
            if change == "update":
                assert (new.tlp, new.release_to_countries, new.deny_countries) == (
                    old.tlp, old.release_to_countries, old.deny_countries,
                )  # fmt: skip
                assert (after.alert.subject, new.expires_at) != (
                    before.alert.subject, old.expires_at,
                )  # fmt: skip
            elif change == "raise_red":
                assert new.tlp is Tlp.RED
                assert 1 <= len(new.release_to_countries) <= 2
            elif change == "narrow":
                was, now_to = recipients(before, now), recipients(after, now)
                assert now_to <= was
                if now_to < was:
                    shrunk += 1
                elif was:  # an alert that already reaches nobody (lapsed) stays so
                    assert set(new.deny_countries) > set(old.deny_countries)
            else:
                assert after.alert.subject is None
    return shrunk


def check_chain(connector: Connector, payload: bytes, now: datetime, seed: int) -> None:
    """Revise each revision again, all at the same instant: versions still rise every time
    and every narrowing keeps the recipients the same or fewer."""
    rng = random.Random(seed)
    steps: tuple[Revision, ...] = (
        "update", "narrow", "narrow", "raise_red", "narrow", "update", "cancel",
    )  # fmt: skip
    for record in list(connector.split(payload, "generated"))[:10]:
        previous = process_record(connector, record, now)
        assert isinstance(previous, Accepted), previous
        current = record
        for change in steps:
            revised = connector.revise(rng, current, now, change)
            accepted = _one(connector, revised, now)
            assert accepted.alert.envelope.version > previous.alert.envelope.version, change
            if change == "narrow":
                assert recipients(accepted, now) <= recipients(previous, now)
            previous = accepted
            (current,) = connector.split(revised, "chained")


def check_lapsed(connector: Connector, payload: bytes, now: datetime, seed: int) -> int:
    """Alerts revised an hour after they lapsed: updates renew them, marking changes keep
    them lapsed, cancels still map.

    Returns how many lapsed alerts the payload held.
    """
    rng = random.Random(seed)
    later = now + timedelta(hours=1)
    lapsed = 0
    for record in connector.split(payload, "generated"):
        before = process_record(connector, record, now)
        assert isinstance(before, Accepted), before
        expires = before.alert.envelope.expires_at
        if expires is None or expires > now + timedelta(seconds=120):
            continue
        lapsed += 1
        for change in CHANGES:
            after = _one(connector, connector.revise(rng, record, later, change), later)
            new = after.alert.envelope
            assert new.version > before.alert.envelope.version
            if change == "update":  # renewed
                assert new.expires_at is not None
                assert new.expires_at > later
            elif change != "cancel":  # a marking change does not revive a lapsed alert
                assert new.expires_at is not None
                assert new.expires_at <= max(expires, new.issued_at + timedelta(seconds=1))
                assert not recipients(after, later + timedelta(seconds=1))
    return lapsed


def generated_mix(connector: Connector, payload: bytes, now: datetime) -> tuple[int, int, int, int]:
    """(alerts, wanted persons, persons the shipped review holds, alerts expiring in 30-120 s)."""
    alerts = persons = held = short = 0
    for outcome in process(connector, payload, "generated", now=now):
        assert isinstance(outcome, Accepted), outcome
        alerts += 1
        env = outcome.alert.envelope
        if env.expires_at is not None and (
            timedelta(seconds=30) <= env.expires_at - now <= timedelta(seconds=120)
        ):
            short += 1
        kind, record = decode_dict(outcome.value)
        if kind.value == "WANTED_PERSON":
            persons += 1
            facts = facts_of(kind.value, record["envelope"], record.get("subject"))
            held += _POLICY.review_rule(facts) is not None
    return alerts, persons, held, short


def check_withdrawn(connector: Connector, payload: bytes, now: datetime) -> int:
    """A withdrawn record is only ever withdrawn again, at a higher version, whatever the
    change asked; returns how many withdrawn records the payload held."""
    rng = random.Random(0)
    withdrawn = 0
    for record in connector.split(payload, "sample"):
        before = process_record(connector, record, now)
        if not isinstance(before, Accepted) or before.alert.envelope.msg_type is not MsgType.CANCEL:
            continue
        withdrawn += 1
        for change in CHANGES:
            after = _one(connector, connector.revise(rng, record, now, change), now)
            assert after.alert.envelope.msg_type is MsgType.CANCEL
            assert after.alert.envelope.version > before.alert.envelope.version
    return withdrawn
