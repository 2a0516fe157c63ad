"""``sarslide predict``: a whole-scene landslide map from a trained checkpoint."""

from __future__ import annotations

from pathlib import Path

import typer

from sarslide.cli.apps import app
from sarslide.cli.checks import check_time_option
from sarslide.cli.console import console, report_errors
from sarslide.output_checks import check_output_location


@app.command("predict")
@report_errors
def predict(
    checkpoint: Path = typer.Argument(
        ..., help="Checkpoint written by 'sarslide train' (best.ckpt)."
    ),
    cube: str = typer.Option(..., "--cube", help="Datacube to map: Zarr path or fsspec URL."),
    out_dir: Path = typer.Option(..., "--out", "-o", help="Output folder to create."),
    event_start: str = typer.Option(
        None, "--event-start", help="Event window start (ISO 8601); default: the cube's."
    ),
    event_end: str = typer.Option(
        None, "--event-end", help="Event window end (ISO 8601); default: the cube's."
    ),
    threshold: float = typer.Option(
        None,
        "--threshold",
        help="Probability threshold; default: the checkpoint's (chosen on validation).",
    ),
    tile_size: int = typer.Option(512, "--tile-size", help="Model input tile size (px)."),
    overlap: int = typer.Option(64, "--overlap", help="Blended overlap between tiles (px)."),
    margin: int = typer.Option(0, "--margin", help="Context dropped at interior tile edges (px)."),
    batch_size: int = typer.Option(2, "--batch-size", help="Tiles per model call."),
    min_area: float = typer.Option(0.0, "--min-area", help="Drop polygons smaller than this (m2)."),
    scheduler: str = typer.Option(
        None, "--scheduler", help="dask.distributed scheduler address (tcp://host:8786)."
    ),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing output folder."),
    no_figures: bool = typer.Option(
        False, "--no-figures", help="Skip the quicklook and error-map PNGs."
    ),
) -> None:
    """Map landslides over a cube: probability and binary COGs, polygons, quicklook, report."""
    check_output_location(out_dir)
    check_time_option(event_start, "--event-start")
    check_time_option(event_end, "--event-end")
    # imported when the command runs (see sarslide.cli)
    from sarslide.inference.outputs import predict_to_directory

    outputs = predict_to_directory(
        checkpoint,
        cube,
        out_dir,
        event_start=event_start,
        event_end=event_end,
        threshold=threshold,
        tile_size_px=tile_size,
        overlap_px=overlap,
        margin_px=margin,
        batch_size=batch_size,
        min_area_m2=min_area,
        scheduler_address=scheduler,
        overwrite=overwrite,
        progress=True,
        figures=not no_figures,
    )
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
    ):
        path = getattr(outputs, name)
        if path is not None:
            console.print(f"  {path.name}")
