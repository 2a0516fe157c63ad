"""``sarslide cube simulate``: write a simulated event cube (and its overview figure)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from sarslide.cli.apps import cube_app
from sarslide.cli.console import console, report_errors
from sarslide.errors import ConfigError


@cube_app.command("simulate")
@report_errors
def simulate(
    output: Path = typer.Option(..., "--output", "-o", help="Zarr store to write (*.zarr)."),
    config: Path | None = typer.Option(
        None, "--config", help="YAML or JSON file of EventCubeSpec fields (options override it)."
    ),
    size: int | None = typer.Option(None, "--size", help="Square grid: sets height and width."),
    height: int | None = typer.Option(None, "--height", help="Rows (10 m pixels). [512]"),
    width: int | None = typer.Option(None, "--width", help="Columns. [512]"),
    timesteps: int | None = typer.Option(
        None, "--timesteps", help="Acquisitions, half before the event. [8]"
    ),
    seed: int | None = typer.Option(None, "--seed", help="The same seed gives the same cube. [0]"),
    landslide_fraction: float | None = typer.Option(
        None, "--landslide-fraction", help="Target share of landslide pixels. [0.05]"
    ),
    orbit: str | None = typer.Option(
        None, "--orbit", help="ascending, descending or both (alternating). [ascending]"
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

    options = {
        "height_px": size or height,
        "width_px": size or width,
        "timesteps": timesteps,
        "seed": seed,
        "landslide_fraction": landslide_fraction,
        "orbit": orbit,
    }
    settings = _read_config(config) if config else {}
    settings.update({key: value for key, value in options.items() if value is not None})
    ds = simulate_event_cube(**settings)
    path = write_cube(ds, output, overwrite=overwrite, progress=progress)
    render_summary(summarize_cube(ds), title=f"{path.name} (SIMULATED)")
    console.print(f"wrote simulated cube {path}")
    if figure is not None:
        from sarslide.plotting.overview import plot_event_overview

        console.print(f"wrote figure {plot_event_overview(ds, figure, k=k)}")


def _read_config(path: Path) -> dict[str, Any]:
    import yaml

    try:
        text = path.read_text()
        loaded = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as err:
        raise ConfigError(f"Cannot read the simulation config {str(path)!r}: {err}") from err
    if not isinstance(loaded, dict):
        raise ConfigError(
            f"The simulation config {str(path)!r} must be a mapping of EventCubeSpec fields "
            f"(e.g. 'height_px: 256'); got {type(loaded).__name__}."
        )
    return loaded
