"""``frontline post screen-mrz``: read a document's MRZ and screen its holder and the document.

Like ``post screen``: on the post's local store (no broker, no running client), or with
``--api URL`` through a running client's ``POST /screen/mrz``. The zone is given as one
``--mrz`` with line breaks or ``|`` between its lines, as one ``--mrz`` per line, or as
``--mrz -`` to read it from standard input (a scanner that types it). It is read here first,
so a zone that cannot be read is refused before anything is asked, naming line and column.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from gateway.cli._common import (
    JsonOption,
    console,
    emit_json,
    fail,
    printable,
    read_utf8,
    settings_of,
)
from gateway.cli._options import ApiOpt, PostArg, TokenOpt
from gateway.errors import ConfigError, FrontlineError

__all__ = ["mrz_text", "screen_mrz"]

_FIELDS = (
    ("format", "format"),
    ("document_code", "document"),
    ("issuing_state", "issuer"),
    ("document_number", "number"),
    ("surname", "surname"),
    ("given_names", "given names"),
    ("nationality", "nationality"),
    ("birth_date", "born"),
    ("sex", "sex"),
    ("expiry_date", "expires"),
    ("optional_data", "optional data"),
    ("optional_data_2", "optional data 2"),
)


def mrz_text(values: list[str]) -> str:
    """The zone from the ``--mrz`` values: '-' reads stdin, '|' separates lines."""
    if not values:
        raise ConfigError("no zone given", hint="pass --mrz 'LINE1|LINE2' or --mrz - for stdin")
    parts = [read_utf8("-", "the zone") if value == "-" else value for value in values]
    return "\n".join(part.replace("|", "\n") for part in parts)


def _show_reading(reading: dict[str, Any]) -> None:
    table = Table("field", "value", show_header=False, box=None)
    for key, label in _FIELDS:
        value = reading.get(key)
        if value not in {None, ""}:
            table.add_row(label, escape(printable(str(value))))
    console.print(table)
    checks = Table("check digit", "at", "found", "expected", "result")
    for check in reading["checks"]:
        table_result = "[green]valid[/]" if check["valid"] else "[bold red]INVALID[/]"
        checks.add_row(
            check["field"].replace("_", " "),
            f"line {check['line']}, column {check['column']}",
            escape(check["found"]),
            check["expected"],
            table_result,
        )
    console.print(checks)
    for warning in reading["warnings"]:
        console.print(f"[yellow]warning:[/] {escape(printable(warning))}")


def screen_mrz(  # noqa: PLR0917  # why: typer maps each parameter to an option
    ctx: typer.Context,
    post_id: PostArg,
    mrz: Annotated[
        list[str],
        typer.Option(
            "--mrz",
            help="The zone: its lines separated by line breaks or '|', or one --mrz per line,"
            " or '-' to read it from stdin.",
        ),
    ],
    threshold: Annotated[float, typer.Option(min=0.0, max=1.0)] = 0.8,
    limit: Annotated[int, typer.Option(min=1, max=100, help="Hits at most.")] = 10,
    api: ApiOpt = None,
    token: TokenOpt = None,
    as_json: JsonOption = False,
) -> None:
    """Screen a traveller and the document from a machine-readable zone (MRZ)."""
    from gateway.cli.post import (  # noqa: PLC0415  # why: post.py imports this module
        _ask,
        _local_officer,
        _offline,
        _show_answer,
    )
    from gateway.post.api_mrz import screen_mrz_blocking  # noqa: PLC0415  # why: lazy import
    from gateway.post.screening.mrz import read_mrz  # noqa: PLC0415  # why: lazy import

    try:
        text = mrz_text(mrz)
        read_mrz(text)  # refuse an unreadable zone here, naming line and column
        if api:
            body = {"mrz": text, "threshold": threshold, "limit": limit}
            answer = _ask(api, "POST", "/screen/mrz", token, body)
        else:
            service = _offline(settings_of(ctx), post_id)
            answer = screen_mrz_blocking(
                service,
                text,
                officer=_local_officer(service, token),
                threshold=threshold,
                limit=limit,
            ).model_dump(mode="json")
    except FrontlineError as error:
        raise fail(error) from None
    if as_json:
        emit_json(answer)
        return
    _show_reading(answer["mrz"])
    _show_answer(answer["screening"], as_json=False)
