"""Signature checks where alerts are consumed: the hub, the national nodes, the border posts.

``load_trust`` reads the trust file a component is configured with (``FRONTLINE_TRUST_FILE``
or ``--trust-file``); without one it logs a single ``signature checks off`` warning and the
component behaves as before signing existed. ``BatchVerifier`` verifies a fetched batch:
Ed25519 in ``cryptography`` releases the GIL while it verifies, so a large batch is split
over a small thread pool (docs/signing.md, "Cost"). Nothing is cached: every record's exact
payload bytes are verified, so a changed payload can never pass on an earlier verdict.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import structlog

from gateway.contract.trust.signing import Reason, TrustStore, Verdict

__all__ = ["SIGNATURE_REASONS", "BatchVerifier", "Item", "load_trust"]

log = structlog.get_logger(__name__)

# Quarantine and metric reasons that are signature refusals (the Verdict's reason values).
SIGNATURE_REASONS = frozenset(r.value for r in Reason)

# (organization the record claims, payload bytes, Kafka headers)
Item = tuple[str, bytes, Iterable[tuple[str, bytes]] | None]

POOL_WORKERS = 2  # the hardware this runs on has few cores; more threads gained nothing
POOL_MIN_BATCH = 64  # below this, handing work to threads costs more than it saves


def load_trust(path: Path | None, component: str) -> TrustStore | None:
    """The trust store of ``path`` (a ``ConfigError`` naming ``file:line`` if it is wrong);
    None, with one warning, when no trust file is configured."""
    if path is None:
        log.warning(
            "signature checks off",
            component=component,
            hint="set FRONTLINE_TRUST_FILE or --trust-file to verify alert signatures",
        )
        return None
    store = TrustStore.from_file(path)
    log.info("signature_checks_on", component=component, keys=len(store.trusted_keys()))
    return store


class BatchVerifier:
    """Verifies a batch of records against one trust store, on a few threads when it pays."""

    def __init__(
        self,
        trust: TrustStore,
        *,
        workers: int = POOL_WORKERS,
        min_batch: int = POOL_MIN_BATCH,
    ) -> None:
        self.trust = trust
        self._workers = workers
        self._min_batch = min_batch
        self._pool: ThreadPoolExecutor | None = None

    def verify(
        self, org: str, payload: bytes, headers: Iterable[tuple[str, bytes]] | None
    ) -> Verdict:
        """One record's verdict."""
        return self.trust.verify_headers(org, payload, headers)

    def verify_all(self, items: Sequence[Item]) -> list[Verdict]:
        """Verdicts in the order of ``items`` (threads for a large batch, inline otherwise)."""
        if self._workers < 2 or len(items) < self._min_batch:
            verify = self.trust.verify_headers
            return [verify(org, payload, headers) for org, payload, headers in items]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="fl-verify")
        chunk = -(-len(items) // self._workers)  # one chunk per worker: few futures
        return list(self._pool.map(self._verify_item, items, chunksize=chunk))

    def verify_records(self, records: Sequence[Any], orgs: Sequence[str]) -> list[Verdict | None]:
        """Each consumed record's verdict against the organization it claims (``orgs[i]``);
        None for a tombstone, which carries no payload to sign (docs/signing.md "Limits")."""
        signed = [i for i, r in enumerate(records) if r.value is not None]
        found = self.verify_all([(orgs[i], records[i].value, records[i].headers) for i in signed])
        verdicts: list[Verdict | None] = [None] * len(records)
        for i, verdict in zip(signed, found, strict=True):
            verdicts[i] = verdict
        return verdicts

    def _verify_item(self, item: Item) -> Verdict:
        org, payload, headers = item
        return self.trust.verify_headers(org, payload, headers)

    def close(self) -> None:
        """Stop the threads (a later batch starts them again)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
