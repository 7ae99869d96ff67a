"""Audit records: one JSON record per hub decision on ``<prefix>audit``, keyed by alert id.

A record names the alert (id, version, organization, kind), what happened (``action``), each
country delivered, denied (with the policy reason) or revoked (with the tombstone reason), the
policy version, the time and the hub instance. Never personal data: ids and codes only.
``read_history`` scans the topic for one alert, which ``frontline audit show`` prints.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

import orjson

from gateway.errors import ConfigError
from gateway.kafka.reading import read_topic
from gateway.settings import Settings

__all__ = [
    "MAX_ALERT_ID",
    "Action",
    "audit_record",
    "checked_alert_id",
    "decode_audit",
    "read_history",
    "read_hit_trails",
]

MAX_ALERT_ID = 200  # characters; the longest contract alert id is far shorter


class Action(StrEnum):
    """What the hub did with one alert version (or one timer or review event)."""

    DELIVERED = "DELIVERED"
    DENIED = "DENIED"
    DUPLICATE = "DUPLICATE"
    STALE = "STALE"
    HELD = "HELD"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    REVOKED = "REVOKED"
    QUARANTINED = "QUARANTINED"
    # The way back (docs/twoway.md): hits, acknowledgements, flags, receipts.
    HIT_REPORTED = "HIT_REPORTED"
    HIT_CONFIRMED = "HIT_CONFIRMED"
    HIT_FORWARDED = "HIT_FORWARDED"
    HIT_DUPLICATE = "HIT_DUPLICATE"
    HIT_ACKNOWLEDGED = "HIT_ACKNOWLEDGED"
    FLAGGED = "FLAGGED"
    UNFLAGGED = "UNFLAGGED"
    RECEIPTS = "RECEIPTS"


def audit_record(
    *,
    alert_id: str,
    version: int,
    org: str,
    kind: str,
    action: Action,
    ts_ms: int,
    hub: str,
    recipients: Sequence[str] = (),
    denied: Mapping[str, str] | None = None,
    revoked: Mapping[str, str] | None = None,
    policy_version: str = "",
    **extra: Any,
) -> bytes:
    """Encode one audit record as JSON bytes (orjson); ``extra`` adds codes such as ``rule``."""
    record: dict[str, Any] = {
        "alert_id": alert_id,
        "version": version,
        "org": org,
        "kind": kind,
        "action": action,
        "recipients": sorted(recipients),
        "denied": dict(denied) if denied else {},
        "revoked": dict(revoked) if revoked else {},
        "policy_version": policy_version,
        "ts": ts_ms,
        "hub": hub,
    }
    if extra:
        record.update({k: v for k, v in extra.items() if v is not None})
    return orjson.dumps(record, option=orjson.OPT_NON_STR_KEYS)


def checked_alert_id(text: str) -> str:
    """An alert id typed by an operator; ConfigError when it is not printable UTF-8 text."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ConfigError(
            "the alert id is not valid UTF-8",
            hint="Copy the id from `frontline review list` or the alert (INTERPOL:2025-118422).",
        ) from None
    if not text or len(text) > MAX_ALERT_ID or not text.isprintable():
        raise ConfigError(
            f"not an alert id: expected printable text of 1 to {MAX_ALERT_ID} characters",
            hint="An alert id is '<ORG>:<id>', e.g. INTERPOL:2025-118422.",
        )
    return text


def decode_audit(value: bytes | None) -> dict[str, Any] | None:
    """Parse one audit record; None for a tombstone or a value that is not a JSON object."""
    if value is None:
        return None
    try:
        parsed = orjson.loads(value)
    except orjson.JSONDecodeError:
        return None
    return parsed if isinstance(parsed, dict) else None


async def read_history(
    settings: Settings, topic: str, alert_id: str, *, timeout_s: float = 30.0
) -> list[dict[str, Any]]:
    """Every audit record of ``alert_id``, in decision order (one key lives in one partition)."""
    key = alert_id.encode()
    found: list[dict[str, Any]] = []

    def keep(record: Any) -> None:
        if record.key == key and (parsed := decode_audit(record.value)) is not None:
            found.append(parsed)

    await read_topic(settings, topic, keep, timeout_s=timeout_s)
    return found


async def read_hit_trails(
    settings: Settings, topic: str, hit_id: str | None = None, *, timeout_s: float = 30.0
) -> dict[str, list[dict[str, Any]]]:
    """The audit records of hits (those with a ``hit_id``), per hit id in decision order;
    only ``hit_id``'s when given. Hits' records are keyed by their alert id, so the whole
    topic is read."""
    found: dict[str, list[dict[str, Any]]] = {}
    needle = None if hit_id is None else orjson.dumps(hit_id)

    def keep(record: Any) -> None:
        value = record.value
        if value is None or b'"hit_id"' not in value:
            return
        if needle is not None and needle not in value:
            return
        parsed = decode_audit(value)
        if parsed is None or not isinstance(parsed.get("hit_id"), str):
            return
        if hit_id is None or parsed["hit_id"] == hit_id:
            found.setdefault(parsed["hit_id"], []).append(parsed)

    await read_topic(settings, topic, keep, timeout_s=timeout_s)
    return found
