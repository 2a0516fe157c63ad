"""``sarslide data list`` and ``sarslide data fetch``: the published Zenodo cubes."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from sarslide.cli.apps import data_app
from sarslide.cli.console import console, report_errors
from sarslide.cli.cube import render_summary
from sarslide.cli.options import pick_output


@data_app.command("list")
@report_errors
def list_cubes() -> None:
    """List the published cubes of Boehm et al. (2022), Zenodo record 7248056."""
    # imported when the command runs (see sarslide.cli)
    from sarslide.sources.zenodo import PUBLISHED_CUBES

    table = Table(title="published datacubes (zenodo.org/record/7248056)")
    for column in ("name", "event", "event start", "event end"):
        table.add_column(column)
    for cube in PUBLISHED_CUBES.values():
        table.add_row(cube.name, cube.event, cube.event_start, cube.event_end)
    console.print(table)


@data_app.command("fetch")
@report_errors
def fetch(
    name: str = typer.Argument(..., help="Cube name, e.g. hokkaido_japan (see 'data list')."),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Folder for the extracted store [default: data]."
    ),
    dest: Path | None = typer.Option(None, "--dest", hidden=True),
    base_url: str = typer.Option(None, "--base-url", help="Mirror serving <name>.zip."),
    md5: str = typer.Option(None, "--md5", help="Expected md5 (default: from the Zenodo record)."),
    no_checksum: bool = typer.Option(False, "--no-checksum", help="Do not ask Zenodo for the md5."),
    keep_zip: bool = typer.Option(False, "--keep-zip", help="Keep the zip after extraction."),
) -> None:
    """Download (resuming), verify, extract a published cube, then print its summary."""
    # imported when the command runs (see sarslide.cli)
    from sarslide.datacube import open_cube, summarize_cube
    from sarslide.sources import zenodo

    store = zenodo.fetch_published_cube(
        name,
        pick_output(output, dest, "--dest") or Path("data"),
        base_url=base_url or zenodo.DEFAULT_BASE_URL,
        api_url=None if no_checksum else zenodo.DEFAULT_API_URL,
        md5=md5,
        keep_zip=keep_zip,
        progress=True,
    )
    console.print(f"[green]fetched[/] {store}")
    render_summary(summarize_cube(open_cube(store)), title=store.name)
