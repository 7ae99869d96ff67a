"""Waiting for the view a way-back record needs, when several hub instances share the work.

A way-back record names something another instance may have committed a moment ago: a hit,
flag or receipt summary on the hub inbox names an alert routed by whichever instance owns
that alert's ingress partition; an acknowledgement on an ingress topic names a hit forwarded
by the instance owning the inbox. This instance learns the others' commits from its
changelog tail (every 500 ms), so a post quick enough to report a hit on an alert a second
after its routing would find the alert missing here, and the hit would be quarantined as
``unknown_alert`` although it is not.

The record itself proves the order: whatever it names was committed before it was written,
so before it was read. :class:`ViewGate` therefore holds such a batch back (the engine reads
it again after the commit interval) until this instance's view holds every changelog record
committed before the batch was first read: the changelog's high watermark taken then, read
past with ``read_committed``. Then a name still missing is unknown for real and the record
is quarantined as before. Normally one tail read is enough; a zombie's open transaction can
make it wait until that transaction is fenced or times out (the producers' 60 s).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import structlog
from aiokafka import TopicPartition

from gateway.contract.messages import (
    Flag,
    HitAck,
    HitReport,
    Message,
    ReceiptSummary,
    decode_as,
    message_kind,
)
from gateway.errors import QuarantineError
from gateway.hub.hits import SideStore, hit_key
from gateway.hub.state import ChangelogReader, StateStore

__all__ = ["ViewGate"]

log = structlog.get_logger(__name__)

_NAMING_ALERTS: dict[str, type[Message]] = {
    HitReport.kind: HitReport,
    Flag.kind: Flag,
    ReceiptSummary.kind: ReceiptSummary,
}
"""Inbox messages the hub decides on the named alert's entry."""


class ViewGate:
    """Holds back a way-back batch naming an alert or a hit this instance's view lacks,
    until the view holds every changelog commit made before the batch was first read."""

    def __init__(
        self, reader: ChangelogReader, store: StateStore, side: SideStore, inbox: str,
        on_wait: Callable[[], None] | None = None,
    ) -> None:  # fmt: skip
        self.reader = reader
        self.on_wait = on_wait  # called once per batch held back (a metric)
        self.store = store
        self.side = side
        self.inbox = inbox
        # per input partition: (first offset of the held batch, the changelog's ends then)
        self._held: dict[TopicPartition, tuple[int, dict[TopicPartition, int]]] = {}

    async def ready(self, tp: TopicPartition, records: Sequence[Any]) -> bool:
        """Whether the batch can be decided now (False: the engine reads it again later)."""
        missing = self.missing(tp, records)
        if missing is None:
            self._held.pop(tp, None)
            return True
        await self.reader.tail_once()
        missing = self.missing(tp, records)
        if missing is None:
            self._held.pop(tp, None)
            return True
        first = records[0].offset
        held = self._held.get(tp)
        if held is None or held[0] != first:
            self._held[tp] = (first, await self.reader.ends())
            if self.on_wait is not None:
                self.on_wait()
            log.info(
                "hub_view_behind", topic=tp.topic, partition=tp.partition, offset=first,
                missing=missing,
            )  # fmt: skip
            return False
        if await self.reader.reached(held[1]):
            del self._held[tp]  # every earlier commit is in view: the name is unknown for real
            return True
        return False

    def forget(self, tp: TopicPartition) -> None:
        """The partition moved away: nothing of it is held here any more."""
        self._held.pop(tp, None)

    def missing(self, tp: TopicPartition, records: Sequence[Any]) -> str | None:
        """The first alert or hit id a way-back record of the batch names and this instance's
        committed view lacks, or None (alerts and undecodable records name nothing here)."""
        inbox = tp.topic == self.inbox
        for record in records:
            kind = message_kind(record.headers)
            if kind is None:
                continue
            try:
                if inbox:
                    model = _NAMING_ALERTS.get(kind)
                    if model is None:
                        continue
                    alert_id: str = decode_as(model, kind, record.value).alert_id  # type: ignore[attr-defined]  # why: every model of _NAMING_ALERTS names its alert
                    if self.store.committed(alert_id) is None:
                        return alert_id
                elif kind == HitAck.kind:
                    ack = decode_as(HitAck, kind, record.value)
                    if self.side.committed(hit_key(ack.hit_id)) is None:
                        return ack.hit_id
            except QuarantineError:
                continue  # the processor quarantines it, whatever the view holds
        return None
