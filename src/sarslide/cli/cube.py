"""``sarslide cube info``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from sarslide.cli.apps import cube_app
from sarslide.cli.console import console

if TYPE_CHECKING:
    from sarslide.datacube.info import CubeSummary


@cube_app.command("info")
def info(
    path: str = typer.Argument(..., help="Zarr store: local path or fsspec URL."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
    no_labels: bool = typer.Option(
        False, "--no-labels", help="Skip the label fraction (reads labels)."
    ),
) -> None:
    """Print dims, variables, time range, orbits, CRS, grid and landslide fraction."""
    from sarslide.datacube import open_cube, summarize_cube

    summary = summarize_cube(
        open_cube(path, check_values=False), compute_label_fraction=not no_labels
    )
    if as_json:
        console.print_json(json.dumps(summary.to_dict(), default=str))
        return
    render_summary(summary, title=Path(path).name)


def render_summary(summary: CubeSummary, *, title: str) -> None:
    """Print a CubeSummary as rich tables."""
    for table in summary.to_tables(title):
        console.print(table)
