"""``frontline post officers`` and ``frontline post access-log``: who may screen, who did.

These read and write the post's store directly (a local administrator's actions on the
machine that holds the store, under the same file permissions, 0600): they need no token and
no running post. A running post sees an added or revoked officer at its next request.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from gateway.cli._common import JsonOption, console, emit_json, fail, settings_of
from gateway.cli._options import PostArg
from gateway.errors import ConfigError, FrontlineError
from gateway.settings import Settings

if TYPE_CHECKING:
    from gateway.post.officers import Officers

__all__ = ["access_log", "officers_app", "since_ms"]

officers_app = typer.Typer(help="Officers of a post: who may use its API (bearer tokens).")

_RELATIVE = re.compile(r"^(\d+)\s*([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def since_ms(text: str, *, now: datetime | None = None) -> int:
    """``--since``: ISO 8601 (a date, or a time; UTC unless it says) or ``30m``, ``2h``, ``7d``."""
    now = now or datetime.now(UTC)
    relative = _RELATIVE.match(text.strip())
    if relative:
        amount, unit = int(relative.group(1)), relative.group(2)
        return int((now - timedelta(**{_UNITS[unit]: amount})).timestamp() * 1000)
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(
            f"--since {text!r} is neither an ISO 8601 time nor a duration",
            hint="e.g. --since 2026-05-01, --since 2026-05-01T08:00+02:00, --since 2h",
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1000)


def _store(settings: Settings, post_id: str, *, create: bool = False) -> tuple[str, Path]:
    from gateway.cli.post import resolve  # noqa: PLC0415  # why: post.py imports this module
    from gateway.post import store_path  # noqa: PLC0415  # why: keep `frontline --help` fast

    country, post = resolve(settings, post_id)
    path = store_path(settings, country, post)
    if not create and not path.exists():
        raise ConfigError(
            f"post {country}.{post} has no local store yet",
            hint=f"add an officer (`frontline post officers add {country}.{post} NAME`)"
            f" or start it once (`frontline post run {country}.{post}`)",
        )
    return f"{country}.{post}", path


@contextlib.contextmanager
def _officers(
    settings: Settings, post_id: str, *, create: bool = False
) -> Iterator[tuple[str, Officers]]:
    """The post's name and its officers table, closed on the way out."""
    from gateway.post.officers import Officers  # noqa: PLC0415  # why: lazy import

    post, path = _store(settings, post_id, create=create)
    with contextlib.closing(Officers(path)) as officers:
        yield post, officers


def _when(ms: int | None) -> str:
    if ms is None:
        return ""
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds")


def _officer_json(officer: Any) -> dict[str, Any]:
    return {
        "id": officer.id,
        "name": officer.name,
        "created": _when(officer.created_ms),
        "revoked": _when(officer.revoked_ms) or None,
    }


@officers_app.command("add")
def officers_add(
    ctx: typer.Context,
    post_id: PostArg,
    name: Annotated[str, typer.Argument(help="The officer's name, as staff know it.")],
    as_json: JsonOption = False,
) -> None:
    """Add an officer and print its token, once: the post keeps only a salted hash of it."""
    try:
        with _officers(settings_of(ctx), post_id, create=True) as (post, officers):
            officer, token = officers.add(name)
    except FrontlineError as error:
        raise fail(error) from None
    if as_json:
        emit_json({"post": post, "officer": _officer_json(officer), "token": token})
        return
    console.print(f"officer {officer.id} ({officer.name}) added at post {post}", highlight=False)
    console.print("token (shown once, keep it secret):", highlight=False)
    typer.echo(token)


@officers_app.command("list")
def officers_list(ctx: typer.Context, post_id: PostArg, as_json: JsonOption = False) -> None:
    """The post's officers: ids, names, when added and revoked (never a token)."""
    try:
        with _officers(settings_of(ctx), post_id) as (post, officers):
            listed = [_officer_json(o) for o in officers.list()]
    except FrontlineError as error:
        raise fail(error) from None
    if as_json:
        emit_json(listed)
        return
    table = Table("id", "name", "created", "revoked", title=f"officers of {post}")
    for officer in listed:
        table.add_row(str(officer["id"]), officer["name"], officer["created"], officer["revoked"])
    console.print(table)


@officers_app.command("revoke")
def officers_revoke(
    ctx: typer.Context,
    post_id: PostArg,
    officer_id: Annotated[int, typer.Argument(help="The officer's id (`officers list`).")],
    as_json: JsonOption = False,
) -> None:
    """Refuse an officer's token from now on (403), the running post included."""
    try:
        with _officers(settings_of(ctx), post_id) as (post, officers):
            officer = officers.revoke(officer_id)
    except FrontlineError as error:
        raise fail(error) from None
    if as_json:
        emit_json(_officer_json(officer))
        return
    console.print(
        f"officer {officer.id} ({officer.name}) at post {post} revoked since"
        f" {_when(officer.revoked_ms)}",
        highlight=False,
    )


def access_log(
    ctx: typer.Context,
    post_id: PostArg,
    since: Annotated[
        str | None,
        typer.Option(help="Only screenings from this time: ISO 8601 (UTC unless given) or 2h, 7d."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Export the post's access log: every screening, its officer, query, answer and data."""
    from gateway.post.access_log import AccessLog  # noqa: PLC0415  # why: lazy import

    try:
        start = None if since is None else since_ms(since)
        post, path = _store(settings_of(ctx), post_id)
        log = AccessLog(path, post)
        try:
            entries = log.entries(since_ms=start)
            pending = log.pending()
        finally:
            log.close()
    except FrontlineError as error:
        raise fail(error) from None
    if as_json:
        emit_json([e.to_dict() for e in entries])
        return
    table = Table("seq", "at", "officer", "kind", "query", "alerts", "feed offsets")
    for e in entries:
        query = ", ".join(f"{k}={v}" for k, v in e.query.items() if k not in {"threshold", "limit"})
        alerts = ", ".join(f"{a} v{v}" for a, v in e.alerts) or "-"
        offsets = ", ".join(f"{p}:{o}" for p, o in sorted(e.feed_offsets.items())) or "-"
        table.add_row(str(e.seq), e.at, e.officer, e.kind, query, alerts, offsets)
    console.print(table)
    console.print(
        f"{len(entries)} screenings at {post}; {pending} not yet sent to the bureau",
        highlight=False,
    )
