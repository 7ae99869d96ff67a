"""`frontline connector` as an organization's adapter team drives it, on the real broker."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from connectors.registry import get_connector
from gateway.kafka.quarantine import QuarantineRecord
from gateway.kafka.topic_names import TopicNames

from .conftest import FRONTLINE, Run

pytestmark = [pytest.mark.e2e, pytest.mark.integration]

FIXTURES = Path(__file__).parents[1] / "fixtures" / "connectors"
SAMPLE = get_connector("INTERPOL").sample_path()
TOKEN = "e2e-token-long-enough-for-the-check"  # noqa: S105  # a test value, not a secret


async def _create(bootstrap: str, names: TopicNames) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(t, 3, 1) for t in (names.ingress("INTERPOL"), names.quarantine)]
        )
    finally:
        await admin.close()


async def _count(
    bootstrap: str, topic: str
) -> list[tuple[bytes | None, bytes | None, list[tuple[str, bytes]]]]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest",
        enable_auto_commit=False,
    )  # fmt: skip
    await consumer.start()
    out: list[tuple[bytes | None, bytes | None, list[tuple[str, bytes]]]] = []
    try:
        while True:
            batch = await consumer.getmany(timeout_ms=1500)
            if not batch:
                return out
            for records in batch.values():
                out.extend((r.key, r.value, list(r.headers)) for r in records)
    finally:
        await consumer.stop()


@pytest.fixture
def topics(bootstrap: str, prefix: str) -> TopicNames:
    """Fresh ingress and quarantine topics under a unique prefix."""
    names = TopicNames(prefix)
    asyncio.run(_create(bootstrap, names))
    return names


def _env(bootstrap: str, prefix: str) -> dict[str, str]:
    return {"FRONTLINE_BOOTSTRAP_SERVERS": bootstrap, "FRONTLINE_TOPIC_PREFIX": prefix,
            "COLUMNS": "120"}  # fmt: skip


def test_run_file_folder_and_stdin(
    frontline: Run, bootstrap: str, prefix: str, topics: TopicNames
) -> None:
    """A file, a folder of broken files and stdin each publish, with the balance printed."""
    env = _env(bootstrap, prefix)
    good = frontline("connector", "run", "INTERPOL", "--source", str(SAMPLE), env=env)
    assert good.returncode == 0, good.stderr
    assert "in 5 = published 5 + quarantined 0" in good.stdout

    broken = frontline(
        "connector", "run", "interpol", "--source", str(FIXTURES / "interpol" / "broken"), env=env
    )
    assert broken.returncode == 1, broken.stderr  # every record quarantined: nothing published
    assert "nothing published" in broken.stderr
    count = len(list((FIXTURES / "interpol" / "broken").iterdir()))
    assert f"in {count} = published 0 + quarantined {count}" in broken.stdout
    assert "quarantined: see the quarantine topic" in broken.stdout

    piped = frontline(
        "connector", "run", "INTERPOL", "--source", "-", env=env, input_text=SAMPLE.read_text()
    )
    assert piped.returncode == 0, piped.stderr
    assert "in 5 = published 5" in piped.stdout

    ingress = asyncio.run(_count(bootstrap, topics.ingress("INTERPOL")))
    assert len(ingress) == 10
    assert len({k for k, _, _ in ingress}) == 5
    quarantine = asyncio.run(_count(bootstrap, topics.quarantine))
    assert len(quarantine) == count
    sources = {QuarantineRecord.from_kafka(v, h).source.split("#")[0] for _, v, h in quarantine}
    assert sources == {p.name for p in (FIXTURES / "interpol" / "broken").iterdir()}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "nothing published: all 1 record(s) were quarantined"),
        (b"\xff\xfe not UTF-8 at all", "nothing published: all 1 record(s) were quarantined"),
        (b"<notices><notice/></notices>", "nothing published: all 1 record(s) were quarantined"),
    ],
)
def test_run_that_publishes_nothing_exits_1(  # noqa: PLR0917  # fixtures and parameters
    frontline: Run, bootstrap: str, prefix: str, topics: TopicNames, tmp_path: Path,
    content: bytes, message: str,
) -> None:  # fmt: skip
    """An empty file, bytes that are not UTF-8 or another format exit 1 and say why."""
    source = tmp_path / "export.json"
    source.write_bytes(content)
    result = frontline(
        "connector", "run", "INTERPOL", "--source", str(source), env=_env(bootstrap, prefix)
    )
    assert result.returncode == 1, result.stderr
    assert message in result.stderr


def test_run_on_dev_null_reads_it_as_empty(
    frontline: Run, bootstrap: str, prefix: str, topics: TopicNames
) -> None:
    """`--source /dev/null` is read (an empty export, refused: exit 1), not "no such file"."""
    result = frontline(
        "connector", "run", "INTERPOL", "--source", "/dev/null", env=_env(bootstrap, prefix)
    )
    assert result.returncode == 1, result.stderr
    assert "no such file" not in result.stderr
    assert "nothing published" in result.stderr


def test_run_on_an_empty_folder_exits_1(
    frontline: Run, bootstrap: str, prefix: str, topics: TopicNames, tmp_path: Path
) -> None:
    """A folder with no file of the organization's format exits 1: the source held no record."""
    result = frontline(
        "connector", "run", "INTERPOL", "--source", str(tmp_path), env=_env(bootstrap, prefix)
    )
    assert result.returncode == 1, result.stderr
    assert "the source held no record" in result.stderr


def test_run_with_an_oversized_notice_publishes_the_rest_and_skips_links(
    frontline: Run, bootstrap: str, prefix: str, topics: TopicNames, tmp_path: Path
) -> None:
    """A 1.1 MB notice among four and a link to /etc/passwd: 3 published, 1 too_large, no link."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "mixed.json").write_bytes(_mixed_export())
    (inbox / "c.json").symlink_to("/etc/passwd")
    env = _env(bootstrap, prefix)
    for _ in range(2):  # a rerun is not stopped by the same record
        result = frontline("connector", "run", "INTERPOL", "--source", str(inbox), env=env)
        assert result.returncode == 0, result.stderr
        assert "in 4 = published 3 + quarantined 1" in result.stdout
        assert "skipped c.json: symlink" in result.stderr
    assert len(asyncio.run(_count(bootstrap, topics.ingress("INTERPOL")))) == 6
    quarantine = asyncio.run(_count(bootstrap, topics.quarantine))
    assert len(quarantine) == 2
    for _, value, headers in quarantine:
        record = QuarantineRecord.from_kafka(value, headers)
        assert record.reasons[0].code == "too_large"
        assert b"root:" not in (value or b"")


def _mixed_export() -> bytes:
    """Four INTERPOL notices, the third carrying a 1.1 MB field."""
    sample = json.loads(SAMPLE.read_bytes())
    notices = sample["_embedded"]["notices"][:4]
    notices[2]["distinguishing_marks"] = "Tattoo " * 160_000
    sample["_embedded"]["notices"] = notices
    return json.dumps(sample).encode()


def test_run_without_topics_exits_2(frontline: Run, bootstrap: str, prefix: str) -> None:
    """With no topics the run stops before publishing, exit code 2 and the fix on stderr."""
    result = frontline(
        "connector", "run", "INTERPOL", "--source", str(SAMPLE), env=_env(bootstrap, prefix)
    )
    assert result.returncode == 2
    assert "topics apply" in result.stderr


def _spawn(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    full = {**os.environ, "FRONTLINE_DATA_DIR": str(cwd / "state"),
            "FRONTLINE_LOG_FORMAT": "json", **env}  # fmt: skip
    return subprocess.Popen(
        [FRONTLINE, *args], env=full, cwd=cwd, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def _stop(process: subprocess.Popen[str]) -> tuple[str, str]:
    process.send_signal(signal.SIGINT)
    try:
        return process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.communicate()


def _wait_for(predicate: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.3)
    raise AssertionError("condition not reached in time")


def test_watch_publishes_each_file_once_across_restarts(
    bootstrap: str, prefix: str, topics: TopicNames, tmp_path: Path
) -> None:
    """--watch publishes a dropped file once; after a restart neither it nor a copy is re-sent."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    env = _env(bootstrap, prefix)
    args = ["connector", "run", "INTERPOL", "--source", str(inbox), "--watch", "--interval", "0.2"]
    ingress = topics.ingress("INTERPOL")

    first = _spawn(args, env, tmp_path)
    try:
        (inbox / "notices.json").write_bytes(SAMPLE.read_bytes())
        _wait_for(lambda: len(asyncio.run(_count(bootstrap, ingress))) == 5)
    finally:
        out, err = _stop(first)
    assert first.returncode == 0, err
    assert "notices.json" in out
    assert "in 5 = published 5" in out

    second = _spawn(args, env, tmp_path)
    try:
        assert second.stdout is not None
        assert "watching" in second.stdout.readline()  # started, however loaded the machine
        (inbox / "copy.json").write_bytes(SAMPLE.read_bytes())
        time.sleep(2)
    finally:
        out, err = _stop(second)
    assert second.returncode == 0, err
    assert "in 0 = published 0" in out
    assert len(asyncio.run(_count(bootstrap, ingress))) == 5
    assert (tmp_path / "state" / "connectors" / "interpol" / "ledger.sqlite").is_file()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def served(bootstrap: str, prefix: str, topics: TopicNames, tmp_path: Path) -> Iterator[str]:
    """A running `connector serve INTERPOL` and its base URL."""
    port = _free_port()
    env = {**_env(bootstrap, prefix), "FRONTLINE_CONNECTOR_TOKEN_INTERPOL": TOKEN}
    process = _spawn(["connector", "serve", "INTERPOL", "--port", str(port)], env, tmp_path)
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return httpx.get(f"{url}/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        _wait_for(up)
        yield url
    finally:
        _stop(process)


def test_serve_answers_per_record(served: str, bootstrap: str, topics: TopicNames) -> None:
    """POSTed notices are published and answered one by one; a wrong token publishes nothing."""
    auth = {"Authorization": f"Bearer {TOKEN}"}
    answer = httpx.post(f"{served}/records", content=SAMPLE.read_bytes(), headers=auth, timeout=30)
    assert answer.status_code == 200
    body = answer.json()
    assert body["summary"] == {"records_in": 5, "published": 5, "quarantined": 0}
    assert {r["alert_id"] for r in body["records"]} >= {"INTERPOL:2021/75051"}
    refused = httpx.post(f"{served}/records", content=b"[1]", headers=auth, timeout=30).json()
    assert refused["records"][0]["reasons"][0]["code"] == "not_an_object"
    denied = httpx.post(f"{served}/records", content=SAMPLE.read_bytes(), timeout=30)
    assert denied.status_code == 401
    metrics = httpx.get(f"{served}/metrics", timeout=5).text
    assert 'outcome="published"} 5.0' in metrics
    assert len(asyncio.run(_count(bootstrap, topics.ingress("INTERPOL")))) == 5
    assert len(asyncio.run(_count(bootstrap, topics.quarantine))) == 1


def test_serve_stops_reading_a_chunked_body_past_the_limit(served: str) -> None:
    """A chunked POST that would send 1,000 MiB is answered 413 after about 16 MiB were taken."""
    port = int(served.rsplit(":", 1)[1])
    chunk = b"x" * (1024 * 1024)
    sent = 0
    reply = b""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(
            b"POST /records HTTP/1.1\r\nHost: intake\r\nTransfer-Encoding: chunked\r\n"
            + f"Authorization: Bearer {TOKEN}\r\n\r\n".encode()
        )
        try:
            for _ in range(1000):
                readable, _, _ = select.select([sock], [], [], 0)
                if readable:
                    break
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server closed the connection after answering
        with contextlib.suppress(ConnectionResetError):
            reply = sock.recv(4096)
    assert sent < 64 * 1024 * 1024, f"the server took {sent} bytes"
    assert reply.startswith(b"HTTP/1.1 413"), reply[:80]
