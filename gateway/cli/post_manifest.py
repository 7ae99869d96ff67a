"""``frontline post screen-manifest``: screen every traveller and document of a PAXLST manifest.

The manifest (UN/EDIFACT PAXLST, D:02B or D:05B: ``gateway/post/manifest.py``) becomes one
query per traveller and one per further document (``gateway/post/manifest_screen.py``).
Like ``post screen`` it reads the post's local store directly (no broker, no running
client; logged under the token's officer, else ``local:<user>``), or with ``--api URL``
asks a running client's ``/screen/batch`` (1,000 queries per call) with an officer's token.
It prints one line per traveller, hits first with the score, the action and the alert ids,
then the records flagged incomplete, then the rest; ``--json`` gives every traveller.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gateway.cli._common import JsonOption, emit_json, fail, settings_of
from gateway.cli._options import ApiOpt, PostArg, TokenOpt
from gateway.errors import FrontlineError

if TYPE_CHECKING:
    from gateway.post.api import PersonScreenRequest
    from gateway.post.manifest import Manifest
    from gateway.post.manifest_screen import PassengerResult
    from gateway.post.screening import ScreeningAnswer
    from gateway.settings import Settings

__all__ = ["screen_manifest"]


def screen_manifest(  # noqa: PLR0917  # why: typer maps each parameter to an option
    ctx: typer.Context,
    post_id: PostArg,
    paxlst: Annotated[
        Path,
        typer.Option(
            "--paxlst",
            dir_okay=False,
            help="UN/EDIFACT PAXLST file (D:02B or D:05B), as the carrier sent it.",
        ),
    ],
    threshold: Annotated[float, typer.Option(min=0.0, max=1.0)] = 0.8,
    api: ApiOpt = None,
    token: TokenOpt = None,
    as_json: JsonOption = False,
) -> None:
    """Screen every traveller and document of a UN/EDIFACT PAXLST manifest."""
    from gateway.post.manifest import read_paxlst  # noqa: PLC0415  # why: keep --help fast
    from gateway.post.manifest_screen import (  # noqa: PLC0415  # why: same
        manifest_queries,
        passenger_results,
    )

    try:
        manifest = read_paxlst(paxlst)
        queries, results = manifest_queries(manifest, threshold=threshold)
        if api:
            answers, freshness = _ask_batches(api, token, queries)
        else:
            answers, freshness = _offline(settings_of(ctx), post_id, token, queries)
    except FrontlineError as error:
        raise fail(error) from None
    ranked = passenger_results(results, answers)
    if as_json:
        emit_json(_document(manifest, ranked, freshness))
    else:
        _print(manifest, ranked, freshness)


def _offline(
    settings: Settings, post_id: str, token: str | None, queries: list[tuple[str, Any]]
) -> tuple[dict[str, ScreeningAnswer], dict[str, Any]]:
    """Screen on the post's local store (logged as the token's officer, else local:<user>)."""
    from gateway.cli.post import _local_officer  # noqa: PLC0415  # why: post imports this module
    from gateway.cli.post import _offline as offline_service  # noqa: PLC0415  # why: same
    from gateway.post.api_batch import screen_all  # noqa: PLC0415  # why: lazy import

    service = offline_service(settings, post_id)
    try:
        batch = screen_all(service, queries, officer=_local_officer(service, token))
    finally:
        service.close()
    return dict(batch.answers), _freshness(batch.model_dump(mode="json"))


def _ask_batches(
    api: str, token: str | None, queries: list[tuple[str, PersonScreenRequest]]
) -> tuple[dict[str, ScreeningAnswer], dict[str, Any]]:
    """Ask the running post's /screen/batch, ``MAX_BATCH`` queries per call."""
    from gateway.cli.post import _ask  # noqa: PLC0415  # why: post imports this module
    from gateway.post.api_batch import MAX_BATCH  # noqa: PLC0415  # why: lazy import
    from gateway.post.screening import ScreeningAnswer  # noqa: PLC0415  # why: same

    answers: dict[str, ScreeningAnswer] = {}
    freshness: dict[str, Any] = {"watchlist_size": 0, "staleness_seconds": None, "warnings": []}
    for start in range(0, len(queries), MAX_BATCH):
        chunk = queries[start : start + MAX_BATCH]
        body = {"queries": {k: {"person": q.model_dump(exclude_none=True)} for k, q in chunk}}
        answer = _ask(api, "POST", "/screen/batch", token, body)
        answers |= {k: ScreeningAnswer.model_validate(v) for k, v in answer["answers"].items()}
        freshness = _freshness(answer)
    return answers, freshness


def _freshness(batch: dict[str, Any]) -> dict[str, Any]:
    return {k: batch.get(k) for k in ("watchlist_size", "staleness_seconds", "warnings")}


def _document(
    manifest: Manifest, ranked: list[PassengerResult], freshness: dict[str, Any]
) -> dict[str, Any]:
    return {
        "manifest": {
            "directory": manifest.directory,
            "sender": manifest.sender,
            "flights": [f.label() for f in manifest.flights],
            "warnings": manifest.warnings,
        },
        **freshness,
        "travellers": len(ranked),
        "hits": sum(1 for r in ranked if r.hit),
        "passengers": [r.to_dict() for r in ranked],
    }


def _line(result: PassengerResult) -> str:
    pax = result.passenger
    who = ", ".join(p for p in (pax.family_name, pax.given_names) if p) or "(no name)"
    docs = " ".join(f"{d.doc_type or '?'}:{d.issuer or '?'}:{d.number}" for d in pax.documents)
    facts = " ".join(p for p in (pax.date_of_birth, pax.nationality, docs) if p)
    role = " crew" if pax.role == "crew" else ""
    if result.hit:
        head = f"HIT   {result.score:.2f} {result.action or '':<24}"
        tail = f"  alerts {', '.join(result.alert_ids)}"
    else:
        head = f"{'clear' if result.screened else 'NOT SCREENED':<12}{'':<24}"
        tail = ""
    flag = f"  [incomplete: {', '.join(result.incomplete)}]" if result.incomplete else ""
    return f"{head} #{pax.index:<4}{role} {who}  {facts}{tail}{flag}"


def _print(manifest: Manifest, ranked: list[PassengerResult], freshness: dict[str, Any]) -> None:
    flights = ", ".join(f.label() for f in manifest.flights) or "no flight"
    hits = sum(1 for r in ranked if r.hit)
    incomplete = sum(1 for r in ranked if r.incomplete or not r.screened)
    staleness = freshness.get("staleness_seconds")
    fresh = "never reached its feed" if staleness is None else f"staleness {staleness:.1f} s"
    typer.echo(
        f"PAXLST {manifest.directory} {flights}: {len(ranked)} travellers, {hits} with a hit,"
        f" {incomplete} incomplete; watchlist of {freshness.get('watchlist_size')} alerts,"
        f" {fresh}"
    )
    for warning in [*manifest.warnings, *(freshness.get("warnings") or [])]:
        typer.echo(f"warning: {warning}")
    for result in ranked:
        typer.echo(_line(result))
