"""``sarslide cube build``: a datacube for a new event from live sources."""

from __future__ import annotations

from pathlib import Path

from sarslide.cli import options as opt
from sarslide.cli.apps import cube_app
from sarslide.cli.config_flags import ConfigFlags, ConfigRequest, config_command
from sarslide.cli.console import console
from sarslide.output_checks import check_output_location

BUILD = ConfigFlags(
    "sarslide.sources.config:BuildConfig", *opt.EVENT_FLAGS, *opt.TIME_FLAGS, *opt.SOURCE_FLAGS
)


@config_command(cube_app, "build", BUILD)
def build(
    request: ConfigRequest,
    output: Path = opt.output_option("Zarr store to write (CUBE.zarr).", required=True),
    overwrite: bool = opt.overwrite_option("Replace a store written by an earlier cube build."),
) -> None:
    """Search Sentinel-1 RTC, DEM, InSAR pairs and labels (or read them from local files
    with --rtc/--dem/--insar); write an aligned, validated cube."""
    check_output_location(output)
    from sarslide.sources.build import build_cube

    cfg = request.load()
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
