"""The signing benchmark still runs and prints every path it reports in docs/benchmarks.md."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bench import bench_signing
from gateway.contract.trust import TrustStore


def test_signing_bench_prints_every_path(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """One tiny round prints the sign and verify rows next to the codec's."""
    monkeypatch.setattr(sys, "argv", ["bench_signing", "--rounds", "1", "--batch", "1"])
    bench_signing.main()
    out = capsys.readouterr().out
    for row in ("| sign (Signer.sign, headers) |", "| verify (TrustStore.verify_headers) |"):
        assert row in out
    assert "| codec decode_dict |" in out


def test_hub_bench_signs_what_the_hub_verifies(tmp_path: Path) -> None:
    """The hub benchmark's signed load carries signatures the hub's trust store accepts."""
    from bench._common import prepared_alerts  # noqa: PLC0415  # why: heavy import
    from bench.bench_hub import Signing  # noqa: PLC0415  # why: heavy import

    signing = Signing.demo(tmp_path)
    store = TrustStore.from_file(signing.trust_file)
    alerts = prepared_alerts(30)
    assert {a.org for a in alerts} <= set(signing.signers)
    for alert in alerts:
        assert store.verify_headers(alert.org, alert.value, signing.headers(alert)).ok
        tampered = alert.value[:-1] + bytes([alert.value[-1] ^ 1])
        assert not store.verify_headers(alert.org, tampered, signing.headers(alert)).ok


def test_bench_clients_connect_as_the_principal() -> None:
    """A secured target hands a child process SASL_SSL with the principal's SCRAM login."""
    from pydantic import SecretStr  # noqa: PLC0415  # why: this test only

    from bench._cluster import kafka_kwargs, target_env  # noqa: PLC0415  # why: heavy import
    from gateway.settings import SecurityProtocol, Settings  # noqa: PLC0415  # why: this test only

    assert kafka_kwargs("127.0.0.1:1") == {"bootstrap_servers": "127.0.0.1:1"}
    assert target_env("127.0.0.1:1") == {"FRONTLINE_BOOTSTRAP_SERVERS": "127.0.0.1:1"}
    hub = Settings(
        bootstrap_servers="127.0.0.1:2",
        security_protocol=SecurityProtocol.SASL_SSL,
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username="hub",
        sasl_password=SecretStr("pw"),
    )
    env = target_env(hub)
    assert env["FRONTLINE_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert env["FRONTLINE_SASL_MECHANISM"] == "SCRAM-SHA-512"
    assert (env["FRONTLINE_SASL_USERNAME"], env["FRONTLINE_SASL_PASSWORD"]) == ("hub", "pw")
