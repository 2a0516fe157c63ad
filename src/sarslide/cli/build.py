"""``sarslide cube build``: a datacube for a new event from live sources."""

from __future__ import annotations

from pathlib import Path

import typer

from sarslide.cli import options as opt
from sarslide.cli.apps import cube_app
from sarslide.cli.checks import check_time_option
from sarslide.cli.console import console, report_errors
from sarslide.output_checks import check_output_location


@cube_app.command("build")
@report_errors
def build(
    output: Path = opt.output_option("Zarr store to write (CUBE.zarr).", required=True),
    aoi: str | None = opt.aoi_option(),
    start: str | None = typer.Option(None, "--start", help="First acquisition date (ISO 8601)."),
    end: str | None = typer.Option(None, "--end", help="Last acquisition date (inclusive)."),
    event_start: str | None = opt.event_start_option("Start of the triggering event."),
    event_end: str | None = opt.event_end_option("End of the triggering event."),
    labels: Path | None = opt.labels_option("Landslide polygons (GPKG, SHP, GeoJSON; any CRS)."),
    config: Path | None = opt.config_option(
        "YAML build config (BuildConfig keys, see docs/build.md); the options here and "
        "--set override it."
    ),
    stac_url: str | None = opt.stac_url_option(),
    collection: str | None = opt.collection_option(),
    dem_collection: str | None = opt.dem_collection_option(),
    rtc: list[str] | None = opt.rtc_option(
        "Local RTC products instead of STAC: files, folders or quoted glob patterns "
        "(OPERA RTC-S1, HyP3 RTC); repeatable."
    ),
    dem: list[str] | None = opt.dem_option(
        "Local DEM file(s) instead of STAC (any CRS), or none: no DEM layers; repeatable."
    ),
    crs: str = typer.Option(
        None, "--crs", help="Grid CRS, e.g. EPSG:32754 (default: the products' or AOI's UTM)."
    ),
    chunk_px: int = typer.Option(None, "--chunk-px", help="Chunk side in pixels (memory)."),
    signer: str | None = opt.signer_option(),
    insar: list[str] = typer.Option(
        None,
        "--insar",
        help="none, hyp3, or folders / files / quoted globs of HyP3, ISCE2 or GAMMA/PyRate "
        "products; repeatable.",
    ),
    resolution_m: float | None = opt.resolution_option(),
    scheduler: str | None = opt.scheduler_option("scheduler"),
    overrides: list[str] = opt.set_option(),
    overwrite: bool = opt.overwrite_option("Replace a store written by an earlier cube build."),
) -> None:
    """Search Sentinel-1 RTC, DEM, InSAR pairs and labels (or read them from local files
    with --rtc/--dem/--insar); write an aligned, validated cube."""
    check_output_location(output)
    for value, option in (
        (start, "--start"),
        (end, "--end"),
        (event_start, "--event-start"),
        (event_end, "--event-end"),
    ):
        check_time_option(value, option)
    # imported when the command runs (see sarslide.cli)
    from sarslide.sources.build import BuildConfig, build_cube

    options = {
        "aoi": aoi,
        "start": start,
        "end": end,
        "event_start": event_start,
        "event_end": event_end,
        "labels": labels,
        "stac_url": stac_url,
        "collection": collection,
        "dem_collection": dem_collection,
        "rtc": rtc or None,
        "dem": dem or None,
        "crs": crs,
        "chunk_px": chunk_px,
        "signer": signer,
        "insar": insar or None,
        "resolution_m": resolution_m,
        "scheduler": scheduler,
    }
    cfg = opt.load_command_config(BuildConfig, config, overrides, options)
    result = build_cube(cfg, output, overwrite=overwrite, progress=True)
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
