"""Helpers the connector test modules share: the alerts a payload was accepted as."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from connectors.base import Accepted, Outcome
from gateway.contract import AnyAlert

__all__ = ["accepted_alerts", "accepted_as"]

T = TypeVar("T")


def accepted_alerts(outcomes: Iterable[Outcome]) -> dict[str, AnyAlert]:
    """Alert id -> alert, asserting every outcome was accepted (refusals show their reasons)."""
    out: dict[str, AnyAlert] = {}
    for o in outcomes:
        assert isinstance(o, Accepted), getattr(getattr(o, "quarantine", None), "reasons", o)
        out[o.alert.envelope.alert_id] = o.alert
    return out


def accepted_as(outcomes: Iterable[Outcome], kind: type[T]) -> dict[str, T]:
    """Like :func:`accepted_alerts`, asserting every alert is of ``kind``."""
    out: dict[str, T] = {}
    for alert_id, alert in accepted_alerts(outcomes).items():
        assert isinstance(alert, kind), alert
        out[alert_id] = alert
    return out
