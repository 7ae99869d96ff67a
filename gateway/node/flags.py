"""Flags a receiving country set on alerts it will not execute as issued on its territory.

A flag (``frontline node flag COUNTRY ALERT_ID --reason TEXT [--action INFORM]``) enters the
node as a ``flag`` message on its own ``up`` topic (key ``flag:<alert id>``); ``unflag``
sends one with ``flagged`` false. The node keeps the latest per alert (rebuilt at start by
reading that topic), delivers the alert to its posts with the ``fl-flag-*`` headers while it
is flagged, and forwards the flag to the hub, which tells the originator.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from gateway.contract.messages import Flag
from gateway.kafka.headers import FLAG_HEADERS, H

__all__ = ["FlagBook", "flag_key", "with_flag"]


def flag_key(alert_id: str) -> bytes:
    """The record key of a flag on the node's ``up`` topic."""
    return f"flag:{alert_id}".encode()


def with_flag(headers: Sequence[tuple[str, bytes]], flag: Flag | None) -> list[tuple[str, bytes]]:
    """``headers`` without any ``fl-flag-*`` header, plus the flag's when it is set."""
    kept = [(k, v) for k, v in headers if k not in FLAG_HEADERS]
    if flag is None or not flag.flagged:
        return kept
    kept += [(H.FLAG_COUNTRY, flag.country.encode()), (H.FLAG_ACTION, flag.action.value.encode())]
    if flag.reason:
        kept.append((H.FLAG_REASON, flag.reason.encode()))
    return kept


class FlagBook:
    """The flags in force, by alert id (an unflag removes the entry)."""

    def __init__(self) -> None:
        self.flags: dict[str, Flag] = {}

    def get(self, alert_id: str) -> Flag | None:
        """The flag in force on ``alert_id``, if any."""
        return self.flags.get(alert_id)

    def apply(self, flag: Flag) -> None:
        """Set or lift a flag."""
        if flag.flagged:
            self.flags[flag.alert_id] = flag
        else:
            self.flags.pop(flag.alert_id, None)

    def update(self, flags: Mapping[str, Flag]) -> None:
        """Apply flags staged by a committed transaction."""
        for flag in flags.values():
            self.apply(flag)
