"""The travel-document half of a post's feed: documents go to the compact index, not the watchlist.

A fetched batch is folded per alert id by ``PostFeed`` as usual; its ``TRAVEL_DOCUMENT``
records (and every removal, whose kind a tombstone does not say) are planned here against
what the store holds: a newer version takes the alert's slot (or a new one), an older or
equal one is stale, a removal (tombstone, CANCEL, TLP:RED) frees the slot. The plan's rows
are written in the batch's SQLite transaction; the in-memory index changes only after that
commit, so a hit in memory always finds its row in the store (``DocumentRows``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from gateway.contract.messages import MESSAGE_HEADER
from gateway.kafka.document_header import DOCUMENT_HEADER
from gateway.kafka.headers import H
from gateway.post.gate import WatchlistGate
from gateway.post.screening.documents import (
    DocumentIndex,
    DocumentRecord,
    document_from_header,
)
from gateway.post.store import (
    DOCUMENT_DROP,
    DOCUMENT_PUT,
    Change,
    HeldDocument,
    PostStore,
    Statement,
)

__all__ = ["DocumentFeed", "DocumentPlan", "headed_document", "headed_runs"]


def headed_document(record: Any) -> DocumentRecord | None:
    """The document a feed record's ``fl-doc`` header describes (the national node adds it
    to travel-document deliveries); None: the record takes the full path (decoded)."""
    if record.key is None or record.value is None or not record.headers:
        return None
    headers = dict(record.headers)
    value = headers.get(DOCUMENT_HEADER)
    if value is None or MESSAGE_HEADER in headers or headers.get(H.TLP) == b"RED":
        return None
    org = headers.get(H.ORG, b"").decode("utf-8", "replace")
    return document_from_header(record.key.decode("utf-8", "replace"), org, value)


def headed_runs(
    fetched: Sequence[Any],
) -> Iterator[tuple[Sequence[Any], list[DocumentRecord] | None]]:
    """A partition's records in order, as runs of headed travel documents (with their
    documents) and runs of other records (None), so folding them in turn keeps the order."""
    start, run, fast = 0, [], None
    for i, record in enumerate(fetched):
        doc = headed_document(record)
        if fast is not None and (doc is not None) != fast:
            yield fetched[start:i], (run if fast else None)
            start, run = i, []
        fast = doc is not None
        if doc is not None:
            run.append(doc)
    if fast is not None:
        yield fetched[start:], (run if fast else None)


@dataclass
class DocumentPlan:
    """What one batch does to the documents: store rows, then index changes."""

    puts: list[tuple[object, ...]] = field(default_factory=list)
    drops: list[tuple[int]] = field(default_factory=list)
    adds: list[tuple[int, bytes, str, str, str]] = field(default_factory=list)
    removes: list[tuple[int, bytes]] = field(default_factory=list)
    changes: dict[str, Change] = field(default_factory=dict)  # upserts, for receipts
    removed: dict[str, int] = field(default_factory=dict)  # alert id -> version dropped
    stale: int = 0
    updated: set[str] = field(default_factory=set)  # upserts replacing a held version
    gone: list[tuple[str, HeldDocument]] = field(default_factory=list)  # removals, as held

    def statements(self) -> list[Statement]:
        """The SQL writes of this plan (deletes first: a slot may be freed and not reused)."""
        out: list[Statement] = []
        if self.drops:
            out.append((DOCUMENT_DROP, self.drops))
        if self.puts:
            out.append((DOCUMENT_PUT, self.puts))
        return out


class DocumentFeed:
    """Plans a batch's document changes against the store and applies them to the index."""

    def __init__(self, store: PostStore, index: DocumentIndex) -> None:
        self.store = store
        self.index = index
        self._next_slot = store.next_document_slot()

    def reset(self) -> None:
        """The store was emptied: forget the index too (call under the gate)."""
        self.index.clear()
        self._next_slot = self.store.next_document_slot()

    def plan(self, documents: dict[str, DocumentRecord | None]) -> DocumentPlan:
        """Compare a batch's documents (None: a removal) with what the store holds."""
        plan = DocumentPlan()
        if not documents:
            return plan
        held = self.store.held_documents(list(documents))
        for alert_id, doc in documents.items():
            old = held.get(alert_id)
            if doc is None:
                if old is not None:
                    plan.drops.append((old.slot,))
                    plan.removes.append((old.slot, old.hash))
                    plan.removed[alert_id] = old.version
                    plan.gone.append((alert_id, old))
                continue
            if old is not None and old.version >= doc.version:
                plan.stale += 1  # older than the post holds: keep the newer
                continue
            if old is not None:
                slot = old.slot
                plan.removes.append((slot, old.hash))
                plan.updated.add(alert_id)
            else:
                slot = self._next_slot
                self._next_slot += 1
            digest = doc.hash
            plan.puts.append(
                (slot, alert_id, doc.version, doc.org, doc.tlp, doc.number, doc.issuer,
                 doc.doc_type, doc.status, doc.reported_at_ms, doc.review_at_ms,
                 doc.expires_at_ms, digest)
            )  # fmt: skip
            plan.adds.append((slot, digest, doc.issuer, doc.status, doc.doc_type))
            plan.changes[alert_id] = Change(alert_id, doc.version, b"")
        return plan

    def apply(self, plan: DocumentPlan) -> None:
        """Apply a committed plan to the index (call under the gate's write side)."""
        for slot, digest in plan.removes:
            self.index.remove(slot, digest)
        self.index.add_many(plan.adds)

    def restore(self) -> int:
        """Load the index from the store in one sort; returns the documents loaded."""
        self._load([self.index.pack(rows) for rows in self.store.document_index_rows()])
        return len(self.index)

    async def restore_async(self, gate: WatchlistGate) -> int:
        """``restore`` packing the rows chunk by chunk while the event loop keeps serving."""
        packs = []
        for rows in self.store.document_index_rows():
            packs.append(self.index.pack(rows))
            await asyncio.sleep(0)
        async with gate.write():
            self._load(packs)
        return len(self.index)

    def _load(self, packs: list[npt.NDArray[np.void]]) -> None:
        self.index.load(packs)
        top = max((int(p["slot"].max()) + 1 for p in packs if p.size), default=0)
        self._next_slot = max(self._next_slot, top)
