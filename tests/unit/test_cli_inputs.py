"""Malformed files, arguments and environment values end as a clean error, never a traceback."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Annotated

import pytest
import typer
from prometheus_client import CollectorRegistry
from typer.testing import CliRunner

from gateway.cli import app
from gateway.cli._common import FiniteFloat, serve_metrics
from gateway.contract.validation import validate_alert
from gateway.errors import ConfigError, SetupError
from gateway.settings import load_settings

EXAMPLE = Path(__file__).parents[2] / "schemas" / "examples" / "wanted_person.json"


def _run(args: list[str], stdin: bytes | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, args, input=stdin)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"traceback: {result.exception!r}"
    )
    return result.exit_code, result.output


def test_alert_validate_refuses_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    """`alert validate` on Latin-1 bytes exits 2 naming the byte and how to convert the file."""
    path = tmp_path / "latin1.json"
    path.write_bytes(b'{"name": "Jos\xe9"}')
    code, output = _run(["alert", "validate", str(path)])
    assert code == 2
    assert "not UTF-8" in output
    assert "0xe9" in output
    assert "iconv" in output


def test_alert_encode_refuses_stdin_that_is_not_utf8() -> None:
    """`alert encode` with non-UTF-8 standard input exits 2 with a hint, not a traceback."""
    code, output = _run(["alert", "encode"], stdin=b"\xff\xfe{}")
    assert code == 2
    assert "not UTF-8" in output


def test_topology_check_names_the_line_of_a_non_utf8_byte(tmp_path: Path) -> None:
    """`topology check` on a non-UTF-8 TOML names the file, the line and the byte."""
    path = tmp_path / "topology.toml"
    path.write_bytes(b"version = 1\n# caf\xe9\n")
    code, output = _run(["topology", "check", "--topology", str(path)])
    assert code == 2
    assert f"{path}:2: not UTF-8" in output


def test_alert_validate_of_a_missing_undecodable_path_is_clean() -> None:
    """A file argument that is not valid UTF-8 itself is printed escaped in a clean error."""
    code, output = _run(["alert", "validate", "/nonexistent/\udcff.json"])
    assert code == 2
    assert "\\xff.json" in output


def test_error_messages_with_brackets_print_verbatim(tmp_path: Path) -> None:
    """Rich markup in an error (a path with [brackets]) is printed as text, not swallowed."""
    code, output = _run(["alert", "validate", str(tmp_path / "[red]x[/].json")])
    assert code == 2
    assert "[red]x[/].json" in output


def test_validate_reports_a_lone_surrogate_that_cannot_be_encoded() -> None:
    """A text field holding a lone surrogate is a validation problem, not an encode crash."""
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    data["envelope"]["handling_note"] = "\ud800x"
    problems = validate_alert(data)
    assert [(p.path, p.code) for p in problems] == [("envelope.handling_note", "not_utf8")]


@pytest.mark.parametrize(
    ("variable", "value", "allowed"),
    [
        ("FRONTLINE_TOPIC_PREFIX", "../x", "Kafka topic characters"),
        ("FRONTLINE_TOPIC_PREFIX", "x" * 101, "at most 100"),
        ("FRONTLINE_LOG_FORMAT", "xml", "auto, json, console"),
        ("FRONTLINE_LOG_LEVEL", "loud", "DEBUG, INFO"),
        ("FRONTLINE_COMMIT_INTERVAL_MS", "0", "1..60000"),
        ("FRONTLINE_COMMIT_INTERVAL_MS", "nan", "1..60000"),
        ("FRONTLINE_LINGER_MS", "inf", "0..60000"),
        ("FRONTLINE_PARTITIONS", "100000", "1..1000"),
        ("FRONTLINE_BOOTSTRAP_SERVERS", "localhost:99999", "host:port"),
        ("FRONTLINE_SECURITY_PROTOCOL", "TLS", "SASL_SSL"),
    ],
)
def test_a_bad_environment_value_names_the_variable_and_what_is_allowed(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, allowed: str
) -> None:
    """Any command under a malformed FRONTLINE_* value exits 2 naming the variable and range."""
    monkeypatch.setenv(variable, value)
    code, output = _run(["topology", "check"])
    assert code == 2
    assert variable in output
    assert allowed in output
    with pytest.raises(ConfigError):
        load_settings()


def test_version_prints_the_package_version() -> None:
    """`frontline --version` prints the installed package version and exits 0."""
    code, output = _run(["--version"])
    assert code == 0
    assert output.startswith("frontline 0.")


@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "1e999", "2", "-0.5"])
def test_finite_float_refuses_non_finite_and_out_of_range(text: str) -> None:
    """The shared float option refuses NaN, infinities and values outside its bounds."""
    probe = typer.Typer()

    @probe.command()
    def share(value: Annotated[float, FiniteFloat(0, 1, "a share")] = 0.5) -> None:
        typer.echo(f"ok {value}")

    refused = CliRunner().invoke(probe, ["--value", text])
    assert refused.exit_code == 2
    assert "--value" in refused.output
    assert CliRunner().invoke(probe, ["--value", "0.25"]).output == "ok 0.25\n"


@pytest.mark.parametrize("text", ["nan", "inf", "0", "1e999"])
def test_unbounded_above_finite_float_still_refuses_nan(text: str) -> None:
    """With no upper bound the option still refuses NaN and infinity (typer's range lets NaN by)."""
    probe = typer.Typer()

    @probe.command()
    def rate(value: Annotated[float, FiniteFloat(1, None, "a rate")] = 1.0) -> None:
        typer.echo(f"ok {value}")

    assert CliRunner().invoke(probe, ["--value", text]).exit_code == 2


@pytest.mark.parametrize(
    "args", [["--rate", "nan"], ["--planted-share", "nan"], ["--duration", "9999h"]]
)
def test_simulate_refuses_nan_and_out_of_range(args: list[str]) -> None:
    """`simulate` refuses a NaN rate or share and a duration past a week before starting."""
    code, _ = _run(["simulate", *args])
    assert code == 2


def test_metrics_port_in_use_is_a_setup_error() -> None:
    """Serving metrics on a port another socket holds is a SetupError with a hint."""
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    try:
        port = holder.getsockname()[1]
        with pytest.raises(SetupError) as caught:
            serve_metrics(CollectorRegistry(), port, load_settings())
        assert str(port) in caught.value.message
        assert caught.value.hint is not None
    finally:
        holder.close()


@pytest.mark.parametrize("command", [["hub", "run"], ["node", "run", "FRA"]])
@pytest.mark.parametrize("port", ["70000", "-1", "nan"])
def test_metrics_port_out_of_range_is_refused(command: list[str], port: str) -> None:
    """`hub run` and `node run` refuse a metrics port outside 0..65535 before starting."""
    code, output = _run([*command, "--metrics-port", port])
    assert code == 2
    assert "metrics-port" in output


def test_hub_metrics_port_in_use_is_a_clean_error() -> None:
    """`hub run --metrics-port P` with P held elsewhere exits 2 with a fix, no traceback."""
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    try:
        port = holder.getsockname()[1]
        code, output = _run(["hub", "run", "--metrics-port", str(port)])
    finally:
        holder.close()
    assert code == 2
    assert "cannot serve metrics" in output
