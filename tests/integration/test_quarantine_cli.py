"""`frontline quarantine list|show|replay` on a real broker: metadata out, bytes only on request,
replays go back through the pipeline, and records cut to a prefix are never replayed."""

from __future__ import annotations

import asyncio
import hashlib
import json
import stat
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from typer.testing import CliRunner

from gateway.cli import app
from gateway.kafka.quarantine import QuarantineRecord, Reason
from tests.support.alerts import make_alert
from tests.support.kafka import read_all

pytestmark = pytest.mark.integration

SAMPLE = Path(__file__).parents[2] / "connectors" / "samples" / "interpol.json"
SECRET = b"KARIM BENALI"  # stands for personal data inside a quarantined record
BIG = b"\xc3\x01" + SECRET * 20_000  # 240 KB: over the limit the test gives bounded()


def _notice() -> bytes:
    """One real notice of the shipped INTERPOL sample, as a connector stores it."""
    page = json.loads(SAMPLE.read_text(encoding="utf-8"))
    return json.dumps(page["_embedded"]["notices"][0]).encode()


def _records() -> list[QuarantineRecord]:
    def q(
        component: str, stage: str, code: str, original: bytes, **extra: object
    ) -> QuarantineRecord:
        return QuarantineRecord(
            org="INTERPOL", stage=stage, component=component, source=f"test-{code}",
            reasons=(Reason("", code, f"refused: {code}"),), original=original,
            ts_ms=1_700_000_000_000, **extra,  # type: ignore[arg-type]
        )  # fmt: skip

    # As the hub writes a value too large to quarantine whole: a prefix, the size, a digest.
    too_large = q("hub", "decode", "bad_marker", BIG).bounded(limit=100_000)
    return [
        q("connector", "map", "missing_field", _notice()),  # refused by an older connector
        q("hub", "decode", "unknown_schema", make_alert("INTERPOL:Q-1")),
        q("connector", "parse", "bad_json", b"{" + SECRET),
        too_large,
    ]


async def _setup(bootstrap: str, prefix: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(f"{prefix}quarantine", 1, 1), NewTopic(f"{prefix}ingress.interpol", 1, 1)]
        )
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for record in _records():
            await producer.send_and_wait(
                f"{prefix}quarantine", record.original, key=record.key(), headers=record.headers()
            )
    finally:
        await producer.stop()


@pytest.fixture
def cli(bootstrap: str, prefix: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    asyncio.run(_setup(bootstrap, prefix))
    monkeypatch.setenv("FRONTLINE_BOOTSTRAP_SERVERS", bootstrap)
    monkeypatch.setenv("FRONTLINE_TOPIC_PREFIX", prefix)
    return CliRunner()


def test_list_shows_metadata_never_content(cli: CliRunner) -> None:
    """`list --json` gives id, stage, reasons, size and digest of each record, not its bytes."""
    result = cli.invoke(app, ["quarantine", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["id"] for r in rows] == ["0:0", "0:1", "0:2", "0:3"]
    assert [r["reasons"][0]["code"] for r in rows] == [
        "missing_field", "unknown_schema", "bad_json", "too_large"
    ]  # fmt: skip
    assert rows[3]["size"] == len(BIG)
    assert rows[3]["sha256"] == hashlib.sha256(BIG).hexdigest()
    assert rows[3]["kept"] < len(BIG)
    assert rows[3]["replayable"] is False
    assert "KARIM" not in result.output
    table = cli.invoke(app, ["quarantine", "list", "--stage", "parse"])
    assert table.exit_code == 0, table.output
    assert "bad_json" in table.output
    assert "missing_field" not in table.output
    only = json.loads(
        cli.invoke(app, ["quarantine", "list", "--reason", "too_large", "--json"]).stdout
    )
    assert [r["id"] for r in only] == ["0:3"]


def test_show_writes_the_bytes_only_to_a_new_private_file(cli: CliRunner, tmp_path: Path) -> None:
    """`show` prints no content; `--bytes FILE` writes the exact original with mode 0600."""
    plain = cli.invoke(app, ["quarantine", "show", "0:2"])
    assert plain.exit_code == 0, plain.output
    assert "bad_json" in plain.output
    assert "KARIM" not in plain.output
    target = tmp_path / "original.bin"
    written = cli.invoke(app, ["quarantine", "show", "2", "--bytes", str(target)])
    assert written.exit_code == 0, written.output  # an offset alone: the only partition
    again = cli.invoke(app, ["quarantine", "show", "0:0", "--bytes", str(target)])
    assert again.exit_code == 2  # the file exists now: never overwritten
    assert target.read_bytes() == b"{" + SECRET
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    missing = cli.invoke(app, ["quarantine", "show", "0:99"])
    assert missing.exit_code == 2
    assert "no quarantine record at 0:99" in missing.output


def test_replay_sends_records_back_through_the_pipeline(
    cli: CliRunner, bootstrap: str, prefix: str
) -> None:
    """A connector refusal is re-run by the connector, a hub refusal goes back as it was."""
    result = cli.invoke(app, ["quarantine", "replay", "0:0", "0:1", "--json"])
    assert result.exit_code == 0, result.output
    done = json.loads(result.stdout)["replayed"]
    assert [(r["id"], r["published"], r["quarantined"]) for r in done] == [
        ("0:0", 1, 0), ("0:1", 1, 0)
    ]  # fmt: skip
    ingress = asyncio.run(read_all(bootstrap, f"{prefix}ingress.interpol", 2))
    keys = sorted(r.key for r in ingress)
    assert keys == [b"INTERPOL:2021/75051", b"INTERPOL:Q-1"]
    assert make_alert("INTERPOL:Q-1") in [r.value for r in ingress]


def test_replay_refuses_a_record_cut_to_a_prefix(
    cli: CliRunner, bootstrap: str, prefix: str
) -> None:
    """A too_large record is refused by name, before anything is sent, exit 2."""
    result = cli.invoke(app, ["quarantine", "replay", "0:1", "0:3"])
    assert result.exit_code == 2
    assert "cannot replay 0:3" in result.output
    assert "too_large" in result.output
    assert asyncio.run(read_all(bootstrap, f"{prefix}ingress.interpol", 0, timeout_s=2)) == []


def test_replay_of_a_still_bad_record_exits_1_and_requarantines(
    cli: CliRunner, bootstrap: str, prefix: str
) -> None:
    """Replaying what the connector still refuses exits 1 and adds it to quarantine again."""
    result = cli.invoke(app, ["quarantine", "replay", "--stage", "parse"])
    assert result.exit_code == 1, result.output
    assert "1 quarantined again" in result.output
    assert len(asyncio.run(read_all(bootstrap, f"{prefix}quarantine", 5))) == 5
    nothing = cli.invoke(app, ["quarantine", "replay"])
    assert nothing.exit_code == 2
    assert "name the records" in nothing.output
