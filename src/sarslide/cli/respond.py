"""``sarslide respond``: map a new event from an AOI, a date and a trained model."""

from __future__ import annotations

from pathlib import Path

import typer

from sarslide.cli import options as opt
from sarslide.cli.apps import app
from sarslide.cli.checks import check_time_option
from sarslide.cli.console import console, report_errors
from sarslide.errors import ConfigError
from sarslide.output_checks import check_output_location


@app.command("respond")
@report_errors
def respond(
    output: Path | None = opt.output_option("Folder of this event (rerun resumes)."),
    out_alias: Path | None = opt.hidden_alias_option("--out"),
    aoi: str | None = opt.aoi_option(),
    event_start: str | None = opt.event_start_option("Event start (ISO 8601, UTC)."),
    event_end: str | None = opt.event_end_option("Event end (ISO 8601); default: the start."),
    model: Path | None = typer.Option(
        None, "--model", help="Checkpoint written by 'sarslide train'."
    ),
    config: Path | None = opt.config_option(
        "YAML respond config (RespondConfig keys, see docs/respond.md); the options here "
        "and --set override it."
    ),
    event_name: str | None = typer.Option(
        None, "--event-name", help="Name for the cube and report."
    ),
    search_days: int | None = typer.Option(
        None, "--search-days", help="Days searched each side of the event (default 24k+12)."
    ),
    orbit_state: str | None = typer.Option(
        None, "--orbit-state", help="ascending or descending (default: the model's)."
    ),
    relative_orbit: int | None = typer.Option(
        None, "--relative-orbit", help="Keep this track only."
    ),
    labels: Path | None = opt.labels_option("Landslide polygons to score the map."),
    stac_url: str | None = opt.stac_url_option(),
    collection: str | None = opt.collection_option(),
    dem_collection: str | None = opt.dem_collection_option(),
    rtc: list[str] | None = opt.rtc_option(
        "Local RTC products (files, folders, globs) instead of STAC; repeatable."
    ),
    dem: list[str] | None = opt.dem_option(
        "Local DEM file(s), or none (default without --dem: none when the model has no DEM "
        "channel, else --dem-collection); repeatable."
    ),
    signer: str | None = opt.signer_option(),
    insar: str | None = typer.Option(None, "--insar", help="hyp3, a folder of products, or none."),
    resolution_m: float | None = opt.resolution_option(),
    threshold: float | None = opt.threshold_option(),
    tile_size: int | None = opt.tile_size_option(),
    batch_size: int | None = opt.batch_size_option(),
    device: str | None = opt.device_option(),
    precision: str | None = opt.precision_option(),
    engine: str | None = opt.engine_option(),
    min_area: float | None = opt.min_area_option(),
    scheduler: str | None = opt.scheduler_option("scheduler"),
    no_figures: bool = opt.no_figures_option("Skip the PNG figures (figures: false)."),
    overrides: list[str] = opt.set_option(),
    overwrite: bool = opt.overwrite_option(
        "Replace outputs in the folder made for another request."
    ),
) -> None:
    """Find the acquisitions around an event, build its cube, map landslides, report.

    Refuses an event too recent for the model's k acquisitions after it, and says when
    enough will exist. Rerun with the same -o to resume: finished steps are reused.
    """
    opt.check_device_option(device)  # a missing GPU fails before any search or build
    out_dir = opt.pick_output(output, out_alias, "--out")
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
        "device": device,
        "precision": precision,
        "engine": engine,
        "min_area_m2": min_area,
        "scheduler": scheduler,
        "figures": False if no_figures else None,
    }
    cfg = opt.load_command_config(RespondConfig, config, overrides, options)
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
