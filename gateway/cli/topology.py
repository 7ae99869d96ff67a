"""``frontline topology``: validate and show the organizations, countries and border posts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from gateway.cli._common import console, fail, settings_of
from gateway.errors import FrontlineError
from gateway.topology import Topology, load_topology

__all__ = ["app"]

app = typer.Typer(help="Validate and show the topology file.", no_args_is_help=True)

TopologyOption = Annotated[
    Path | None,
    typer.Option("--topology", help="Topology TOML; default FRONTLINE_TOPOLOGY_FILE or shipped."),
]


def _load(ctx: typer.Context, path: Path | None) -> Topology:
    try:
        return load_topology(path or settings_of(ctx).topology_file)
    except FrontlineError as error:
        raise fail(error) from None


@app.command()
def check(ctx: typer.Context, topology: TopologyOption = None) -> None:
    """Validate the file; every problem is printed as file:line: field: message."""
    layout = _load(ctx, topology)
    posts = sum(1 for _ in layout.posts())
    console.print(
        f"[green]ok[/]: {len(layout.organizations)} organizations, "
        f"{len(layout.countries)} countries, {posts} border posts"
    )


@app.command()
def show(
    ctx: typer.Context,
    topology: TopologyOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the validated model as JSON.")
    ] = False,
) -> None:
    """Print every country's border posts and what each subscribes to."""
    layout = _load(ctx, topology)
    if as_json:
        typer.echo(layout.model_dump_json(indent=2))
        return
    table = Table(title="Frontline topology")
    for column in ("post", "type", "name", "kinds", "categories"):
        table.add_column(column)
    for country, post in layout.posts():
        subscribes = post.subscribes
        table.add_row(
            f"{country.code}.{post.id}",
            post.type,
            post.name,
            ", ".join(subscribes.kinds),
            ", ".join(subscribes.commodity_categories) or "all",
        )
    console.print(table)
    orgs = ", ".join(org.code for org in layout.organizations)
    console.print(f"organizations: {orgs}")
