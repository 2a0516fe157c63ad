"""``sarslide predict``: a whole-scene landslide map from a trained checkpoint."""

from __future__ import annotations

from pathlib import Path

import typer

from sarslide.cli import options as opt
from sarslide.cli.apps import app
from sarslide.cli.checks import check_time_option
from sarslide.cli.console import console, report_errors
from sarslide.output_checks import check_output_location


@app.command("predict")
@report_errors
def predict(
    checkpoint: Path | None = typer.Argument(
        None,
        help="Checkpoint written by 'sarslide train' (best.ckpt) or a model exported by "
        "'sarslide export' (model.onnx) (checkpoint).",
    ),
    config: Path | None = opt.config_option(
        "YAML prediction config (a map's config.yaml works too); the options below and "
        "--set override its keys. See docs/configs.md."
    ),
    cube: str | None = opt.cube_option("Datacube to map: Zarr path or fsspec URL (cube)."),
    output: Path | None = opt.output_option("Output folder to create (output_dir)."),
    out_alias: Path | None = opt.hidden_alias_option("--out"),
    event_start: str | None = opt.event_start_option("Event window start, ISO 8601 (event_start)."),
    event_end: str | None = opt.event_end_option("Event window end, ISO 8601 (event_end)."),
    threshold: float | None = opt.threshold_option(),
    tile_size: int | None = opt.tile_size_option(),
    overlap: int | None = typer.Option(
        None, "--overlap", help="Blended overlap between tiles, px (overlap_px)."
    ),
    margin: int | None = typer.Option(
        None, "--margin", help="Context dropped at interior tile edges, px (margin_px)."
    ),
    batch_size: int | None = opt.batch_size_option(),
    min_area: float | None = opt.min_area_option(),
    scheduler: str | None = opt.scheduler_option(),
    no_figures: bool = opt.no_figures_option(
        "Skip the quicklook and error-map PNGs (figures: false)."
    ),
    device: str | None = opt.device_option(),
    precision: str | None = opt.precision_option(),
    engine: str | None = opt.engine_option(),
    overrides: list[str] = opt.set_option(),
    overwrite: bool = opt.overwrite_option("Replace an existing output folder."),
) -> None:
    """Map landslides over a cube: probability and binary COGs, polygons, quicklook, report.

    The resolved configuration is written to config.yaml in the output folder.
    """
    opt.check_device_option(device)  # a missing GPU fails before torch and the cube load
    # imported when the command runs (see sarslide.cli)
    from sarslide.inference.config import PredictConfig
    from sarslide.inference.outputs import predict_to_directory

    check_time_option(event_start, "--event-start")
    check_time_option(event_end, "--event-end")
    flags = {
        "checkpoint": checkpoint,
        "cube": cube,
        "output_dir": opt.pick_output(output, out_alias, "--out"),
        "event_start": event_start,
        "event_end": event_end,
        "threshold": threshold,
        "tile_size_px": tile_size,
        "overlap_px": overlap,
        "margin_px": margin,
        "batch_size": batch_size,
        "min_area_m2": min_area,
        "scheduler_address": scheduler,
        "figures": False if no_figures else None,
        "device": device,
        "precision": precision,
        "engine": engine,
    }
    cfg = opt.load_command_config(PredictConfig, config, overrides, flags)
    check_output_location(cfg.output_path)
    outputs = predict_to_directory(cfg, progress=True, overwrite=overwrite)
    console.print(f"[bold green]landslide map written to[/] {outputs.directory}")
    for name in (
        "probability_tif",
        "binary_tif",
        "polygons_gpkg",
        "polygons_geojson",
        "quicklook_png",
        "error_map_png",
        "metrics_json",
        "report_html",
        "config_yaml",
    ):
        path = getattr(outputs, name)
        if path is not None:
            console.print(f"  {path.name}")
