"""``sarslide cube info``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

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
    # imported when the command runs (see sarslide.cli)
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
    overview = Table(title=f"datacube {title}", show_header=False)
    overview.add_row("dims", ", ".join(f"{k}={v}" for k, v in summary.sizes.items()))
    overview.add_row("time", f"{summary.time_start} .. {summary.time_end}")
    overview.add_row(
        "orbits", ", ".join(f"{k}: {v}" for k, v in summary.orbit_counts.items()) or "-"
    )
    overview.add_row("crs", summary.crs or "none")
    if summary.resolution_m:
        overview.add_row(
            "resolution", f"{summary.resolution_m[0]:g} x {summary.resolution_m[1]:g} m"
        )
    if summary.bounds:
        overview.add_row("bounds", ", ".join(f"{b:.1f}" for b in summary.bounds))
    if summary.landslide_fraction is not None:
        overview.add_row("landslide pixels", f"{100 * summary.landslide_fraction:.2f} %")
    for key, value in summary.attrs.items():
        overview.add_row(f"attr {key}", str(value))
    console.print(overview)
    variables = Table(title="variables")
    for column in ("name", "dims", "dtype", "units", "chunks"):
        variables.add_column(column)
    for v in summary.variables:
        variables.add_row(v.name, ", ".join(v.dims), v.dtype, v.units, v.chunks)
    console.print(variables)
