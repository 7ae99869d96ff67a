"""The pipeline reduced to what the publisher sends, runnable in worker processes.

``Ready`` is an outcome stripped to the key, value, headers and result the publisher needs:
cheap to pickle, so ``--workers N`` can map, validate and encode in N processes while the
main process only sends.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from connectors.base import Accepted, Connector, Outcome, RawRecord, process_record
from connectors.results import RecordResult
from gateway.headers import H

__all__ = ["Ready", "init_worker", "run_chunk", "to_ready"]


@dataclass(frozen=True, slots=True)
class Ready:
    """One record ready to send: to ingress (published) or to quarantine."""

    published: bool
    kind: str
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]  # the connector timestamp is added when sending
    result: RecordResult
    started: float  # time.perf_counter() when its processing began (system-wide on Linux)


def to_ready(outcome: Outcome, index: int, started: float) -> Ready:
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


def init_worker(org: str) -> None:
    """Process-pool initializer: build this worker's connector once."""
    from connectors.registry import get_connector  # noqa: PLC0415  # avoid an import cycle

    global _connector  # noqa: PLW0603  # one connector per worker process, set once
    _connector = get_connector(org)


def run_chunk(records: list[RawRecord], first_index: int, now: datetime | None) -> list[Ready]:
    """Run the pipeline over consecutive records of one payload (in a worker process)."""
    assert _connector is not None  # set by init_worker
    out: list[Ready] = []
    for offset, record in enumerate(records):
        started = time.perf_counter()
        out.append(to_ready(process_record(_connector, record, now), first_index + offset, started))
    return out
