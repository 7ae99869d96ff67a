"""``frontline post``: run a border-post client, screen against its watchlist, list it.

``screen``, ``screen-object`` and ``watchlist`` read the post's local store directly, so they
work with no broker and no running client (SQLite lets them read while the client writes);
with ``--api URL`` they ask a running client's HTTP API instead and show its staleness.
``watchlist`` streams the store's rows in id order without building the watchlist.

Through ``--api`` an officer's token is needed (``--token`` or FRONTLINE_OFFICER_TOKEN).
Reading the store directly is a local action of whoever may read its 0600 file: no token is
needed, and a screening is logged as the officer whose token is given, else ``local:<user>``.
``officers`` and ``access-log`` (gateway/cli/post_access.py) also act on the store directly,
as do ``report-hit`` (a hit stored in the outbox; the running post sends it) and ``hits``.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Callable, Iterator
from typing import Annotated, Any

import typer
from pydantic import BaseModel, ValidationError
from rich.table import Table

from gateway.cli._common import JsonOption, console, fail, settings_of
from gateway.cli._options import ApiOpt, PostArg, TokenOpt, check_listen_port
from gateway.cli.post_access import access_log, officers_app
from gateway.cli.post_manifest import screen_manifest
from gateway.cli.post_mrz import screen_mrz
from gateway.errors import ConfigError, FrontlineError
from gateway.heap import tune_allocator
from gateway.settings import Settings

__all__ = ["app"]

app = typer.Typer(help="Border posts: local watchlist, screening, frontline latency.")

JsonOpt = JsonOption

app.add_typer(officers_app, name="officers")
app.command("access-log")(access_log)
app.command("screen-mrz")(screen_mrz)
app.command("screen-manifest")(screen_manifest)


@app.callback()
def _post() -> None:
    """Border posts: local watchlist, screening, frontline latency."""


def resolve(settings: Settings, post_id: str) -> tuple[str, str]:
    from gateway.post import resolve_post  # noqa: PLC0415  # why: keep `frontline --help` fast
    from gateway.topology import load_topology  # noqa: PLC0415  # why: same

    try:
        return resolve_post(load_topology(settings.topology_file), post_id)
    except KeyError as error:
        raise ConfigError(
            str(error.args[0]), hint="list the posts with `frontline topology show`"
        ) from None


def _invalid(error: ValidationError) -> ConfigError:
    """A refused query naming each field and rule (never echoing the values)."""
    from gateway.post.guard import validation_errors  # noqa: PLC0415  # why: lazy import

    parts = []
    for detail in validation_errors(error.errors()):
        where = ".".join(str(p) for p in detail["loc"])
        parts.append(f"{where}: {detail['msg']}" if where else str(detail["msg"]))
    return ConfigError("invalid query: " + "; ".join(parts), hint="see `frontline post --help`")


def _offline(settings: Settings, post_id: str) -> Any:
    """The post's service built from its local store, without following the feed."""
    from gateway.post import PostService, store_path  # noqa: PLC0415  # why: lazy import

    country, post = resolve(settings, post_id)
    if not store_path(settings, country, post).exists():
        raise ConfigError(
            f"post {country}.{post} has no local store yet",
            hint=f"start it once: `frontline post run {country}.{post}`",
        )
    return PostService(settings, country, post)


def _ask(
    api: str, method: str, path: str, token: str | None, body: dict[str, Any] | None = None
) -> Any:
    import httpx  # noqa: PLC0415  # why: lazy import

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        response = httpx.request(
            method, api.rstrip("/") + path, json=body, headers=headers, timeout=10
        )
    except httpx.HTTPError as error:
        raise ConfigError(
            f"cannot reach the post API at {api}: {error}",
            hint="drop --api to read the local store instead",
        ) from None
    if response.status_code in {401, 403}:
        detail = response.json().get("detail", "") if response.content else ""
        raise ConfigError(
            f"the post API refused the officer token ({response.status_code}): {detail}",
            hint="pass --token or set FRONTLINE_OFFICER_TOKEN; a post's administrator issues"
            " one with `frontline post officers add POST_ID NAME`",
        )
    if response.status_code != 200:
        raise ConfigError(f"the post API answered {response.status_code}: {response.text}")
    return response.json()


def _local_officer(service: Any, token: str | None) -> str | None:
    """The officer a local screening is logged under: the token's, else None (``local:<user>``)."""
    if not token:
        return None
    return str(service.officers.verify(token).id)


def _screen(  # why: the screening commands' shared options, by keyword
    settings: Settings,
    post_id: str,
    path: str,
    request: BaseModel,
    offline: Callable[[Any, str | None], BaseModel],
    *,
    api: str | None,
    token: str | None,
    as_json: bool,
) -> None:
    """Ask the running post's API at ``path`` (with ``--api``), or screen on the local store
    with ``offline(service, officer)``, and show the answer."""
    try:
        if api:
            answer = _ask(api, "POST", path, token, request.model_dump(exclude_none=True))
        else:
            service = _offline(settings, post_id)
            answer = offline(service, _local_officer(service, token)).model_dump(mode="json")
        _show_answer(answer, as_json)
    except FrontlineError as error:
        raise fail(error) from None


def _show_answer(answer: dict[str, Any], as_json: bool) -> None:
    if as_json:
        console.print_json(json.dumps(answer))
        return
    staleness = answer.get("staleness_seconds")
    fresh = "never reached its feed" if staleness is None else f"staleness {staleness:.1f} s"
    console.print(f"watchlist of {answer['watchlist_size']} alerts, {fresh}", highlight=False)
    for warning in answer.get("warnings", []):
        console.print(f"[yellow]warning:[/] {warning}")
    documents = answer.get("documents") or []
    if documents:
        _show_documents(documents)
    if not answer["hits"]:
        if not documents:
            console.print("[green]no hit[/]")
        return
    table = Table("score", "subject", "action", "sources", "why", "alerts")
    for hit in answer["hits"]:
        why = "; ".join(f"{r['field']}: {r['how']}" for r in hit["why"])
        alerts = ", ".join(a["alert_id"] for a in hit["alerts"])
        table.add_row(
            f"{hit['score']:.2f}",
            hit["subject_id"],
            hit["action"],
            ", ".join(hit["sources"]),
            why,
            alerts,
        )
    console.print(table)


def _show_documents(documents: list[dict[str, Any]]) -> None:
    """The travel-document hits: the document, its status and the action to take."""
    table = Table("document", "issuer", "type", "status", "action", "reported", "alert", "org")
    for doc in documents:
        issuer = doc["issuing_country"] + ("" if doc.get("issuer_matches", True) else " (other)")
        table.add_row(
            doc["document_number"],
            issuer,
            doc["document_type"],
            doc["status"],
            doc["action"],
            doc.get("reported_at") or "",
            f"{doc['alert_id']} v{doc['version']}",
            doc["org"],
        )
    console.print(table)


@app.command()
def run(
    ctx: typer.Context,
    post_id: Annotated[
        str | None,
        typer.Argument(help="ISO3.POST (e.g. FRA.CDG) or a unique post id; omit with --all."),
    ] = None,
    all_posts: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Every post of the topology in this one process (API per "
            "post under /posts/ISO3.POST/, merged /metrics, /latency samples).",
        ),
    ] = False,
    http_port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="Serve the HTTP API (and /metrics) on this port."),
    ] = None,
    host: Annotated[str, typer.Option(help="Address the HTTP API listens on.")] = "127.0.0.1",
) -> None:
    """Follow the post's feed into its watchlist and serve screening until Ctrl-C."""
    import asyncio  # noqa: PLC0415  # why: keep `frontline --help` fast

    from gateway.post import PostService  # noqa: PLC0415  # why: same

    tune_allocator()
    settings = settings_of(ctx)
    if all_posts == (post_id is not None):
        raise fail(ConfigError("name one post, or pass --all", hint="e.g. `post run FRA.CDG`"))
    try:
        if http_port is not None:
            check_listen_port(host, http_port, option="--http-port")
        if all_posts:
            _run_all(settings, http_port, host)
            return
        assert post_id is not None  # checked above
        country, post = resolve(settings, post_id)
        # The store loads inside ``run`` so the HTTP API answers (status "loading") at once.
        service = PostService(settings, country, post, restore=False)
        service.store.claim()  # a second `post run` on this store stops here, naming the first
        console.print(
            f"post {service.name}: loading {service.store.count()} stored alerts, then"
            f" following {service.topic}",
            highlight=False,
        )
        asyncio.run(service.run(http_port=http_port, host=host))
    except FrontlineError as error:
        raise fail(error) from None
    except KeyboardInterrupt:
        pass


def _run_all(settings: Settings, http_port: int | None, host: str) -> None:
    import asyncio  # noqa: PLC0415  # why: keep `frontline --help` fast

    from gateway.post.host import PostsHost  # noqa: PLC0415  # why: same
    from gateway.topology import load_topology  # noqa: PLC0415  # why: same

    if http_port is None:
        raise ConfigError("--all needs --http-port", hint="e.g. `post run --all --http-port 9404`")
    posts = PostsHost(settings, load_topology(settings.topology_file))
    console.print(
        f"{len(posts.services)} posts on http://{host}:{http_port}/posts/", highlight=False
    )
    asyncio.run(posts.run(http_port, host))


@app.command()
def screen(  # noqa: PLR0917  # why: typer maps each parameter to an option
    ctx: typer.Context,
    post_id: PostArg,
    name: Annotated[str | None, typer.Option(help="Full name, any script, any order.")] = None,
    dob: Annotated[
        str | None, typer.Option(help="Birth date: YYYY, YYYY-MM or YYYY-MM-DD.")
    ] = None,
    nationality: Annotated[str | None, typer.Option(help="ISO alpha-3.")] = None,
    document: Annotated[str | None, typer.Option(help="Travel document number.")] = None,
    document_country: Annotated[str | None, typer.Option(help="Issuing country.")] = None,
    threshold: Annotated[float, typer.Option(min=0.0, max=1.0)] = 0.8,
    api: ApiOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Screen a traveller against the post's watchlist."""
    from gateway.post.api import PersonScreenRequest  # noqa: PLC0415  # why: lazy import

    try:
        request = PersonScreenRequest(
            name=name,
            date_of_birth=dob,
            nationality=nationality,
            document_number=document,
            document_country=document_country,
            threshold=threshold,
        )
    except ValidationError as error:
        raise fail(_invalid(error)) from None
    _screen(
        settings_of(ctx),
        post_id,
        "/screen/person",
        request,
        lambda service, officer: service.screen_person(
            request.query(), threshold=threshold, officer=officer
        ),
        api=api,
        token=token,
        as_json=as_json,
    )


@app.command("screen-object")
def screen_object(  # noqa: PLR0917  # why: typer maps each parameter to an option
    ctx: typer.Context,
    post_id: PostArg,
    container: Annotated[str | None, typer.Option(help="ISO 6346 container number.")] = None,
    imo: Annotated[str | None, typer.Option(help="IMO ship number.")] = None,
    vin: Annotated[str | None, typer.Option(help="Vehicle identification number.")] = None,
    plate: Annotated[str | None, typer.Option(help="Registration plate.")] = None,
    plate_country: Annotated[str | None, typer.Option(help="Plate's country, alpha-3.")] = None,
    api: ApiOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Screen a container, ship, vehicle or plate against the post's watchlist."""
    from gateway.post.api import ObjectScreenRequest  # noqa: PLC0415  # why: lazy import

    try:
        request = ObjectScreenRequest(
            container=container, imo=imo, vin=vin, plate=plate, plate_country=plate_country
        )
    except ValidationError as error:
        raise fail(_invalid(error)) from None
    _screen(
        settings_of(ctx),
        post_id,
        "/screen/object",
        request,
        lambda service, officer: service.screen_object(request.query(), officer=officer),
        api=api,
        token=token,
        as_json=as_json,
    )


@app.command()
def watchlist(
    ctx: typer.Context,
    post_id: PostArg,
    api: ApiOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List the alert ids and versions on the post's watchlist, streamed in id order."""
    settings = settings_of(ctx)
    try:
        if api:
            items: Iterator[dict[str, Any]] = iter(
                sorted(_ask(api, "GET", "/watchlist", token)["items"], key=lambda i: i["alert_id"])
            )
        else:
            items = _stored_items(settings, post_id)
        count = _print_items(items, as_json)
    except FrontlineError as error:
        raise fail(error) from None
    if not as_json:
        console.print(f"{count} alerts", highlight=False)


def _stored_items(settings: Settings, post_id: str) -> Iterator[dict[str, Any]]:
    """The store's rows in id order, read straight from SQLite (no watchlist is built)."""
    from gateway.post import PostStore, store_path  # noqa: PLC0415  # why: lazy import

    country, post = resolve(settings, post_id)
    path = store_path(settings, country, post)
    if not path.exists():
        raise ConfigError(
            f"post {country}.{post} has no local store yet",
            hint=f"start it once: `frontline post run {country}.{post}`",
        )
    return _rows(PostStore(path))


def _rows(store: Any) -> Iterator[dict[str, Any]]:
    """The watchlist records and the travel-document alerts, merged in id order."""
    try:
        both = heapq.merge(store.listing(), store.document_listing(), key=lambda row: row[0])
        for alert_id, version, kind, org in both:
            yield {"alert_id": alert_id, "version": version, "kind": kind, "org": org}
    finally:
        store.close()


def _print_items(items: Iterator[dict[str, Any]], as_json: bool) -> int:
    """Print items as they come (a JSON array, or aligned columns); returns how many."""
    count = 0
    if as_json:
        typer.echo("[", nl=False)
        for item in items:
            typer.echo(("," if count else "") + "\n  " + json.dumps(item), nl=False)
            count += 1
        typer.echo("\n]" if count else "]")
        return count
    typer.echo(f"{'alert id':<32} {'version':>7}  {'kind':<14} org")
    for item in items:
        typer.echo(f"{item['alert_id']:<32} {item['version']:>7}  {item['kind']:<14} {item['org']}")
        count += 1
    return count


def _outcomes() -> list[str]:
    from gateway.contract.messages import HitOutcome  # noqa: PLC0415  # why: lazy import

    return [o.value for o in HitOutcome]


@app.command("report-hit")
def report_hit(  # noqa: PLR0917  # why: typer maps each parameter to an option
    ctx: typer.Context,
    post_id: PostArg,
    alert: Annotated[str, typer.Option("--alert", help="The alert id that matched.")],
    outcome: Annotated[
        str, typer.Option("--outcome", help="ARRESTED, DETAINED, REFUSED_ENTRY, ... FALSE_MATCH.")
    ],
    note: Annotated[str | None, typer.Option(help="Free text for the issuing country.")] = None,
    screening: Annotated[
        int | None,
        typer.Option(min=1, help="The screening_id of the screening that matched."),
    ] = None,
    place: Annotated[str | None, typer.Option(help="Where (free text).")] = None,
    conveyance: Annotated[str | None, typer.Option(help="Flight, vessel, vehicle.")] = None,
    route: Annotated[str | None, typer.Option(help="From where, to where.")] = None,
    companions: Annotated[str | None, typer.Option(help="Who travelled along.")] = None,
    api: ApiOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Report a hit on an alert the post holds; stored at the post, then sent upstream."""
    from gateway.contract.messages import HitOutcome  # noqa: PLC0415  # why: lazy import

    if outcome.upper() not in _outcomes():
        raise fail(ConfigError(f"unknown outcome {outcome!r}", hint=", ".join(_outcomes())))
    texts = {"note": note, "place": place, "conveyance": conveyance, "route": route,
             "companions": companions}  # fmt: skip
    try:
        if api:
            body = {"alert_id": alert, "outcome": outcome.upper(), "screening_id": screening}
            body |= texts
            answer = _ask(api, "POST", "/hits", token, {k: v for k, v in body.items() if v})
        else:
            service = _offline(settings_of(ctx), post_id)
            try:
                report = service.report_hit(
                    alert, HitOutcome(outcome.upper()),
                    officer=_local_officer(service, token), screening_id=screening, **texts,
                )  # fmt: skip
            finally:
                service.close()
            answer = {**report.model_dump(mode="json"), "status": "stored"}
    except FrontlineError as error:
        raise fail(error) from None
    if as_json:
        console.print_json(json.dumps(answer))
        return
    console.print(
        f"hit {answer['hit_id']} on {answer['alert_id']} v{answer['alert_version']}:"
        f" {answer['outcome']}, stored at {answer['country']}.{answer['post_id']}; the running"
        " post sends it",
        highlight=False,
    )


@app.command()
def hits(
    ctx: typer.Context,
    post_id: PostArg,
    api: ApiOpt = None,
    token: TokenOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The hits reported at the post: stored, sent, or acknowledged with instructions."""
    try:
        if api:
            rows = _ask(api, "GET", "/hits", token)["hits"]
        else:
            rows = _stored_hits(settings_of(ctx), post_id)
    except FrontlineError as error:
        raise fail(error) from None
    if as_json:
        console.print_json(json.dumps(rows))
        return
    table = Table("hit", "alert", "outcome", "reported", "status", "instructions")
    for row in rows:
        table.add_row(
            row["hit_id"], f"{row['alert_id']} v{row['alert_version']}", row["outcome"],
            row["reported_at"], row["status"], row.get("instructions") or "",
        )  # fmt: skip
    console.print(table)
    console.print(f"{len(rows)} hits", highlight=False)


def _stored_hits(settings: Settings, post_id: str) -> list[dict[str, Any]]:
    from gateway.post import store_path  # noqa: PLC0415  # why: lazy import
    from gateway.post.hits import HitBook  # noqa: PLC0415  # why: same

    country, post = resolve(settings, post_id)
    path = store_path(settings, country, post)
    if not path.exists():
        raise ConfigError(
            f"post {country}.{post} has no local store yet",
            hint=f"start it once: `frontline post run {country}.{post}`",
        )
    book = HitBook(path)
    try:
        return [hit.to_dict() for hit in book.hits()]
    finally:
        book.close()


if __name__ == "__main__":  # `python -m gateway.cli.post run FRA.CDG`
    app()
