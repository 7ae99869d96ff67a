"""Travel documents at the post: index memory, build and lookup; bootstrap from the feed.

``python -m bench.bench_documents [--smoke] [--size N] [--json PATH] [--skip-bootstrap]
[--bootstrap-docs N]``

* Index (no broker): N synthetic documents (9-character numbers, 200 issuers, every status
  and type): BLAKE2b hashing, the feed's build (``add_many`` per 10,000, runs merged every
  65,536), a restart's build (``pack`` + one sort), bytes per document (array ``nbytes``,
  and tracemalloc of a restart's build), and exact lookups p50/p99/p99.9 (normalize, hash,
  binary search): half listed numbers with their issuer, a quarter under another issuer,
  a quarter unlisted.
* Bootstrap (FRONTLINE_BOOTSTRAP_SERVERS): ``--bootstrap-docs`` TravelDocumentAlerts (as
  a node writes them) on a fresh 3-partition feed; a raw aiokafka read_committed consume,
  then a post reading it from an empty store until caught up (documents/s), then a restart
  from its store; and where a record's time goes, stage by stage, on 20,000 of them.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import tempfile
import time
import tracemalloc
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
from aiokafka import AIOKafkaProducer, TopicPartition

from bench._common import BenchResult, Figure, create_topics, run_id, write_result
from bench._consume import aiokafka_read, librdkafka_read
from gateway.contract import AlertKind
from gateway.contract.codec import encode_dict
from gateway.kafka.headers import RouteHeaders
from gateway.node.route import DOCUMENT_HEADER, document_header
from gateway.post import PostService
from gateway.post.feed_documents import headed_document
from gateway.post.screening.documents import (
    DOC_TYPES,
    STATUSES,
    DocumentIndex,
    decode_document,
    number_hash,
)
from gateway.settings import Settings

_ALNUM = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
_ISSUERS = [f"{a}{b}{c}" for a in "ABCDEFGH" for b in "KLMNO" for c in "RSTUV"]  # 200


def numbers(n: int, seed: int) -> list[str]:
    """``n`` distinct-enough 9-character document numbers (letters and digits)."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, len(_ALNUM), size=(n, 9), dtype=np.uint8)
    table = np.frombuffer(_ALNUM.encode(), dtype=np.uint8)
    return [row.decode() for row in table[codes].view("S9").ravel()]


def _quantile(values: np.ndarray[Any, Any], q: float) -> float:
    return float(np.quantile(values, q))


def index_figures(result: BenchResult, size: int) -> None:
    """Hash, build (feed and restart paths), memory and lookup latency at ``size``."""
    tag = f"{size:,}"
    print(f"  generating {tag} documents", flush=True)
    docs = numbers(size, 11)
    rng = random.Random(5)
    issuers = [rng.choice(_ISSUERS) for _ in range(size)]
    statuses = [STATUSES[i % len(STATUSES)] for i in range(size)]
    types = [DOC_TYPES[i % len(DOC_TYPES)] for i in range(size)]

    t0 = time.perf_counter()
    digests = [number_hash(d) for d in docs]
    result.add(Figure(f"normalize + hash at {tag}", size / (time.perf_counter() - t0), "docs/s"))

    index = DocumentIndex()
    t0 = time.perf_counter()
    for start in range(0, size, 10_000):  # as the feed hands over a batch's documents
        end = min(size, start + 10_000)
        index.add_many(
            list(zip(range(start, end), digests[start:end], issuers[start:end],
                     statuses[start:end], types[start:end], strict=True))
        )  # fmt: skip
    index.merge()
    took = time.perf_counter() - t0
    result.add(
        Figure(
            f"index build, feed path (add_many + merges) at {tag}", size / took, "docs/s",
            aim=">= 100,000 docs/s", met=size / took >= 100_000,
        )
    )  # fmt: skip
    per_doc = index.nbytes / size
    result.add(
        Figure(
            f"memory per document (array nbytes) at {tag}", per_doc, "bytes",
            aim="<= 32 bytes", met=per_doc <= 32, higher_is_better=False,
        )
    )  # fmt: skip
    del index
    gc.collect()

    rows = list(zip(range(size), digests, issuers, statuses, types, strict=True))
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    t0 = time.perf_counter()
    restored = DocumentIndex()
    restored.load([restored.pack(rows[i : i + 100_000]) for i in range(0, size, 100_000)])
    took = time.perf_counter() - t0
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    result.add(Figure(f"index build, restart path (pack + sort) at {tag}", size / took, "docs/s"))
    result.add(
        Figure(
            f"memory per document (tracemalloc, restart build) at {tag}", held / size, "bytes",
            aim="<= 32 bytes", met=held / size <= 32, higher_is_better=False,
        )
    )  # fmt: skip
    del rows
    gc.collect()
    lookups(result, restored, docs, issuers, tag)


def lookups(
    result: BenchResult, index: DocumentIndex, docs: list[str], issuers: list[str], tag: str
) -> None:
    """Exact lookup latency: half listed with their issuer, a quarter under another issuer,
    a quarter unlisted."""
    size = len(docs)
    rng = random.Random(7)
    asks = []
    probe = min(size, 100_000)
    for i in range(probe):
        j = rng.randrange(size)
        if i % 4 < 2:
            asks.append((docs[j], issuers[j]))
        elif i % 4 == 2:
            asks.append((docs[j], "ZZZ"))
        else:
            asks.append((f"Q{j:08d}", issuers[j]))
    times = np.empty(len(asks))
    found = 0
    for i, (number, issuer) in enumerate(asks):
        t = time.perf_counter_ns()
        found += bool(index.lookup(number, issuer))
        times[i] = time.perf_counter_ns() - t
    times /= 1000  # µs
    result.add(Figure(f"lookup p50 at {tag}", _quantile(times, 0.5), "µs", higher_is_better=False))
    p99 = _quantile(times, 0.99)
    result.add(
        Figure(
            f"lookup p99 at {tag}", p99, "µs", aim="< 1,000 µs", met=p99 < 1000,
            higher_is_better=False,
        )
    )  # fmt: skip
    result.add(
        Figure(f"lookup p99.9 at {tag}", _quantile(times, 0.999), "µs", higher_is_better=False)
    )
    result.params[f"lookups_{size}"] = len(asks)
    result.params[f"lookups_found_{size}"] = found


def _template() -> dict[str, Any]:
    return {
        "envelope": {
            "alert_id": "", "version": 1, "msg_type": "ALERT", "references": [],
            "status": "ACTUAL", "source_org": "INTERPOL", "originating_country": "DEU",
            "issued_at": 1_759_390_800_000, "expires_at": None, "tlp": "GREEN",
            "release_to_countries": [], "release_to_orgs": [], "deny_countries": [],
            "deny_orgs": [], "handling_code": "H0", "handling_note": None,
            "source_reliability": "A", "information_accuracy": "KNOWN_TRUE",
            "legal_basis": "INTERPOL Rules on the Processing of Data, Art. 10 (SLTD)",
        },
        "subject": {
            "document_number": "", "issuing_country": "DEU", "document_type": "PASSPORT",
            "status": "STOLEN", "reported_at": 1_759_335_600_000, "review_at": None,
        },
    }  # fmt: skip


def _headers() -> list[tuple[str, bytes]]:
    now = int(time.time() * 1000)
    return RouteHeaders(
        kind="TRAVEL_DOCUMENT", org="INTERPOL", tlp="GREEN", status="ACTUAL", msg_type="ALERT",
        version=1, ts_issued=now, ts_connector=now, ts_hub=now, ts_node=now,
    ).to_kafka()  # fmt: skip


def encoded(start: int, count: int) -> list[tuple[bytes, bytes, list[tuple[str, bytes]]]]:
    """Encoded TravelDocumentAlerts ``start`` .. ``start + count`` (key, value, the node's
    ``fl-doc`` header)."""
    record = _template()
    out = []
    for i, number in enumerate(numbers(count, start + 1), start):
        alert_id = f"INTERPOL:SLTD-B-{i}"
        record["envelope"]["alert_id"] = alert_id
        record["subject"]["document_number"] = number
        record["subject"]["issuing_country"] = _ISSUERS[i % len(_ISSUERS)]
        doc = document_header(record)
        assert doc is not None
        out.append(
            (
                alert_id.encode(),
                encode_dict(AlertKind.TRAVEL_DOCUMENT, record),
                [(DOCUMENT_HEADER, doc)],
            )
        )
    return out


def stages(result: BenchResult, n: int, workdir: Path) -> None:
    """CPU time per record of each stage of the post's document path, on ``n`` records."""
    headers = _headers()
    records = [
        SimpleNamespace(offset=i, key=k, value=v, headers=headers + doc)
        for i, (k, v, doc) in enumerate(encoded(0, n))
    ]
    timings: dict[str, float] = {}

    def timed(name: str, work: Any) -> Any:
        t0 = time.process_time()
        out = work()
        timings[name] = (time.process_time() - t0) / n * 1e6
        return out

    timed(
        "headers (RouteHeaders.from_kafka)",
        lambda: [RouteHeaders.from_kafka(r.headers) for r in records],
    )
    docs = timed(
        "Avro decode (decode_document)", lambda: [decode_document(r.value) for r in records]
    )
    timed("normalize + hash", lambda: [d.hash for d in docs])
    timed(
        "fl-doc header read instead (the bootstrap's path, headed_document)",
        lambda: [headed_document(r) for r in records],
    )
    service_like = PostService(Settings(data_dir=workdir / "svc", receipts=False), "FRA", "CDG")
    feed = service_like.feed

    def whole() -> None:
        for i in range(0, n, 10_000):
            feed.apply({TopicPartition(service_like.topic, 0): records[i : i + 10_000]})

    timed("whole feed batch (stage, store, index)", whole)
    service_like.close()
    receipts = PostService(Settings(data_dir=workdir / "rcpt", receipts=True), "FRA", "CDG")

    def with_receipts() -> None:
        for i in range(0, n, 10_000):
            receipts.feed.apply({TopicPartition(receipts.topic, 0): records[i : i + 10_000]})

    timed("whole feed batch with receipts on", with_receipts)
    receipts.close()
    for name, micros in timings.items():
        result.add(Figure(f"CPU per record: {name}", micros, "µs", higher_is_better=False))


async def _produce(servers: str, topic: str, n: int) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=servers, linger_ms=20, max_batch_size=1_048_576, acks=1
    )
    await producer.start()
    headers = _headers()
    try:
        for start in range(0, n, 100_000):
            for key, value, doc in encoded(start, min(100_000, n - start)):
                await producer.send(topic, value, key=key, headers=headers + doc)
            print(f"  produced {min(n, start + 100_000):,}", flush=True)
        await producer.flush()
    finally:
        await producer.stop()


async def bootstrap(result: BenchResult, servers: str, n: int, workdir: Path) -> None:
    """A post's bootstrap of ``n`` documents against a raw consume, and its restart."""
    # Receipts off: their cost (one outbox row per document) is measured among the stages.
    settings = Settings(
        bootstrap_servers=servers, topic_prefix=f"bd{run_id()}.", data_dir=workdir, receipts=False
    )
    service = PostService(settings, "FRA", "CDG")
    await create_topics(servers, [service.topic], 3)
    await _produce(servers, service.topic, n)
    raw = await aiokafka_read(servers, service.topic, n)
    raw_rd = librdkafka_read(servers, service.topic, n)
    result.add(Figure(f"raw aiokafka consume, {n:,} records", raw, "records/s"))
    result.add(Figure(f"raw librdkafka consume, {n:,} records", raw_rd, "records/s"))
    t0, cpu0 = time.perf_counter(), time.process_time()
    task = asyncio.create_task(service.run())
    await asyncio.wait_for(service.feed.caught_up.wait(), 7200)
    took, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    service.stop()
    await task
    rate = len(service.documents) / took
    # Per CPU second of the post's process: what one free core would sustain (the wall-clock
    # rate shares two cores with the broker and everything else running on the machine).
    result.add(Figure(f"bootstrap per CPU second, {n:,} documents", n / cpu, "docs/s"))
    result.add(
        Figure(
            f"bootstrap from the feed, {n:,} documents", rate, "docs/s", reference=raw,
            reference_name="raw consume", aim=">= 100,000 docs/s", met=rate >= 100_000,
        )
    )  # fmt: skip
    files = [service.store.path, Path(f"{service.store.path}-wal")]
    on_disk = sum(f.stat().st_size for f in files if f.exists())
    result.add(Figure("store on disk per document", on_disk / n, "bytes", higher_is_better=False))
    t0 = time.perf_counter()
    again = PostService(settings, "FRA", "CDG")
    took = time.perf_counter() - t0
    result.add(
        Figure(
            f"restart from the local store, {len(again.documents):,} documents",
            len(again.documents) / took, "docs/s", reference=rate, reference_name="bootstrap",
        )
    )  # fmt: skip
    again.close()


def main() -> None:
    """Command line: the index part always; the bootstrap part with FRONTLINE_BOOTSTRAP_SERVERS."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes: checks the harness")
    parser.add_argument("--json", type=Path, default=None, help="write the result here")
    parser.add_argument("--size", type=int, action="append", default=[], help="index size")
    parser.add_argument("--bootstrap-docs", type=int, default=1_000_000)
    parser.add_argument("--skip-bootstrap", action="store_true")
    args = parser.parse_args()
    sizes = [5_000] if args.smoke else (args.size or [1_000_000])
    result = BenchResult("documents", "Post: travel-document index and bootstrap")
    result.params = {"sizes": sizes}
    started = time.perf_counter()
    for size in sizes:
        index_figures(result, size)
        gc.collect()
    servers = os.environ.get("FRONTLINE_BOOTSTRAP_SERVERS")
    with tempfile.TemporaryDirectory(prefix="flb-documents-") as tmp:
        stages(result, 1_000 if args.smoke else 20_000, Path(tmp))
        if servers and not args.skip_bootstrap:
            n = 2_000 if args.smoke else args.bootstrap_docs
            result.params["bootstrap_docs"] = n
            asyncio.run(bootstrap(result, servers, n, Path(tmp) / "post"))
    result.seconds = time.perf_counter() - started
    write_result(result, args.json)


if __name__ == "__main__":
    main()
