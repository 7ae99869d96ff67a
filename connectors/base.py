"""What every organization's connector is: split a native payload, map each record to an alert.

A connector module knows one organization's format and nothing else; writing that format
(for simulation and benchmarks) is ``connectors.synthetic``'s job, which depends on this. The shared
pipeline (:func:`process`) turns each native record into either an encoded alert ready
for ``<prefix>ingress.<org>`` or a quarantine record with machine-readable reasons;
it never raises on bad input.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import ValidationError

from gateway.contract import (
    AlertKind,
    AnyAlert,
    CommodityAlert,
    Org,
    ThreatAssessmentAlert,
    TravelDocumentAlert,
    WantedPersonAlert,
    kind_of,
)
from gateway.contract.codec import encode
from gateway.contract.validation import validate_alert
from gateway.errors import QuarantineError
from gateway.kafka.clock import now_ms
from gateway.kafka.quarantine import QuarantineRecord, Reason

__all__ = [
    "OBSERVERS",
    "Accepted",
    "Connector",
    "ConnectorError",
    "Outcome",
    "RawRecord",
    "Refused",
    "Revision",
    "bounded_reasons",
    "process",
    "process_record",
    "samples_dir",
    "split_records",
    "stamp_version",
]

# Observers may publish strategic threat assessments only. The hub reads its observers from
# the policy file; a connector, which may not read the hub's policy, refuses their
# operational alerts before they leave: codes from the contract's Org.
OBSERVERS: frozenset[Org] = frozenset({Org.SCO, Org.UNODC})

Revision = Literal["update", "amend", "narrow", "raise_red", "cancel"]
"""How an alert is revised. ``amend`` is an update that changes details in place and adds
none (no further alias, plate, offence or remark): a population amended for ever keeps its
size, as the soak's steady phase needs."""
_ALERT_TYPES = (WantedPersonAlert, CommodityAlert, ThreatAssessmentAlert, TravelDocumentAlert)
# Versions derived from an update stamp count seconds from this instant, so they fit the
# contract's 32-bit ``version`` until 2068 and grow with every later stamp.
_VERSION_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def samples_dir() -> Path:
    """Folder of the sample payloads shipped with the connectors (one per organization)."""
    return Path(__file__).resolve().parent / "samples"


def stamp_version(stamp: datetime) -> int:
    """A monotonic alert version from an organization's update stamp (seconds since 2000).

    Re-reading the same stamp gives the same version; a later stamp a larger one. A naive
    stamp is taken as UTC.
    """
    aware = stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=UTC)
    return max(1, int((aware - _VERSION_EPOCH).total_seconds()))


@dataclass(frozen=True)
class RawRecord:
    """One native record cut out of a payload, with its original bytes.

    ``parsed`` may carry what ``split`` already parsed for this record (a dict, an XML
    element ...) so ``to_alert`` need not parse ``data`` again; ``to_alert`` must still
    work from ``data`` alone when it is None.
    """

    org: str
    source: str  # file name, "stdin" or "http"
    index: int  # position within the payload, from 0
    data: bytes
    parsed: Any = field(default=None, compare=False, repr=False)

    @property
    def where(self) -> str:
        """``source#index``, used as the quarantine source."""
        return f"{self.source}#{self.index}"


class ConnectorError(QuarantineError):
    """A record (or whole payload) a connector refuses, with the stage and the reasons."""

    def __init__(self, stage: str, reasons: list[Reason] | tuple[Reason, ...]) -> None:
        first = reasons[0] if reasons else Reason("", "unknown", "refused")
        super().__init__(f"{stage}: {first.message}", reason=first.code)
        self.stage = stage
        self.reasons = tuple(reasons)

    @classmethod
    def one(cls, stage: str, path: str, code: str, message: str) -> ConnectorError:
        """Shorthand for a single reason."""
        return cls(stage, [Reason(path, code, message)])


@dataclass(frozen=True)
class Accepted:
    """A record that became a valid alert, encoded and keyed for its ingress topic."""

    record: RawRecord
    alert: AnyAlert
    kind: AlertKind
    key: bytes
    value: bytes


@dataclass(frozen=True)
class Refused:
    """A record (or payload) that goes to quarantine."""

    quarantine: QuarantineRecord
    kind: str  # the alert kind when known, else "UNKNOWN"


Outcome = Accepted | Refused


class Connector(ABC):
    """One organization's adapter: its format's name, how to split, how to map."""

    org: ClassVar[str]
    format_name: ClassVar[str]
    description: ClassVar[str]
    extensions: ClassVar[tuple[str, ...]]
    sample_file: ClassVar[str]  # file name under connectors/samples/
    # Further formats the same connector reads (e.g. INTERPOL's SLTD export), one sample each.
    extra_samples: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def split(self, payload: bytes, source: str) -> Iterator[RawRecord]:
        """Cut a payload into native records; raise ConnectorError(stage="split") if it cannot."""

    @abstractmethod
    def to_alert(self, record: RawRecord) -> AnyAlert:
        """Parse and map one record; raise ConnectorError(stage="parse" or "map") if it cannot."""

    @classmethod
    def sample_path(cls) -> Path:
        """The shipped sample payload documenting this organization's format."""
        return samples_dir() / cls.sample_file

    @classmethod
    def sample_paths(cls) -> tuple[Path, ...]:
        """Every shipped sample of this connector: the main format's first, then the others."""
        return (cls.sample_path(), *(samples_dir() / name for name in cls.extra_samples))


# A reason's path may come from the input (an unknown field's name): each part is bounded so
# that a record's quarantine headers stay small whatever the record holds.
_MAX_REASONS = 20
_MAX_PATH = 120
_MAX_MESSAGE = 300


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


def bounded_reasons(reasons: tuple[Reason, ...]) -> tuple[Reason, ...]:
    """At most 20 reasons, each path and message cut to a bounded length."""
    out = [
        Reason(_clip(r.path, _MAX_PATH), _clip(r.code, _MAX_PATH), _clip(r.message, _MAX_MESSAGE))
        for r in reasons[:_MAX_REASONS]
    ]
    if len(reasons) > _MAX_REASONS:
        out.append(Reason("", "more_reasons", f"{len(reasons) - _MAX_REASONS} more not listed"))
    return tuple(out)


def _refuse(  # noqa: PLR0917  # positional: called on every refusal in this module only
    org: str, where: str, data: bytes, stage: str, reasons: tuple[Reason, ...], kind: str
) -> Refused:
    record = QuarantineRecord(
        org=org, stage=stage, component="connector", source=where,
        reasons=bounded_reasons(reasons),
        original=data, ts_ms=now_ms(),
    )  # fmt: skip
    return Refused(record, kind)


def _internal(exc: Exception) -> tuple[Reason, ...]:
    # The exception text may quote the record: keep only its type in the reason.
    return (Reason("", "internal_error", f"unexpected {type(exc).__name__} while processing"),)


def _model_reasons(exc: ValidationError) -> tuple[Reason, ...]:
    # Only the location, the pydantic error type and its generic message: never the input.
    return tuple(
        Reason(".".join(str(p) for p in err["loc"]), err["type"], err["msg"])
        for err in exc.errors(include_url=False, include_input=False)
    ) or (Reason("", "invalid_model", "the mapped record does not fit the contract"),)


def split_records(connector: Connector, payload: bytes, source: str) -> list[RawRecord] | Refused:
    """The payload's records, or the refusal of the whole payload; never raises."""
    try:
        records = list(connector.split(payload, source))
    except ConnectorError as exc:
        return _refuse(connector.org, source, payload, exc.stage, exc.reasons, "UNKNOWN")
    except Exception as exc:  # a parser bug must not lose the payload
        return _refuse(connector.org, source, payload, "split", _internal(exc), "UNKNOWN")
    if not records and payload.strip():
        # Bytes that hold no complete record (an export cut inside its header, say) are
        # refused whole, so an operator sees them; only an empty payload means "nothing".
        reason = Reason(
            "", "no_records", "the payload holds no complete record; an empty export is empty"
        )
        return _refuse(connector.org, source, payload, "split", (reason,), "UNKNOWN")
    return records


def process_record(connector: Connector, record: RawRecord, now: datetime | None = None) -> Outcome:
    """Map, check, validate and encode one record; never raises."""
    return _one(connector, record, now)


def process(
    connector: Connector, payload: bytes, source: str, *, now: datetime | None = None
) -> Iterator[Outcome]:
    """Run the whole pipeline over one payload; every record ends Accepted or Refused."""
    records = split_records(connector, payload, source)
    if isinstance(records, Refused):
        yield records
        return
    for record in records:
        yield _one(connector, record, now)


def _one(  # noqa: PLR0911  # one early return per pipeline stage reads best
    connector: Connector, record: RawRecord, now: datetime | None
) -> Outcome:
    org = connector.org
    try:
        alert = connector.to_alert(record)
    except ConnectorError as exc:
        return _refuse(org, record.where, record.data, exc.stage, exc.reasons, "UNKNOWN")
    except ValidationError as exc:  # a native value the contract models refuse
        return _refuse(org, record.where, record.data, "map", _model_reasons(exc), "UNKNOWN")
    except Exception as exc:  # a mapping bug must not lose the record
        return _refuse(org, record.where, record.data, "map", _internal(exc), "UNKNOWN")
    if not isinstance(alert, _ALERT_TYPES):
        reason = Reason("", "internal_error", f"mapper returned {type(alert).__name__}")
        return _refuse(org, record.where, record.data, "map", (reason,), "UNKNOWN")
    kind = kind_of(alert)
    if org in OBSERVERS and kind is not AlertKind.THREAT_ASSESSMENT:
        reason = Reason(
            "", "observer_operational",
            f"{org} is an observer: it may publish strategic threat assessments only, "
            f"not {kind.value} alerts",
        )  # fmt: skip
        return _refuse(org, record.where, record.data, "map", (reason,), kind.value)
    try:
        problems = validate_alert(alert, now=now)
    except Exception as exc:  # a validator bug must not lose the record
        return _refuse(org, record.where, record.data, "validate", _internal(exc), kind.value)
    if problems:
        reasons = tuple(Reason(p.path, p.code, p.message) for p in problems)
        return _refuse(org, record.where, record.data, "validate", reasons, kind.value)
    try:
        value = encode(alert)
    except QuarantineError as exc:  # the codec says which rule the record broke
        reason = Reason("", exc.quarantine_reason, exc.message)
        return _refuse(org, record.where, record.data, "encode", (reason,), kind.value)
    except Exception as exc:  # an encoder refusal is a quarantine, not a crash
        return _refuse(org, record.where, record.data, "encode", _internal(exc), kind.value)
    return Accepted(record, alert, kind, alert.envelope.alert_id.encode(), value)
