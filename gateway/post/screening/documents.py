"""The post's travel-document index: millions of stolen and lost documents in ~19 bytes each.

A border post holds travel-document alerts (``TravelDocumentAlert``, SLTD-style) not as
watchlist entries but as rows of five numpy arrays sorted by a 64-bit hash of the normalized
document number: the hash (8 bytes), a second 32-bit hash of the same number (4), the issuing
country's code (2), status and type in one byte (1), and the slot of the alert in the post's
store (4). 19 bytes per document; the alert id, version, printed number and dates stay in
the store (``documents`` table, keyed by slot) and are read only on a hit.

* Lookup: binary search of the number's hash (``numpy.searchsorted``), then the 32-bit check
  and the issuer code. Two different numbers are mistaken for one another only if 96 bits of
  BLAKE2b agree (about 1 in 10^20 per lookup at 100 million documents); the caller also
  confirms a hit against the store row, which holds the number as printed.
* Lookup by number alone returns every issuer's document; with an issuer, the documents of
  that issuer, or, when there is none, the others flagged ``issuer_matches=False``.
* Writes come in batches (a feed batch's documents): each becomes a small sorted run,
  searched beside the main arrays, and the runs are merged into them once they hold
  ``merge_at`` documents; a removal marks the row dead (a tombstone) and merges drop
  dead rows. More than ``max_runs`` runs are folded into one (their rows sorted together,
  the main arrays untouched): a trickle of small batches would otherwise leave thousands of
  runs, each searched on every lookup and each costing its own arrays.
* Slots identify rows: two organizations reporting the same document are two rows.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from io import BytesIO
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
from fastavro import parse_schema, schemaless_reader
from fastavro.schema import fingerprint, to_parsing_canonical_form

from gateway.contract.codec import HEADER_SIZE, decode_dict
from gateway.contract.enums import AlertKind
from gateway.contract.identifiers import normalize_identifier
from gateway.contract.schemas import default_registry, standalone_schema
from gateway.errors import DecodeError
from gateway.kafka.document_header import read_document_header

__all__ = [
    "BYTES_PER_DOCUMENT",
    "DOC_TYPES",
    "HASH_SIZE",
    "MAX_RUNS",
    "STATUSES",
    "DocumentIndex",
    "DocumentMatch",
    "DocumentRecord",
    "action_for",
    "decode_document",
    "document_from_header",
    "document_from_record",
    "number_hash",
]

STATUSES = ("STOLEN_BLANK", "STOLEN", "LOST", "REVOKED", "INVALIDATED")
DOC_TYPES = ("PASSPORT", "ID_CARD", "VISA", "RESIDENCE_PERMIT", "TRAVEL_DOCUMENT", "OTHER")
_STATUS_CODE = {s: i for i, s in enumerate(STATUSES)}
_TYPE_CODE = {t: i for i, t in enumerate(DOC_TYPES)}
_DEAD = 0xFF  # the status/type byte of a removed row
HASH_SIZE = 12  # bytes: the 64-bit sort key, then the 32-bit check
BYTES_PER_DOCUMENT = 8 + 4 + 2 + 1 + 4
_KEY_DTYPE = np.dtype([("key", "<u8"), ("check", "<u4")])
_ROW_DTYPE = np.dtype(
    [("key", "<u8"), ("check", "<u4"), ("issuer", "<u2"), ("code", "u1"), ("slot", "<u4")]
)


def action_for(status: str) -> str:
    """What the officer does with a listed document: verify a LOST one's holder, else seize."""
    return "VERIFY_HOLDER" if status == "LOST" else "SEIZE_DOCUMENT"


def number_hash(number: str) -> bytes:
    """The 12-byte BLAKE2b hash of a document number once normalized (the store keeps it)."""
    return hashlib.blake2b(normalize_identifier(number).encode(), digest_size=HASH_SIZE).digest()


def _code(status: str, doc_type: str) -> int:
    """Status and type in one byte (a later symbol reads as the Avro default)."""
    return _STATUS_CODE.get(status, 4) << 3 | _TYPE_CODE.get(doc_type, 5)


def _split(digest: bytes) -> tuple[int, int]:
    return int.from_bytes(digest[:8], "little"), int.from_bytes(digest[8:12], "little")


class DocumentRecord(NamedTuple):
    """A delivered travel-document alert as the post keeps it (times in epoch ms; a tuple:
    a bootstrap makes millions of them)."""

    alert_id: str
    version: int
    org: str
    tlp: str
    number: str  # as the issuer printed it
    issuer: str
    doc_type: str
    status: str
    reported_at_ms: int | None
    review_at_ms: int | None = None
    expires_at_ms: int | None = None

    @property
    def hash(self) -> bytes:
        """The number's lookup hash."""
        return number_hash(self.number)


def _ms(value: Any) -> int | None:
    if value is None or isinstance(value, int):
        return value
    timestamp = getattr(value, "timestamp", None)
    return int(timestamp() * 1000) if callable(timestamp) else None


def document_from_record(record: Mapping[str, Any], *, org: str = "") -> DocumentRecord | None:
    """The document of a decoded ``TravelDocumentAlert`` dict; None for a CANCEL (no subject)
    or a TLP:RED alert, which a post never holds."""
    envelope = record["envelope"]
    subject = record.get("subject")
    if not subject or envelope.get("msg_type") == "CANCEL" or envelope.get("tlp") == "RED":
        return None
    status = subject.get("status")
    doc_type = subject.get("document_type")
    return DocumentRecord(
        envelope["alert_id"],
        envelope["version"],
        org or envelope.get("source_org") or "",
        envelope.get("tlp") or "",
        subject["document_number"],
        (subject.get("issuing_country") or "").upper(),
        doc_type if doc_type in _TYPE_CODE else "OTHER",
        status if status in _STATUS_CODE else "INVALIDATED",
        _ms(subject.get("reported_at")),
        _ms(subject.get("review_at")),
        _ms(envelope.get("expires_at")),
    )


def _without_logical_types(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_logical_types(v) for k, v in node.items() if k != "logicalType"}
    if isinstance(node, list):
        return [_without_logical_types(v) for v in node]
    return node


class _FastReader(NamedTuple):
    header: bytes
    parsed: Any


_FAST: list[_FastReader] = []


def _fast_reader() -> _FastReader | None:
    """The current TravelDocumentAlert schema read without logical types (timestamps stay
    epoch-ms ints: the same bytes, no datetime objects; about a third faster in fastavro)."""
    if not _FAST:
        entry = default_registry().current.get(AlertKind.TRAVEL_DOCUMENT)
        if entry is None:
            return None
        plain = _without_logical_types(standalone_schema(AlertKind.TRAVEL_DOCUMENT))
        # The parsing canonical form drops logical types: the fingerprint must be the same.
        if fingerprint(to_parsing_canonical_form(plain), "CRC-64-AVRO") != entry.fingerprint_hex:
            return None
        _FAST.append(_FastReader(entry.header, parse_schema(plain)))
    return _FAST[0]


def document_from_header(alert_id: str, org: str, value: bytes) -> DocumentRecord | None:
    """The document an ``fl-doc`` header describes, without decoding the payload; None if
    the header is of another format or unreadable (the caller then decodes the payload)."""
    f = read_document_header(value)
    if f is None:
        return None
    return DocumentRecord(
        alert_id, f.version, org, f.tlp, f.number, f.issuer.upper(),
        f.doc_type if f.doc_type in _TYPE_CODE else "OTHER",
        f.status if f.status in _STATUS_CODE else "INVALIDATED",
        f.reported_ms, f.review_ms, f.expires_ms,
    )  # fmt: skip


def decode_document(payload: bytes, *, org: str = "") -> DocumentRecord | None:
    """Decode a delivered travel-document payload (``DecodeError`` if corrupt or another kind).

    Payloads of the current writer schema take the fast path; older writers are resolved
    by ``codec.decode_dict``.
    """
    fast = _fast_reader()
    if fast is not None and payload[:HEADER_SIZE] == fast.header:
        buffer = BytesIO(payload)
        buffer.seek(HEADER_SIZE)
        try:
            record: Any = schemaless_reader(buffer, fast.parsed, None)
        except Exception as error:  # why: any failure inside fastavro means the body is corrupt
            raise DecodeError(
                f"corrupt TravelDocumentAlert body: {type(error).__name__}", reason="corrupt_body"
            ) from error
        if buffer.tell() != len(payload):
            raise DecodeError("trailing bytes after the TravelDocumentAlert", reason="corrupt_body")
    else:
        kind, record = decode_dict(payload)
        if kind != AlertKind.TRAVEL_DOCUMENT:
            raise DecodeError(f"a {kind} payload is not a travel document", reason="wrong_kind")
    return document_from_record(record, org=org)


class DocumentMatch(NamedTuple):
    """A listed document with the number looked up; details are in the store at ``slot``."""

    slot: int
    issuer: str
    status: str
    doc_type: str
    issuer_matches: bool


class _Run(NamedTuple):
    """Documents sorted by key, one contiguous array per field."""

    key: npt.NDArray[np.uint64]
    check: npt.NDArray[np.uint32]
    issuer: npt.NDArray[np.uint16]
    code: npt.NDArray[np.uint8]
    slot: npt.NDArray[np.uint32]

    @classmethod
    def of(cls, rows: npt.NDArray[np.void]) -> _Run:
        """A run of packed rows, sorted by key."""
        order = np.argsort(rows["key"], kind="stable")
        return cls(*(np.ascontiguousarray(rows[f][order]) for f in cls._fields))

    @property
    def size(self) -> int:
        return int(self.key.size)

    def span(self, key: int) -> range:
        """Positions holding ``key``."""
        needle = np.uint64(key)
        return range(
            int(self.key.searchsorted(needle, "left")), int(self.key.searchsorted(needle, "right"))
        )

    def alive(self) -> _Run:
        """The run without its tombstoned rows."""
        keep = self.code != _DEAD
        return _Run(*(a[keep] for a in self))


_EMPTY = _Run.of(np.empty(0, _ROW_DTYPE))

MAX_RUNS = 32
"""Runs of recent batches searched beside the main arrays before they are folded into one."""


class DocumentIndex:
    """Travel documents by hashed number: sorted numpy arrays, sorted runs of recent
    batches merged in when they reach ``merge_at`` documents (folded into one beyond
    ``max_runs``), and tombstones."""

    def __init__(self, *, merge_at: int = 65_536, max_runs: int = MAX_RUNS) -> None:
        self.merge_at = merge_at
        self.max_runs = max_runs
        self._issuers: list[str] = []
        self._issuer_code: dict[str, int] = {}
        self.clear()

    def clear(self) -> None:
        """Forget every document."""
        self._main = _EMPTY
        self._runs: list[_Run] = []
        self._buffered = 0  # rows in runs
        self._dead = 0  # tombstoned rows, in the main arrays and the runs

    def __len__(self) -> int:
        return self._main.size + self._buffered - self._dead

    @property
    def nbytes(self) -> int:
        """Bytes held by the arrays (the main ones and the runs not merged yet)."""
        return sum(a.nbytes for run in (self._main, *self._runs) for a in run)

    def _issuer_of(self, issuer: str) -> int:
        code = self._issuer_code.get(issuer)
        if code is None:
            if len(self._issuers) >= 0xFFFF:
                raise ValueError("more than 65,535 issuing countries")
            code = self._issuer_code[issuer] = len(self._issuers)
            self._issuers.append(issuer)
        return code

    # -- writes -------------------------------------------------------------------------------

    def add(self, slot: int, digest: bytes, issuer: str, status: str, doc_type: str) -> None:
        """Hold a document (``digest``: ``number_hash`` of its number) at a store slot."""
        self.add_many([(slot, digest, issuer, status, doc_type)])

    def add_many(self, rows: Sequence[tuple[int, bytes, str, str, str]]) -> None:
        """Hold documents (slot, digest, issuer, status, type): one sorted run per batch."""
        if not rows:
            return
        self._runs.append(_Run.of(self.pack(rows)))
        self._buffered += len(rows)
        if self._buffered >= self.merge_at:
            self.merge()
        elif len(self._runs) > self.max_runs:
            self._runs = [_Run.of(self._run_rows())]  # tombstones kept: still counted dead

    def remove(self, slot: int, digest: bytes) -> bool:
        """Stop holding the document at ``slot`` (its number's ``digest``); False if absent."""
        key, _ = _split(digest)
        for run in (*self._runs, self._main):
            for i in run.span(key):
                if run.slot[i] == slot and run.code[i] != _DEAD:
                    run.code[i] = _DEAD
                    self._dead += 1
                    if self._dead > max(self.merge_at, self._main.size // 4):
                        self.merge()
                    return True
        return False

    def merge(self) -> None:
        """Fold the runs into the main arrays and drop tombstoned rows."""
        if not self._runs and not self._dead:
            return
        main = self._main.alive() if self._dead else self._main
        if self._runs:
            new = _Run.of(self._run_rows()).alive()
            at = np.searchsorted(main.key, new.key)
            main = _Run(*(np.insert(getattr(main, f), at, getattr(new, f)) for f in _Run._fields))
        self._main = main
        self._runs = []
        self._buffered = 0
        self._dead = 0

    def _run_rows(self) -> npt.NDArray[np.void]:
        """Every run's rows (tombstones too), packed into one array."""
        rows = np.empty(self._buffered, _ROW_DTYPE)
        start = 0
        for run in self._runs:
            for name, values in zip(_Run._fields, run, strict=True):
                rows[name][start : start + run.size] = values
            start += run.size
        return rows

    def pack(self, rows: Sequence[tuple[Any, ...]]) -> npt.NDArray[np.void]:
        """Rows (slot, 12-byte hash, issuer, status, type) as one packed 19-byte record each,
        for ``load``: a restart packs the store's rows chunk by chunk."""
        n = len(rows)
        out = np.empty(n, _ROW_DTYPE)
        hashes = np.frombuffer(b"".join(bytes(r[1]) for r in rows), _KEY_DTYPE)
        out["key"], out["check"] = hashes["key"], hashes["check"]
        out["slot"] = np.fromiter((int(r[0]) for r in rows), np.uint32, n)
        out["issuer"] = np.fromiter((self._issuer_of(str(r[2])) for r in rows), np.uint16, n)
        out["code"] = np.fromiter((_code(str(r[3]), str(r[4])) for r in rows), np.uint8, n)
        return out

    def load(self, packs: Iterable[npt.NDArray[np.void]]) -> None:
        """Replace the index with these packed documents in one sort (a restart)."""
        self.clear()
        self._main = _Run.of(np.concatenate([np.empty(0, _ROW_DTYPE), *packs]))

    # -- reads --------------------------------------------------------------------------------

    def lookup(self, number: str, issuer: str | None = None) -> list[DocumentMatch]:
        """Documents listed under ``number`` (normalized here), by ``issuer`` (alpha-3) when
        given: those of that issuer, or, if none, the others with ``issuer_matches=False``."""
        if not normalize_identifier(number):
            return []
        key, check = _split(number_hash(number))
        rows: list[tuple[int, int, int]] = []  # issuer code, status/type byte, slot
        for run in (self._main, *self._runs):
            for i in run.span(key):
                code = int(run.code[i])
                if code != _DEAD and int(run.check[i]) == check:
                    rows.append((int(run.issuer[i]), code, int(run.slot[i])))
        if not rows:
            return []
        wanted = self._issuer_code.get(issuer.upper(), -1) if issuer else None
        same = [r for r in rows if wanted is None or r[0] == wanted]
        found = same or rows
        exact = bool(same)
        return [
            DocumentMatch(
                slot=slot,
                issuer=self._issuers[issuer_code],
                status=STATUSES[code >> 3] if code >> 3 < len(STATUSES) else "INVALIDATED",
                doc_type=DOC_TYPES[code & 7] if code & 7 < len(DOC_TYPES) else "OTHER",
                issuer_matches=exact,
            )
            for issuer_code, code, slot in sorted(found, key=lambda r: r[2])
        ]
