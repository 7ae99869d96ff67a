"""``frontline alert``: validate JSON alerts, and encode or decode Avro single-object bytes.

Exit codes: 0 success, 1 the alert has problems (or bytes do not decode), 2 usage or I/O.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from gateway.cli._common import err_console, fail, read_utf8
from gateway.contract import ALERT_MODELS, AlertKind, AnyAlert
from gateway.contract.codec import decode as decode_alert
from gateway.contract.codec import encode as encode_alert
from gateway.contract.codec import peek_fingerprint
from gateway.contract.validation import (
    Problem,
    infer_kind,
    problems_from_validation_error,
    validate_alert,
)
from gateway.errors import ConfigError, DecodeError, FrontlineError

__all__ = ["app"]

app = typer.Typer(help="Validate, encode and decode alerts.", no_args_is_help=True)

KindOption = Annotated[
    AlertKind | None,
    typer.Option(
        "--kind", case_sensitive=False, help="Alert kind; inferred from the JSON when omitted."
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Problems as a JSON list on stdout.")]


def _read_json(text: str, source: str) -> dict[str, Any]:
    """Parse a JSON object, or exit 2 naming the source and the position."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise fail(
            ConfigError(f"{source} is not JSON: {error}", hint="Fix the JSON at that position.")
        ) from None
    except RecursionError:
        raise fail(ConfigError(f"{source} nests too deeply", hint="Flatten the JSON.")) from None
    if not isinstance(data, dict):
        raise fail(
            ConfigError(f"{source} must hold a JSON object", hint="Wrap the alert in {...}.")
        )
    return data


def _unwrap(
    data: dict[str, Any], kind: AlertKind | None
) -> tuple[dict[str, Any], AlertKind | None]:
    """Accept the bare alert or the {kind, alert} form ``frontline alert decode`` prints."""
    if isinstance(data.get("alert"), dict):
        declared = data.get("kind")
        if kind is None and isinstance(declared, str) and declared in AlertKind.__members__:
            kind = AlertKind[declared]
        return data["alert"], kind
    return data, kind


def _report(problems: list[Problem], as_json: bool) -> None:
    """Print problems for a person (stderr) or a program (JSON on stdout)."""
    if as_json:
        typer.echo(json.dumps([p.as_dict() for p in problems], indent=2))
        return
    for problem in problems:
        err_console.print(
            f"[red]{problem.path or '<alert>'}[/]: {problem.message} [dim]({problem.code})[/]"
        )
    err_console.print(f"[bold red]{len(problems)} problem(s)[/]")


@app.command()
def validate(
    file: Annotated[Path, typer.Argument(help="JSON alert file; '-' reads stdin.")],
    kind: KindOption = None,
    as_json: JsonOption = False,
) -> None:
    """Report every problem of a JSON alert with its field path; exit 1 if there is any."""
    try:
        text = read_utf8(file, "alert file")
    except FrontlineError as error:
        raise fail(error) from None
    data, kind = _unwrap(_read_json(text, "stdin" if str(file) == "-" else str(file)), kind)
    problems = validate_alert(data, kind=kind)
    if problems:
        _report(problems, as_json)
        raise typer.Exit(1)
    if as_json:
        typer.echo("[]")
    else:
        err_console.print(f"[green]ok[/]: {kind or infer_kind(data)} alert has no problems")


@app.command()
def encode(
    kind: KindOption = None,
    force: Annotated[
        bool, typer.Option("--force", help="Encode even when validation finds problems.")
    ] = False,
) -> None:
    """Read a JSON alert on stdin, write its Avro single-object encoding to stdout."""
    try:
        text = read_utf8("-", "alert on")
    except FrontlineError as error:
        raise fail(error) from None
    data, kind = _unwrap(_read_json(text, "stdin"), kind)
    kind = kind or infer_kind(data)
    if kind is None:
        raise fail(ConfigError("cannot tell the alert kind", hint="pass --kind"))
    try:
        alert: AnyAlert = ALERT_MODELS[kind].model_validate(data)
    except ValidationError as error:
        _report(problems_from_validation_error(error), as_json=False)
        raise typer.Exit(1) from None
    problems = validate_alert(alert)
    if problems and not force:
        _report(problems, as_json=False)
        err_console.print("[yellow]fix:[/] correct the alert, or pass --force to encode it anyway")
        raise typer.Exit(1)
    out = typer.get_binary_stream("stdout")
    if out.isatty():
        raise fail(
            ConfigError("refusing to write binary to a terminal", hint="redirect: > alert.bin")
        )
    out.write(encode_alert(alert))
    out.flush()


@app.command()
def decode(
    file: Annotated[
        Path | None, typer.Argument(help="File of encoded bytes; stdin when omitted.")
    ] = None,
) -> None:
    """Read one encoded alert, print it as JSON with its kind, schema and fingerprint."""
    if file is None:
        data = typer.get_binary_stream("stdin").read()
    else:
        try:
            data = file.read_bytes()
        except OSError as error:
            raise fail(ConfigError(f"cannot read {file}: {error.strerror}")) from error
    try:
        alert = decode_alert(data)
        fingerprint = peek_fingerprint(data)
    except DecodeError as error:
        err_console.print(f"[dim]reason: {error.quarantine_reason}[/]")
        raise fail(error, code=1) from error
    document = {
        "kind": alert.kind.value,
        "schema": alert.schema_name,
        "fingerprint": fingerprint.to_bytes(8, "little").hex(),
        "alert": alert.model_dump(mode="json"),
    }
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
