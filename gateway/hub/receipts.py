"""Delivery receipts at the hub: national nodes' summaries, per alert version and country.

A national node sends a ``receipt-summary`` (how many of its intended posts hold an alert
version, and when the last one committed it) to ``<prefix>hub.inbox``. The hub keeps each
country's latest summary of each alert (side store key ``rcpt:<alert>|<country>``), audits it
(action ``RECEIPTS``, so ``frontline audit show`` adds the coverage per version) when it is
complete (every intended post holds the version) or the first of that version from that country
(a node sends an incomplete one only once a bound has passed), never a repeat, and
counts the alert versions delivered longer ago than ``FRONTLINE_STALE_FRONTLINE_S`` that have
not reached every intended post (:func:`stale_versions`, the gauge
``frontline_hub_versions_not_at_every_post``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gateway.contract.messages import ReceiptSummary, decode_as
from gateway.errors import QuarantineError
from gateway.hub.audit import Action, audit_record
from gateway.hub.hits import Msg, Reply, SideStore, quarantine_message
from gateway.hub.state import AlertState, StateStore
from gateway.settings import DEFAULT_STALE_S, stale_frontline_s

__all__ = [
    "DEFAULT_STALE_S",
    "Coverage",
    "coverage",
    "receipt_key",
    "record_summary",
    "stale_after_s",
    "stale_versions",
]


def stale_after_s(environ: Mapping[str, str] | None = None) -> float:
    """``FRONTLINE_STALE_FRONTLINE_S`` (seconds, default 300); ConfigError when not a number."""
    return stale_frontline_s(environ)


def receipt_key(alert_id: str, country: str) -> str:
    """The side store's key of a country's latest summary for an alert."""
    return f"rcpt:{alert_id}|{country}"


def record_summary(
    msg: Msg, alerts: StateStore, side: SideStore, *, now_ms: int, hub: str
) -> Reply:
    """Keep a country's receipt summary and audit it when it is complete (and not a repeat) or
    the first of its version; an older version's summary is audited but does not replace a
    newer one."""
    try:
        summary = decode_as(ReceiptSummary, msg.kind, msg.value)
    except QuarantineError as error:
        return quarantine_message(msg, error.quarantine_reason, error.message, now_ms, hub)
    alert = alerts.committed(summary.alert_id)
    if alert is None:
        return quarantine_message(
            msg, "unknown_alert", "the hub never routed this alert", now_ms, hub,
            alert_id=summary.alert_id,
        )  # fmt: skip
    last_ms = None if summary.last_at is None else int(summary.last_at.timestamp() * 1000)
    key = receipt_key(summary.alert_id, summary.country)
    known = side.get(msg.owner, key)
    state: list[tuple[str, dict[str, Any]]] = []
    entry = {
        "v": summary.version, "rm": summary.removed, "n": summary.intended,
        "r": summary.received, "l": last_ms,
    }  # fmt: skip
    if known is None or int(known.get("v", 0)) <= summary.version:
        state.append((key, entry))
    if not _worth_auditing(entry, known):
        return Reply(alert_id=summary.alert_id, audits=[], state=state, org=alert.org)
    audit = audit_record(
        alert_id=summary.alert_id, version=summary.version, org=alert.org, kind=alert.kind,
        action=Action.RECEIPTS, ts_ms=now_ms, hub=hub, country=summary.country,
        intended=summary.intended, received=summary.received, last_at=last_ms,
        removed=summary.removed or None,
    )  # fmt: skip
    return Reply(alert_id=summary.alert_id, audits=[audit], state=state, org=alert.org)


def _worth_auditing(entry: Mapping[str, Any], known: Mapping[str, Any] | None) -> bool:
    """A summary is audited when complete and not a repeat, or the first of its version (and
    removal or not) from its country; an older version's summary always (it is rare)."""
    if known is None or int(known.get("v", 0)) != int(entry["v"]):
        return True
    if bool(known.get("rm")) != bool(entry["rm"]):
        return True
    if int(entry["r"]) < int(entry["n"]):
        return False  # that version was already reported
    return int(known["r"]) < int(known["n"]) or known != entry


def _complete(entry: AlertState, side: SideStore) -> bool:
    for country in entry.recipients:
        found = side.committed(receipt_key(entry.alert_id, country))
        if found is None or int(found.get("v", 0)) < entry.live_version:
            return False
        if int(found.get("v", 0)) == entry.live_version and int(found["r"]) < int(found["n"]):
            return False
    return True


def stale_versions(
    alerts: Iterable[AlertState], side: SideStore, now_ms: int, stale_ms: int
) -> list[tuple[str, int]]:
    """(alert id, version) of the live versions delivered more than ``stale_ms`` ago whose
    intended countries have not all reported every intended post holding them."""
    out: list[tuple[str, int]] = []
    for entry in alerts:
        delivered = entry.delivered_at_ms
        if not entry.recipients or delivered is None or now_ms - delivered < stale_ms:
            continue
        if not _complete(entry, side):
            out.append((entry.alert_id, entry.live_version))
    return out


@dataclass(frozen=True, slots=True)
class Coverage:
    """How far one alert version reached: posts that hold it of those intended, by country."""

    version: int
    countries: tuple[str, ...]  # intended countries (the version's delivered recipients)
    reporting: int  # intended countries that sent a summary of this version
    intended: int  # posts intended, summed over the reporting countries
    received: int  # posts holding it, summed over the reporting countries
    last_at_ms: int | None  # when the last of them committed it

    @property
    def complete(self) -> bool:
        """Every intended country reported, and every intended post holds the version."""
        return self.reporting == len(self.countries) and self.received >= self.intended


def coverage(history: Iterable[Mapping[str, Any]]) -> list[Coverage]:
    """Per delivered version, the coverage its ``RECEIPTS`` audit records show (the latest
    summary per country counts; intended countries are the version's DELIVERED or APPROVED
    recipients)."""
    intended: dict[int, tuple[str, ...]] = {}
    latest: dict[tuple[int, str], Mapping[str, Any]] = {}
    for record in history:
        action, version = record.get("action"), int(record.get("version", 0))
        if action in {Action.DELIVERED, Action.APPROVED} and record.get("recipients"):
            intended[version] = tuple(sorted(record["recipients"]))
        elif action == Action.RECEIPTS and not record.get("removed"):
            latest[(version, str(record.get("country", "")))] = record
    out: list[Coverage] = []
    for version, countries in sorted(intended.items()):
        found = [latest[(version, c)] for c in countries if (version, c) in latest]
        lasts = [int(r["last_at"]) for r in found if r.get("last_at") is not None]
        out.append(
            Coverage(
                version=version,
                countries=countries,
                reporting=len(found),
                intended=sum(int(r.get("intended", 0)) for r in found),
                received=sum(int(r.get("received", 0)) for r in found),
                last_at_ms=max(lasts) if lasts else None,
            )
        )
    return out
