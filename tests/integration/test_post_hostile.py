"""A running post under hostile requests on the real broker: memory, latency and feed bounded."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from gateway.post import store_path
from gateway.post.officers import Officers
from tests.support.post import create_feed, person_alert, produce, settings_for

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

ROOT = Path(__file__).resolve().parents[2]
FEED = 1_500  # alerts published while the post is attacked
MAX_RSS_MB = 600  # the post's peak resident memory (one 1 MB name once took 21.9 GB)
MAX_HEALTH_S = 1.0  # /health latency while screenings run (one took 2.9 s)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


@contextlib.contextmanager
def _post(env: dict[str, str], port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as handle:
        process = subprocess.Popen(
            [sys.executable, "-m", "gateway", "post", "run", "FRA.CDG", "--http-port", str(port)],
            cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _hostile(http: httpx.AsyncClient, stop: asyncio.Event) -> list[int]:
    """Oversized and worst-case-but-allowed requests, over and over."""
    codes: list[int] = []
    worst = {"name": " ".join(["Karimovich"] * 12)[:200], "date_of_birth": "1980"}

    async def endless() -> AsyncIterator[bytes]:
        yield b'{"name": "'
        for _ in range(200_000):
            yield b"Karim " * 1000

    while not stop.is_set():
        big = '{"name": "' + "Karim " * 175_000 + '"}'
        attempts = [
            http.post("/screen/person", content=big, headers={"content-type": "application/json"}),
            http.post("/screen/person", content=endless()),
            http.post("/screen/person", json={"name": "Karim " * 1_700}),
            http.post("/screen/person", json={"name": "K" * 200}),
            *(http.post("/screen/person", json=worst) for _ in range(8)),
        ]
        answers = await asyncio.gather(*attempts, return_exceptions=True)
        codes.extend(a.status_code if isinstance(a, httpx.Response) else -1 for a in answers)
    return codes


def _disconnect_mid_body(port: int) -> None:
    """A client that announces a body, sends part of it and goes away."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(
            b"POST /screen/person HTTP/1.1\r\nHost: post\r\nContent-Type: application/json\r\n"
            b'Content-Length: 1000\r\n\r\n{"name": "Ka'
        )


async def test_hostile_requests_neither_exhaust_the_post_nor_stop_its_feed(
    bootstrap: str, prefix: str, data_dir: Path, tmp_path: Path
) -> None:
    """Under oversized and worst-case requests the post stays small, /health fast, feed current."""
    settings = settings_for(bootstrap, prefix, data_dir)
    topic = f"{prefix}post.FRA.CDG"
    await create_feed(settings, topic, partitions=1)
    port = _free_port()
    env = {
        **os.environ,
        "FRONTLINE_BOOTSTRAP_SERVERS": bootstrap,
        "FRONTLINE_TOPIC_PREFIX": prefix,
        "FRONTLINE_DATA_DIR": str(data_dir),
    }
    log = tmp_path / "post.log"
    officers = Officers(store_path(settings, "FRA", "CDG"))
    auth = {"Authorization": f"Bearer {officers.add('Officer Test')[1]}"}
    officers.close()
    with _post(env, port, log) as process:
        url = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=url, timeout=30, headers=auth) as http:
            deadline = time.monotonic() + 60
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get("/health")).json()["status"] == "ok":
                        break
                assert time.monotonic() < deadline, log.read_text()[-2000:]
                await asyncio.sleep(0.2)
            assert (await http.get("/health")).json()["topic"] == topic

            stop = asyncio.Event()
            attack = asyncio.create_task(_hostile(http, stop))
            _disconnect_mid_body(port)
            slowest = 0.0
            for start in range(0, FEED, 300):  # the feed keeps flowing meanwhile
                batch: list[tuple[str, bytes | None]] = [
                    (f"INTERPOL:P-{i}", person_alert(i)) for i in range(start, start + 300)
                ]
                await produce(bootstrap, topic, batch)
                for _ in range(5):
                    began = time.perf_counter()
                    assert (await http.get("/health")).status_code == 200
                    slowest = max(slowest, time.perf_counter() - began)
                    await asyncio.sleep(0.1)
            published = time.monotonic()
            while (await http.get("/health")).json()["watchlist_size"] < FEED:
                assert time.monotonic() - published < 15, "the feed fell behind"
                await asyncio.sleep(0.1)
            stop.set()
            codes = await attack
        peak = _peak_rss_mb(process.pid)
    output = log.read_text()
    print(f"peak {peak:.0f} MB, slowest /health {slowest:.3f} s, answers {sorted(set(codes))}")
    assert slowest < MAX_HEALTH_S, f"/health took {slowest:.2f} s under attack"
    assert peak < MAX_RSS_MB, f"the post peaked at {peak:.0f} MB"
    assert {413, 422} <= set(codes)
    assert 200 in codes
    assert -1 not in codes
    assert set(codes) <= {200, 413, 422, 503}
    assert "Traceback" not in output
    assert "Karim" not in output
    assert "post_client_disconnected" in output
