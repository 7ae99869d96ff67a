"""The hub's state in memory: bytes per alert and restore time at 1 (and 10) million alerts.

Each size runs in a fresh interpreter: it restores N synthetic changelog values (the JSON the
hub writes to ``hub.state``, generated on the fly so none is kept) into a ``StateStore`` the
way ``ChangelogReader`` does, and reports the resident memory it grew by and the time the
restore took (parsing and applying; the values are generated 10,000 at a time outside the
timing; the broker fetch is not included). ``--reference REV``
runs the same on the ``gateway/hub/state.py`` of a git revision (the store before it was
packed), the same-run reference.

    python -m bench.bench_hub_state [--sizes 1000000 10000000] [--reference REV] [--json PATH]
    python -m bench.bench_hub_state --smoke          # 20,000 alerts, seconds
    python -m bench.bench_hub_state --broker-size 200000 [--reference REV]  # from a broker
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib.util
import itertools
import json
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from bench._common import BenchResult, Figure, broker, create_topics, run_id, write_result

__all__ = ["changelog_values", "main", "probe", "run"]

ROOT = Path(__file__).resolve().parents[1]
ORGS = ("INTERPOL", "EUROPOL", "AFRIPOL", "AMERIPOL", "ASEANAPOL", "GCCPOL", "FRONTEX")
KINDS = ("WANTED_PERSON", "COMMODITY", "THREAT_ASSESSMENT", "TRAVEL_DOCUMENT")
TLPS = ("CLEAR", "GREEN", "AMBER", "AMBER_STRICT", "RED")
AIM_BYTES = 300
CHUNK = 10_000  # values generated at a time, outside the timed restore


def changelog_values(count: int, seed: int = 16) -> Iterator[bytes]:
    """``count`` changelog values shaped as the hub writes them: 7 organizations over 3
    ingress partitions each, 4 kinds, recipient sets of 1 to 24 countries (12.5 on average, the
    measured fan-out is 11.8) from a pool of 2,000 (policy outcomes
    repeat), 60 percent with one hashed identifier and 10 percent with two, one in a thousand
    held for review with a 1.5 KB payload."""
    rng = random.Random(seed)
    countries = [f"C{n:02d}" for n in range(190)]
    pool = [sorted(rng.sample(countries, rng.randint(1, 24))) for _ in range(2000)]
    now = 1_800_000_000_000
    for n in range(count):
        org = ORGS[n % len(ORGS)]
        idents: list[str] = []
        roll = rng.random()
        if roll < 0.7:
            idents.append(rng.getrandbits(64).to_bytes(8, "big").hex())
        if roll < 0.1:
            idents.append(rng.getrandbits(64).to_bytes(8, "big").hex())
        version = 1_700_000_000 + n
        held = None
        if n % 1000 == 999:
            held = {
                "v": version + 1, "rule": "article-3", "r": pool[n % 2000],
                "payload": "A" * 2000, "hdr": [["fl-tlp", "AMBER"]], "at": now, "x": None,
            }  # fmt: skip
        value = orjson.dumps(
            {
                "id": f"{org}:2026/{n:08d}",
                "v": version,
                "org": org,
                "kind": KINDS[n % 4],
                "t": f"fl.ingress.{org.lower()}",
                "p": n % 3,
                "r": pool[rng.randrange(2000)],
                "x": now + rng.randrange(86_400_000 * 365),
                "i": sorted(idents),
                "c": False,
                "s": 1 + n % 3,
                "lv": version,
                "lt": TLPS[n % 5],
                "pv": "2026.11.1",
                "oc": countries[n % 190],
                "da": now - rng.randrange(86_400_000),
                "h": held,
            }
        )
        # A copy of exact size: orjson's own bytes keep a buffer of several KiB each.
        yield memoryview(value).tobytes()


def _rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def _load_state_module(reference: str | None) -> Any:
    """``gateway.hub.state`` now, or as it was at git revision ``reference``."""
    if reference is None:
        from gateway.hub import state  # noqa: PLC0415  # why: loaded in the probe only

        return state
    source = subprocess.run(
        ["git", "show", f"{reference}:gateway/hub/state.py"], cwd=ROOT, check=True,
        capture_output=True,
    ).stdout  # fmt: skip
    path = Path(tempfile.mkdtemp()) / "state_reference.py"
    path.write_bytes(source)
    spec = importlib.util.spec_from_file_location("state_reference", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["state_reference"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def probe(count: int, reference: str | None = None) -> dict[str, Any]:
    """Restore ``count`` values into a fresh store; RSS growth and restore time (this process)."""
    state = _load_state_module(reference)
    store = state.StateStore("bench.hub.state")
    packed = hasattr(store, "apply_raw")
    values = changelog_values(count)
    gc.collect()
    before = _rss_bytes()
    seconds = cpu = 0.0
    while chunk := list(itertools.islice(values, CHUNK)):  # generated outside the timing
        started, cpu_started = time.perf_counter(), time.process_time()
        if packed:
            for value in chunk:
                store.apply_raw(orjson.loads(value))
        else:
            for value in chunk:
                store.apply(state.AlertState.from_bytes(value))
        seconds += time.perf_counter() - started
        cpu += time.process_time() - cpu_started
    del chunk
    gc.collect()
    grown = _rss_bytes() - before
    sample = next(iter(changelog_values(1)))
    picks = [f"{state_org(n)}:2026/{n:08d}" for n in range(0, count, max(1, count // 10_000))]
    started = time.process_time()  # CPU time: the machine may be shared
    for alert_id in picks:
        store.committed(alert_id)
    lookups = (time.process_time() - started) / len(picks)
    return {
        "entries": len(store), "rss_bytes": grown, "restore_s": seconds, "restore_cpu_s": cpu,
        "changelog_bytes": len(sample), "lookup_us": lookups * 1e6,
        "impl": reference or "current",
    }  # fmt: skip


def state_org(n: int) -> str:
    """The organization of the ``n``-th synthetic alert."""
    return ORGS[n % len(ORGS)]


async def _produce(bootstrap: str, topic: str, count: int) -> None:
    """The ``count`` changelog values on ``topic`` (three partitions), keyed by alert id."""
    from aiokafka import AIOKafkaProducer  # noqa: PLC0415  # why: broker runs only

    await create_topics(bootstrap, [topic], partitions=3)
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, linger_ms=20, max_batch_size=262_144, acks=1
    )
    await producer.start()
    try:
        pending = []
        for n, value in enumerate(changelog_values(count)):
            key = f"{state_org(n)}:2026/{n:08d}".encode()
            pending.append(await producer.send(topic, value, key=key))
            if len(pending) >= 20_000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


async def broker_probe(bootstrap: str, topic: str, reference: str | None) -> dict[str, Any]:
    """Restore ``topic`` as the hub does on start (``ChangelogReader.catch_up`` to the last
    stable offset), timed; this process."""
    from gateway.settings import Settings  # noqa: PLC0415  # why: broker runs only

    state = _load_state_module(reference)
    store = state.StateStore(topic)
    reader = state.ChangelogReader(Settings(bootstrap_servers=bootstrap), store)
    await reader.start()
    try:
        started, cpu = time.perf_counter(), time.process_time()
        await reader.catch_up(wait_for_open=False, timeout_s=3600)
        return {
            "entries": len(store), "restore_s": time.perf_counter() - started,
            "restore_cpu_s": time.process_time() - cpu, "impl": reference or "current",
        }  # fmt: skip
    finally:
        await reader.stop()


def run_broker(count: int, reference: str | None) -> BenchResult:
    """Restore ``count`` alerts from a changelog topic on a broker (a local one is started
    unless FRONTLINE_BOOTSTRAP_SERVERS is set), now and at the reference revision."""
    result = BenchResult("hub_state_broker", "Hub state restore from the broker")
    result.params = {"size": count, "reference": reference}
    with broker() as bootstrap:
        topic = f"bench{run_id()}.hub.state"
        produced = time.perf_counter()
        asyncio.run(_produce(bootstrap, topic, count))
        print(f"  produced {count:,} values in {time.perf_counter() - produced:.1f} s")
        found = {}
        for impl in [None] + ([reference] if reference is not None else []):
            argv = [sys.executable, "-m", "bench.bench_hub_state", "--broker-probe", bootstrap,
                    topic]  # fmt: skip
            if impl is not None:
                argv += ["--reference", impl]
            out = subprocess.run(argv, cwd=ROOT, check=True, capture_output=True, text=True)
            found[impl] = json.loads(out.stdout.strip().splitlines()[-1])
    now, ref = found[None], found.get(reference)
    for key, name in (("restore_s", "restore"), ("restore_cpu_s", "restore CPU")):
        result.add(
            Figure(
                f"{name} from the broker at {count:,}",
                now[key],
                "s",
                reference=None if ref is None else ref[key],
                reference_name=f"state.py at {reference}",
                higher_is_better=False,
            )
        )
    return result


def _probe_in_child(count: int, reference: str | None) -> dict[str, Any]:
    argv = [sys.executable, "-m", "bench.bench_hub_state", "--probe", str(count)]
    if reference is not None:
        argv += ["--reference", reference]
    out = subprocess.run(argv, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    found: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return found


def run(sizes: list[int], reference: str | None = None) -> BenchResult:
    """Every size in a fresh interpreter (and the reference revision, when given)."""
    result = BenchResult("hub_state", "Hub state in memory")
    result.params = {"sizes": sizes, "reference": reference}
    started = time.perf_counter()
    value_bytes = 0
    for size in sizes:
        now = _probe_in_child(size, None)
        value_bytes = now["changelog_bytes"]
        ref = _probe_in_child(size, reference) if reference is not None else None
        per_alert = now["rss_bytes"] / now["entries"]
        result.add(
            Figure(
                f"memory per alert at {size:,}",
                per_alert,
                "B",
                reference=None if ref is None else ref["rss_bytes"] / ref["entries"],
                reference_name=f"state.py at {reference}",
                aim=f"<= {AIM_BYTES} B",
                met=per_alert <= AIM_BYTES,
                higher_is_better=False,
            )
        )
        result.add(
            Figure(
                f"restore at {size:,}",
                now["restore_s"],
                "s",
                reference=None if ref is None else ref["restore_s"],
                reference_name=f"state.py at {reference}",
                higher_is_better=False,
            )
        )
        result.add(
            Figure(
                f"restore CPU at {size:,}",
                now["restore_cpu_s"],
                "s",
                reference=None if ref is None else ref["restore_cpu_s"],
                reference_name=f"state.py at {reference}",
                higher_is_better=False,
            )
        )
        result.add(Figure(f"committed() lookup CPU at {size:,}", now["lookup_us"], "us"))
    result.note = (
        "RSS growth of a fresh interpreter restoring synthetic changelog values (parse and "
        "apply; no broker fetch); changelog value about "
        f"{value_bytes} bytes"
    )
    result.seconds = time.perf_counter() - started
    return result


def main() -> None:
    """Command line: sizes, the reference revision, JSON output; ``--probe`` is internal."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--reference", default=None, help="git revision of the old state.py")
    parser.add_argument("--smoke", action="store_true", help="20,000 alerts only")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--broker-size", type=int, default=None, help="restore from a broker")
    parser.add_argument("--probe", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--broker-probe", nargs=2, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe is not None:
        print(json.dumps(probe(args.probe, args.reference)))
        return
    if args.broker_probe is not None:
        bootstrap, topic = args.broker_probe
        found = asyncio.run(broker_probe(bootstrap, topic, args.reference))
        print(json.dumps(found))
        return
    if args.broker_size is not None:
        write_result(run_broker(args.broker_size, args.reference), args.json)
        return
    sizes = [20_000] if args.smoke else args.sizes
    write_result(run(sizes, args.reference), args.json)


if __name__ == "__main__":
    main()
