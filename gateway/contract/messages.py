"""The way back: hit reports, their decisions and acknowledgements, receipts and flags.

Alerts flow down (organization -> hub -> national node -> border post) as Avro records;
these messages flow the other way, and sideways, between the same participants. They are
small JSON documents (UTF-8, one object), validated by these models on both ends and told
apart by the ``fl-msg`` header (:data:`MESSAGE_HEADER`), so a consumer of a topic that
carries both alerts and messages never has to guess. docs/twoway.md describes each hop.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, ClassVar, Literal, TypeVar

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gateway.contract.enums import Org, Tlp
from gateway.errors import QuarantineError

__all__ = [
    "MESSAGE_HEADER",
    "MESSAGE_MODELS",
    "FalseMatch",
    "Flag",
    "FlagAction",
    "HitAck",
    "HitDecision",
    "HitDecisionKind",
    "HitOutcome",
    "HitReport",
    "Message",
    "Receipt",
    "ReceiptSummary",
    "decode_as",
    "decode_message",
    "encode_message",
    "message_kind",
]

MESSAGE_HEADER = "fl-msg"
"""Kafka header naming the message type of a record (``hit``, ``hit-ack``, ...)."""

_Text = Annotated[str, Field(max_length=2000)]
_Id = Annotated[str, Field(min_length=1, max_length=200)]
_Country = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]


class HitOutcome(StrEnum):
    """What the officer did when a traveller or an object matched an alert."""

    ARRESTED = "ARRESTED"
    DETAINED = "DETAINED"
    REFUSED_ENTRY = "REFUSED_ENTRY"
    ENTRY_ALLOWED_REPORTED = "ENTRY_ALLOWED_REPORTED"  # discreet check done, let through
    OBJECT_SEIZED = "OBJECT_SEIZED"
    NOT_EXECUTED = "NOT_EXECUTED"
    FALSE_MATCH = "FALSE_MATCH"  # not the person or object of the alert


class HitDecisionKind(StrEnum):
    """The national bureau's decision on a hit its border post reported."""

    CONFIRMED = "CONFIRMED"
    DISMISSED = "DISMISSED"


class FlagAction(StrEnum):
    """What officers of a flagging country do instead of the alert's own action."""

    INFORM = "INFORM"  # report whereabouts to the issuing country, do not arrest
    LOCATE = "LOCATE"
    NO_ACTION = "NO_ACTION"


class Message(BaseModel):
    """Base of every way-back message: frozen, strict about unknown fields, versioned."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)
    kind: ClassVar[str]
    v: Literal[1] = 1


class HitReport(Message):
    """An officer's report that a traveller or object matched an alert version at a post.

    Personal data stays out: the report names the alert and what happened, not the traveller;
    ``subject_key`` is a digest of the screening query, used only to remember a FALSE_MATCH.
    """

    kind: ClassVar[str] = "hit"
    hit_id: _Id
    alert_id: _Id
    alert_version: int = Field(ge=1)
    org: Org
    tlp: Tlp
    country: _Country
    post_id: _Id
    officer_id: _Id | None = None
    outcome: HitOutcome
    reported_at: datetime
    place: _Text | None = None
    conveyance: _Text | None = None
    route: _Text | None = None
    companions: _Text | None = None
    note: _Text | None = None
    subject_key: Annotated[str, Field(max_length=128)] | None = None


class HitDecision(Message):
    """The reporting country's national bureau confirms or dismisses a hit."""

    kind: ClassVar[str] = "hit-decision"
    hit_id: _Id
    country: _Country
    decision: HitDecisionKind
    reason: _Text | None = None
    decided_at: datetime
    decided_by: _Id


class HitAck(Message):
    """The issuing organization acknowledges a hit, with follow-up instructions."""

    kind: ClassVar[str] = "hit-ack"
    hit_id: _Id
    alert_id: _Id
    org: Org
    instructions: Annotated[str, Field(min_length=1, max_length=2000)]
    acked_at: datetime
    acked_by: _Id


class Receipt(Message):
    """A border post committed an alert version (or its removal) into its watchlist."""

    kind: ClassVar[str] = "receipt"
    alert_id: _Id
    version: int = Field(ge=0)
    removed: bool = False
    country: _Country
    post_id: _Id
    at: datetime


class ReceiptSummary(Message):
    """A national node's count of its intended posts that hold an alert version."""

    kind: ClassVar[str] = "receipt-summary"
    alert_id: _Id
    version: int = Field(ge=0)
    removed: bool = False
    country: _Country
    intended: int = Field(ge=0)
    received: int = Field(ge=0)
    last_at: datetime | None = None


class Flag(Message):
    """A receiving country will not execute an alert's action on its territory (or lifts that)."""

    kind: ClassVar[str] = "flag"
    alert_id: _Id
    country: _Country
    flagged: bool = True
    action: FlagAction = FlagAction.INFORM
    reason: _Text | None = None
    at: datetime
    by: _Id


class FalseMatch(Message):
    """A post's FALSE_MATCH decision, offered to the country's other posts."""

    kind: ClassVar[str] = "false-match"
    alert_id: _Id
    alert_version: int = Field(ge=1)
    subject_key: Annotated[str, Field(min_length=1, max_length=128)]
    country: _Country
    post_id: _Id
    at: datetime


MESSAGE_MODELS: dict[str, type[Message]] = {
    model.kind: model
    for model in (HitReport, HitDecision, HitAck, Receipt, ReceiptSummary, Flag, FalseMatch)
}

M = TypeVar("M", bound=Message)


def encode_message(message: Message) -> tuple[bytes, list[tuple[str, bytes]]]:
    """The record value and the ``fl-msg`` header for ``message``."""
    value = orjson.dumps(message.model_dump(mode="json"))
    return value, [(MESSAGE_HEADER, message.kind.encode())]


def message_kind(headers: object) -> str | None:
    """The ``fl-msg`` header's value among Kafka ``headers``, or None for an alert record."""
    if not headers:
        return None
    for key, value in headers:  # type: ignore[attr-defined]  # aiokafka gives a tuple of pairs
        if key == MESSAGE_HEADER:
            return bytes(value).decode("ascii", "replace")
    return None


def decode_as(model: type[M], kind: str | None, value: bytes | None) -> M:
    """Like :func:`decode_message`, for a record that must hold a ``model`` message."""
    if kind != model.kind:
        raise QuarantineError(f"expected {model.kind}, got {kind}", reason="unexpected_message")
    message = decode_message(kind, value)
    if not isinstance(message, model):  # MESSAGE_MODELS maps each kind to one model
        raise QuarantineError(f"expected {model.kind}, got {kind}", reason="unexpected_message")
    return message


def decode_message(kind: str, value: bytes | None) -> Message:
    """Validate a message record; refuse with a ``QuarantineError`` naming what is wrong."""
    cls = MESSAGE_MODELS.get(kind)
    if cls is None:
        raise QuarantineError(f"unknown message kind {kind[:40]!r}", reason="unknown_message")
    if value is None:
        raise QuarantineError(f"{kind} message without a value", reason="bad_message")
    try:
        data = orjson.loads(value)
        return cls.model_validate(data)
    except (orjson.JSONDecodeError, ValidationError) as error:
        where = error.errors()[0]["loc"] if isinstance(error, ValidationError) else ()
        raise QuarantineError(
            f"bad {kind} message at {'.'.join(map(str, where)) or 'value'}",
            reason="bad_message",
        ) from None
