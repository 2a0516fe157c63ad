"""``sarslide respond``: map a new event from an AOI, a date and a trained model."""

from __future__ import annotations

from pathlib import Path

import typer

from sarslide.cli.apps import app
from sarslide.cli.checks import check_time_option
from sarslide.cli.console import console, report_errors
from sarslide.cli.options import config_option, load_command_config, pick_output, set_option
from sarslide.errors import ConfigError
from sarslide.output_checks import check_output_location


@app.command("respond")
@report_errors
def respond(
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Folder of this event (rerun resumes)."
    ),
    out_alias: Path | None = typer.Option(None, "--out", hidden=True),
    aoi: str = typer.Option(
        None, "--aoi", help="'min_lon,min_lat,max_lon,max_lat' or a vector file."
    ),
    event_start: str = typer.Option(None, "--event-start", help="Event start (ISO 8601, UTC)."),
    event_end: str = typer.Option(
        None, "--event-end", help="Event end (ISO 8601); default: the start."
    ),
    model: Path = typer.Option(None, "--model", help="Checkpoint written by 'sarslide train'."),
    config: Path | None = config_option(
        "YAML respond config (RespondConfig keys, see docs/respond.md); the options here "
        "and --set override it."
    ),
    event_name: str = typer.Option(None, "--event-name", help="Name for the cube and report."),
    search_days: int = typer.Option(
        None, "--search-days", help="Days searched each side of the event (default 24k+12)."
    ),
    orbit_state: str = typer.Option(
        None, "--orbit-state", help="ascending or descending (default: the model's)."
    ),
    relative_orbit: int = typer.Option(None, "--relative-orbit", help="Keep this track only."),
    labels: Path = typer.Option(None, "--labels", help="Landslide polygons to score the map."),
    stac_url: str = typer.Option(None, "--stac-url", help="STAC API root URL."),
    collection: str = typer.Option(None, "--collection", help="RTC collection."),
    dem_collection: str = typer.Option(None, "--dem-collection", help="DEM collection."),
    rtc: list[str] = typer.Option(
        None,
        "--rtc",
        help="Local RTC products (files, folders, globs) instead of STAC; repeatable.",
    ),
    dem: list[str] = typer.Option(None, "--dem", help="Local DEM file(s); repeatable."),
    signer: str = typer.Option(None, "--signer", help="planetary-computer or none."),
    insar: str = typer.Option(None, "--insar", help="hyp3, a folder of products, or none."),
    resolution_m: float = typer.Option(None, "--resolution-m", help="Pixel size (default 10 m)."),
    threshold: float = typer.Option(
        None, "--threshold", help="Probability threshold (default: the checkpoint's)."
    ),
    tile_size: int = typer.Option(None, "--tile-size", help="Model input tile size (px)."),
    batch_size: int = typer.Option(None, "--batch-size", help="Tiles per model call."),
    min_area: float = typer.Option(None, "--min-area", help="Drop smaller polygons (m2)."),
    scheduler: str = typer.Option(None, "--scheduler", help="dask.distributed scheduler address."),
    no_figures: bool = typer.Option(False, "--no-figures", help="Skip the PNG figures."),
    overrides: list[str] = set_option(),
    overwrite: bool = typer.Option(
        False, "--overwrite", help="Replace outputs in the folder made for another request."
    ),
) -> None:
    """Find the acquisitions around an event, build its cube, map landslides, report.

    Refuses an event too recent for the model's k acquisitions after it, and says when
    enough will exist. Rerun with the same -o to resume: finished steps are reused.
    """
    out_dir = pick_output(output, out_alias, "--out")
    if out_dir is None:
        raise ConfigError("Give the event's folder with -o/--output.")
    check_output_location(out_dir)
    check_time_option(event_start, "--event-start")
    check_time_option(event_end, "--event-end")
    # imported when the command runs (see sarslide.cli)
    from sarslide.respond import RespondConfig, respond_to_event

    options = {
        "aoi": aoi,
        "event_start": event_start,
        "event_end": event_end,
        "model": model,
        "event_name": event_name,
        "search_days": search_days,
        "orbit_state": orbit_state,
        "relative_orbit": relative_orbit,
        "labels": labels,
        "stac_url": stac_url,
        "collection": collection,
        "dem_collection": dem_collection,
        "rtc": rtc or None,
        "dem": dem or None,
        "signer": signer,
        "insar": insar,
        "resolution_m": resolution_m,
        "threshold": threshold,
        "tile_size_px": tile_size,
        "batch_size": batch_size,
        "min_area_m2": min_area,
        "scheduler": scheduler,
        "figures": False if no_figures else None,
    }
    cfg = load_command_config(RespondConfig, config, overrides, options)
    result = respond_to_event(
        cfg,
        out_dir,
        overwrite=overwrite,
        progress=True,
        on_step=lambda line: console.print(line, highlight=False, markup=False),
    )
    steps = ", ".join(f"{name} {status}" for name, status in result.steps.items())
    console.print(f"[bold green]landslide map written to[/] {result.map.directory} ({steps})")
    console.print(f"  report: {result.report_md}; map report: {result.map.report_html}")
