"""``sarslide cube`` (build, info, simulate, simulate-events) and ``sarslide data`` (list
and fetch the published Zenodo cubes)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from sarslide.cli import options as opt
from sarslide.cli.apps import cube_app, data_app
from sarslide.cli.config_flags import ConfigFlags, ConfigRequest, argument, config_command, flag
from sarslide.cli.console import console
from sarslide.cli.flag_types import parse_time
from sarslide.output_checks import check_output_location

BUILD = ConfigFlags(
    "sarslide.sources.config:BuildConfig",
    *opt.EVENT_FLAGS,
    flag("start", parse=parse_time),
    flag("end", parse=parse_time),
    *opt.SOURCE_FLAGS,
    flag(
        "output", "--output", "-o", required=True, help="Zarr store to write (CUBE.zarr) (output)."
    ),
)


@config_command(cube_app, "build", BUILD)
def build(
    request: ConfigRequest,
    overwrite: bool = opt.overwrite_option("Replace a store written by an earlier cube build."),
) -> None:
    """Search Sentinel-1 RTC, DEM, InSAR pairs and labels (or read them from local files
    with --rtc/--dem/--insar); write an aligned, validated cube."""
    from sarslide.sources.build import build_cube

    cfg = request.load()
    result = build_cube(cfg, overwrite=overwrite, progress=True)
    console.print(
        f"[green]wrote[/] {result.store}: {result.timesteps} timesteps, "
        f"{result.pairs} InSAR pairs; "
        f"build log {result.log_path}"
    )
    if result.skipped_items or result.skipped_pairs:
        console.print(
            f"[yellow]skipped[/] {len(result.skipped_items)} item(s) and "
            f"{len(result.skipped_pairs)} InSAR pair(s): see the build log."
        )


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
    console.print(*summary.to_tables(Path(path).name))


SIMULATE = ConfigFlags(
    "sarslide.simulate.config:EventCubeSpec",
    "height_px:--height width_px:--width timesteps seed landslide_fraction orbit",
    flag(
        "height_px", "--size", also=["width_px"], help="Square grid: sets height_px and width_px."
    ),
)


@config_command(cube_app, "simulate", SIMULATE)
def simulate(
    request: ConfigRequest,
    output: Path = opt.output_option("Zarr store to write (*.zarr).", required=True),
    overwrite: bool = opt.overwrite_option("Replace a store written by an earlier cube simulate."),
    figure: Path | None = typer.Option(
        None, "--figure", help="Also write the overview PNG (VV/VH before/after, terrain)."
    ),
    k: int = typer.Option(1, "--k", help="Acquisitions per side in the figure's composites."),
    progress: bool = opt.PROGRESS,
) -> None:
    """Simulate a landslide event cube (SIMULATED data, the schema of the paper's cubes).

    Every setting and its default: docs/simulator.md (or the cube's simulation_spec).
    """
    from functools import partial

    from sarslide.datacube import summarize_cube
    from sarslide.plotting import overview
    from sarslide.simulate.run import write_simulated_cube

    check_output_location(output)
    if figure is not None:
        overview.check_overview_path(figure)
    spec = request.load()
    check = partial(overview.check_overview_k, k=k) if figure is not None else None
    path, ds = write_simulated_cube(
        spec, output, overwrite=overwrite, progress=progress, inputs=[request.config], check=check
    )
    console.print(*summarize_cube(ds).to_tables(f"{path.name} (SIMULATED)"))
    console.print(f"wrote simulated cube {path}")
    if figure is not None:
        console.print(f"wrote figure {overview.plot_event_overview(ds, figure, k=k)}")


@cube_app.command("simulate-events")
def simulate_events(
    output: Path = opt.output_option("Folder for the cubes.", required=True),
    preset: str = typer.Option("four-events", "--preset", help="Event set to simulate."),
    size: int = typer.Option(384, "--size", help="Grid side of every cube (10 m pixels)."),
    overwrite: bool = opt.overwrite_option("Replace existing cubes."),
    progress: bool = opt.PROGRESS,
) -> None:
    """Simulate a set of distinct events (SIMULATED): one cube each and events.yaml.

    The events differ in terrain, landslide sizes and density, land cover, incidence
    and orbit, speckle looks and acquisition gaps (docs/simulator.md). events.yaml is
    the 'events' list of a data config. Existing cubes with the same settings are kept.
    """
    from sarslide.simulate import event_sets

    path = event_sets.write_event_set(
        output, preset, size_px=size, overwrite=overwrite, progress=progress
    )
    for name, spec in event_sets.event_set_specs(preset, size_px=size).items():
        console.print(f"{name:10s} {event_sets.describe_event(spec)}")
    console.print(f"wrote {path}")


@data_app.command("list")
def list_cubes() -> None:
    """List the published cubes of Boehm et al. (2022), Zenodo record 7248056."""
    from sarslide.sources.zenodo import published_cubes_table

    console.print(published_cubes_table())


FETCH = ConfigFlags(
    "sarslide.sources.config:FetchConfig",
    argument("name"),
    flag("output_dir", old=["--dest"]),
    "base_url md5",
    flag("checksum", "--no-checksum", sets=False),
    flag("keep_zip", "--keep-zip", sets=True),
)


@config_command(data_app, "fetch", FETCH)
def fetch(request: ConfigRequest) -> None:
    """Download (resuming), verify, extract a published cube, then print its summary."""
    from sarslide.datacube import open_cube, summarize_cube
    from sarslide.sources import zenodo

    cfg = request.load()
    store = zenodo.fetch(cfg, progress=True).store
    console.print(f"[green]fetched[/] {store}")
    console.print(*summarize_cube(open_cube(store)).to_tables(store.name))
