"""The pipeline reduced to what the publisher sends, runnable in worker processes.

``Ready`` is an outcome stripped to the key, value, headers and result the publisher needs:
cheap to pickle, so ``--workers N`` can map, validate and encode in N processes while the
main process only sends.

A record too large for its topic (an alert over the ingress limit, or refused bytes over the
quarantine limit) becomes a bounded quarantine record here
(:meth:`gateway.kafka.quarantine.QuarantineRecord.bounded`), with reason ``too_large``: the first
64 KiB of the original, its size and its SHA-256. One oversized record never
stops a run.

With a signing key, a published record is signed here, over its exact value
(:class:`gateway.contract.trust.Signer`): in the worker processes under ``--workers N``,
where an Ed25519 signature (about 70 us) costs the sending process only its three pickled
headers (about 3 us).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from connectors.base import (
    Accepted,
    Connector,
    Outcome,
    RawRecord,
    process_record,
)
from connectors.runtime.results import RecordResult
from gateway.contract.trust import Signer
from gateway.kafka.headers import H
from gateway.kafka.quarantine import QuarantineRecord, Reason, record_size

__all__ = [
    "DEFAULT_LIMITS",
    "Limits",
    "Ready",
    "init_worker",
    "run_chunk",
    "to_ready",
]

# Room left for the headers the publisher adds when sending (timestamps) and for the
# extra too_large headers: a record is checked against its topic's limit minus this.
_SEND_MARGIN = 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """The largest record (batch bytes, as the broker counts them) each topic accepts."""

    ingress: int
    quarantine: int


# aiokafka's default max_request_size (1 MiB) is also the broker's default max.message.bytes.
DEFAULT_LIMITS = Limits(ingress=1_048_576, quarantine=1_048_576)


@dataclass(frozen=True, slots=True)
class Ready:
    """One record ready to send: to ingress (published) or to quarantine."""

    published: bool
    kind: str
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]  # signed if a key is set; timestamps added when sending
    result: RecordResult
    started: float  # time.perf_counter() when its processing began (system-wide on Linux)


def to_ready(
    outcome: Outcome,
    index: int,
    started: float,
    limits: Limits = DEFAULT_LIMITS,
    signer: Signer | None = None,
) -> Ready:
    """Reduce an outcome; a record too large for its topic becomes a too_large quarantine.

    With ``signer``, a published record's headers carry its signature over ``value``.
    """
    ready = _reduce(outcome, index, started)
    if ready.published:
        if record_size(ready.key, ready.value, ready.headers) + _SEND_MARGIN <= limits.ingress:
            if signer is None:
                return ready
            return replace(ready, headers=[*ready.headers, *signer.sign(ready.value)])
        assert isinstance(outcome, Accepted)  # only an Accepted outcome is published
        record = outcome.record
        reason = Reason(
            "",
            "too_large",
            f"the encoded alert exceeds the ingress limit of {limits.ingress} bytes",
        )
        refused = QuarantineRecord(
            org=record.org, stage="encode", component="connector", source=record.where,
            reasons=(reason,), original=record.data, ts_ms=int(time.time() * 1000),
        )  # fmt: skip
        return _quarantined(refused.bounded(limits.quarantine - _SEND_MARGIN), ready, index)
    if record_size(ready.key, ready.value, ready.headers) + _SEND_MARGIN <= limits.quarantine:
        return ready
    assert not isinstance(outcome, Accepted)
    return _quarantined(outcome.quarantine.bounded(limits.quarantine - _SEND_MARGIN), ready, index)


def _quarantined(bounded: QuarantineRecord, ready: Ready, index: int) -> Ready:
    """The Ready of a (bounded) quarantine record standing for ``ready``."""
    result = RecordResult(
        index, bounded.source, "quarantined", ready.kind, stage=bounded.stage,
        reasons=bounded.reasons,
    )  # fmt: skip
    return Ready(
        False, ready.kind, bounded.key(), bounded.original, bounded.headers(), result,
        ready.started,
    )  # fmt: skip


def _reduce(outcome: Outcome, index: int, started: float) -> Ready:
    """Reduce an outcome; headers are built by hand since this runs once per record."""
    if isinstance(outcome, Accepted):
        env = outcome.alert.envelope
        kind = outcome.kind.value
        headers = [
            (H.KIND, kind.encode()),
            (H.ORG, env.source_org.value.encode()),
            (H.TLP, env.tlp.value.encode()),
            (H.STATUS, env.status.value.encode()),
            (H.MSG_TYPE, env.msg_type.value.encode()),
            (H.VERSION, str(env.version).encode()),
            (H.TS_ISSUED, str(int(env.issued_at.timestamp() * 1000)).encode()),
        ]
        result = RecordResult(
            index, outcome.record.source, "published", kind,
            alert_id=env.alert_id, version=env.version, msg_type=env.msg_type.value,
        )  # fmt: skip
        return Ready(True, kind, outcome.key, outcome.value, headers, result, started)
    q = outcome.quarantine
    result = RecordResult(
        index, q.source, "quarantined", outcome.kind, stage=q.stage, reasons=q.reasons
    )
    return Ready(False, outcome.kind, q.key(), q.original, q.headers(), result, started)


_connector: Connector | None = None
_signer: Signer | None = None


def init_worker(org: str, signing_key: Path | None = None) -> None:
    """Process-pool initializer: build this worker's connector (and signer) once."""
    from connectors.registry import get_connector  # noqa: PLC0415  # avoid an import cycle

    global _connector, _signer  # noqa: PLW0603  # one of each per worker process, set once
    _connector = get_connector(org)
    _signer = None if signing_key is None else Signer.from_file(signing_key, org)


def run_chunk(
    records: list[RawRecord], first_index: int, now: datetime | None, limits: Limits
) -> list[Ready]:
    """Run the pipeline over consecutive records of one payload (in a worker process)."""
    assert _connector is not None  # set by init_worker
    out: list[Ready] = []
    for offset, record in enumerate(records):
        started = time.perf_counter()
        outcome = process_record(_connector, record, now)
        out.append(to_ready(outcome, first_index + offset, started, limits, _signer))
    return out
