"""``sarslide cube simulate``: write a simulated event cube (and its overview figure)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from sarslide.cli.apps import cube_app
from sarslide.cli.console import console, report_errors


@cube_app.command("simulate")
@report_errors
def simulate(
    output: Path = typer.Option(..., "--output", "-o", help="Zarr store to write (*.zarr)."),
    size: int | None = typer.Option(None, "--size", help="Square grid: sets height and width."),
    height: int = typer.Option(512, "--height", help="Rows of the grid (10 m pixels)."),
    width: int = typer.Option(512, "--width", help="Columns of the grid."),
    timesteps: int = typer.Option(8, "--timesteps", help="Acquisitions, half before the event."),
    seed: int = typer.Option(0, "--seed", help="Seed: the same seed gives the same cube."),
    landslide_fraction: float = typer.Option(
        0.05, "--landslide-fraction", help="Target share of landslide pixels."
    ),
    orbit: str = typer.Option(
        "ascending", "--orbit", help="ascending, descending or both (alternating)."
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing store."),
    figure: Path | None = typer.Option(
        None, "--figure", help="Also write the overview PNG (VV/VH before/after, terrain)."
    ),
    k: int = typer.Option(1, "--k", help="Acquisitions per side in the figure's composites."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Show progress."),
) -> None:
    """Simulate a landslide event cube (SIMULATED data, the schema of the paper's cubes)."""
    from sarslide.cli.cube import render_summary
    from sarslide.datacube import summarize_cube, write_cube
    from sarslide.simulate import simulate_event_cube

    overrides: dict[str, Any] = {
        "height_px": size or height,
        "width_px": size or width,
        "timesteps": timesteps,
        "seed": seed,
        "landslide_fraction": landslide_fraction,
        "orbit": orbit,
    }
    ds = simulate_event_cube(**overrides)
    path = write_cube(ds, output, overwrite=overwrite, progress=progress)
    render_summary(summarize_cube(ds), title=f"{path.name} (SIMULATED)")
    console.print(f"wrote simulated cube {path}")
    if figure is not None:
        from sarslide.plotting.overview import plot_event_overview

        console.print(f"wrote figure {plot_event_overview(ds, figure, k=k)}")
