"""``predict_to_directory(cfg)``: a checkpoint and a cube in, a folder of GIS outputs out.

Everything is written into a hidden temporary folder beside the output folder and renamed
into place at the end: an error or an interruption never leaves a half-written
output folder.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from sarslide import conventions as cv
from sarslide.atomic import replacing, write_json_atomic
from sarslide.chips.splits import SplitPlan
from sarslide.datacube.chunk_manifest import ATTR_MISSING_CHUNKS
from sarslide.datacube.integrity import describe_corrupt_chunks
from sarslide.inference.config import PredictConfig
from sarslide.inference.geotiff import RasterGrid, grid_from_cube, read_raster
from sarslide.inference.map_rasters import predict_map_rasters
from sarslide.inference.output_paths import PredictionOutputs
from sarslide.inference.polygons import polygonize_binary_map, write_polygons
from sarslide.inference.predict_scene import (
    NormaliseFn,
    PredictBatchFn,
)
from sarslide.inference.prepare import check_run_settings, prepare_prediction
from sarslide.inference.quicklook import (
    SIMULATED_TITLE,
    classify_errors,
    compute_hillshade,
    plot_error_map,
    plot_probability_quicklook,
)
from sarslide.inference.report import write_report_html
from sarslide.inference.scene_metrics import (
    compute_region_metrics,
    compute_scene_metrics,
    regions_of_scene,
    training_split_for_cube,
)
from sarslide.inference.sinks import BINARY_NODATA
from sarslide.inference.stac_item import ITEM_FILENAME, describe_map, write_map_item
from sarslide.inference.worker_predict import WorkerBlocks, WorkerModelSpec
from sarslide.metrics.bootstrap import DEFAULT_TILE_PX
from sarslide.metrics.undefined import mark_undefined
from sarslide.output_checks import reporting_disk_full
from sarslide.ownership import check_not_input, check_replaceable, claim_output, write_manifest
from sarslide.parallel import use_scheduler

logger = logging.getLogger(__name__)

QUICKLOOK_MAX_PX = 1400
SIMULATED_WARNING = (
    "SIMULATED CUBE: this map is of synthetic data made by 'sarslide cube simulate' "
    "(the cube's 'simulated' attribute), not of a real scene."
)
COMMAND = "predict"  # names the output folder's manifest: --overwrite replaces only these


def predict_to_directory(
    cfg: PredictConfig,
    *,
    cube: xr.Dataset | None = None,
    progress: bool = True,
    overwrite: bool = False,
) -> PredictionOutputs:
    """Predict a whole scene with a trained model and write maps, polygons and a report.

    Args:
        cfg: the checkpoint (it gives the model, its channels, normalisation,
            composite settings and threshold), the cube (projected CRS), the output
            folder and the tiling settings; written to ``config.yaml`` beside the maps.
        cube: an opened ``xr.Dataset`` to map instead of opening ``cfg.cube``.
        progress: show progress bars.
        overwrite: replace an existing ``cfg.output_dir``.

    Returns:
        The paths written (``PredictionOutputs``).

    Raises:
        OutputExistsError: ``cfg.output_dir`` exists and ``overwrite`` is False.
        CubeValidationError: the cube breaks the contract, or its CRS is geographic.
        DataSelectionError: the cube lacks a channel the model was trained on.
        CheckpointError: the checkpoint is missing, corrupt or not from sarslide.
        DeviceError: ``device`` is not on this machine.
    """
    check_run_settings(cfg)  # a bad device, precision or engine fails before reading
    cube_name = None if cube is not None else cfg.cube
    _check_target(cfg.output_path, overwrite, inputs=[cfg.checkpoint, cube_name])
    on_workers = bool(cfg.scheduler_address)  # the workers load the model, not this process
    ready = prepare_prediction(cfg, cube=cube, on_workers=on_workers)
    ds, loaded, bundle, stack = ready.cube, ready.model, ready.model.bundle, ready.stack
    channels, stride_px, tiling = ready.channels, ready.model.size_multiple_px, ready.tiling
    _, normalisation = bundle.chip_inputs()
    given = cfg.threshold is not None
    record = {
        "model_name": bundle.model_name,
        "channels": channels,
        "threshold_source": "given" if given else "checkpoint (chosen on validation)",
        "composites": {k: v for k, v in stack.attrs.items() if k != "long_name"},
        "split_method_of_training": bundle.split_method,
        **loaded.describe(),
    }
    if not on_workers:  # on workers, auto is each worker's own choice
        cfg = cfg.model_copy(update={"batch_size": tiling.batch_size})  # in config.yaml
    shape_px = (int(ds.sizes[cv.DIM_Y]), int(ds.sizes[cv.DIM_X]))
    split_plan, split_source = training_split_for_cube(bundle, cfg.checkpoint, cfg.cube, shape_px)
    record["split_of_this_cube"] = split_source
    predictor = loaded.predict_batch
    return write_prediction_outputs(
        stack,
        predictor,
        ds,
        cfg,
        normalise=normalisation.apply,
        threshold=float(cfg.threshold) if cfg.threshold is not None else bundle.threshold,
        record=record,
        size_multiple_px=stride_px,
        overwrite=overwrite,
        progress=progress,
        split_plan=split_plan,
        same_cube=split_plan is not None or "no split plan" in split_source,
        bootstrap_tile_px=(
            bundle.data_config.chip_size_px if bundle.data_config else DEFAULT_TILE_PX
        ),
        worker_model=WorkerModelSpec(
            str(Path(cfg.checkpoint).expanduser().absolute()),
            engine=cfg.engine,
            device=cfg.device,
            precision=cfg.precision,
        ),
    )


def write_prediction_outputs(
    stack: Any,
    predict_batch: PredictBatchFn,
    cube: xr.Dataset,
    cfg: PredictConfig,
    *,
    normalise: NormaliseFn | None,
    threshold: float,
    record: dict[str, Any] | None = None,
    size_multiple_px: int = 32,
    overwrite: bool = False,
    progress: bool = False,
    split_plan: SplitPlan | None = None,
    same_cube: bool = False,
    bootstrap_tile_px: int = DEFAULT_TILE_PX,
    worker_model: WorkerModelSpec | None = None,
) -> PredictionOutputs:
    """Predict ``stack`` with any ``predict_batch`` and write every output (no checkpoint needed).

    ``cfg`` gives the output folder and the tiling, polygon and figure settings (its
    checkpoint and cube are only recorded); it is written to ``config.yaml``.
    ``record`` (model name, channels, ...) joins it in ``run_config.json`` and the report.
    ``split_plan``: the model's train/val/test split of THIS cube; metrics are then
    given for the held-out test region apart from the pixels it was trained on.
    Without it every pixel is "unseen" (``same_cube`` False) or "split_unknown".
    Each region's metrics carry 95 % intervals from a bootstrap of its tiles of
    ``bootstrap_tile_px`` (the model's chip size).
    With ``cfg.scheduler_address`` and ``worker_model``, the blocks are read and
    predicted on the cluster's workers, each loading ``worker_model`` once
    (``inference.worker_predict``); without ``worker_model`` only the reads go there.
    """
    inputs = [cfg.checkpoint, cfg.cube]
    target = _check_target(cfg.output_path, overwrite, inputs=inputs)
    record = record or {}
    figures = cfg.figures
    grid = grid_from_cube(cube)
    has_labels = cv.VAR_LANDSLIDES in cube.data_vars
    simulated = cv.is_simulated(cube.attrs)
    holes = cube.attrs.get(ATTR_MISSING_CHUNKS)  # chunk files absent, without a record
    with (
        claim_output(target, COMMAND, inputs=inputs, overwrite=overwrite),
        replacing(target) as tmp,
        reporting_disk_full(target),
    ):
        tmp.mkdir()
        write_manifest(tmp, COMMAND)
        paths = PredictionOutputs.in_directory(tmp, has_labels=has_labels, figures=figures)
        start = time.perf_counter()
        tags = {"threshold": str(threshold), "model": str(record.get("model_name", ""))}
        with use_scheduler(cfg.scheduler_address) as client:
            workers = None
            if client is not None and worker_model is not None:
                workers = WorkerBlocks(
                    client, worker_model, worker_batch_size=cfg.batch_size == "auto"
                )
            stats = predict_map_rasters(
                stack,
                predict_batch,
                grid,
                paths.probability_tif,
                paths.binary_tif,
                threshold=threshold,
                tags=tags,
                normalise=normalise,
                tiling=cfg.to_tiling(size_multiple_px=size_multiple_px),
                progress=progress,
                workers=workers,
            )
        probability, _ = read_raster(paths.probability_tif)
        binary, _ = read_raster(paths.binary_tif)
        polygons = polygonize_binary_map(binary, probability, grid, min_area_m2=cfg.min_area_m2)
        write_polygons(polygons, paths.polygons_gpkg)
        write_polygons(polygons, paths.polygons_geojson)
        metrics = None
        if has_labels:
            labels = np.asarray(cube[cv.VAR_LANDSLIDES].values) > cv.LANDSLIDE_POSITIVE_THRESHOLD
            regions = regions_of_scene(split_plan, labels.shape, same_cube=same_cube)
            metrics = {
                "scope": "all valid pixels of the scene; see 'regions' for the held-out "
                "test region apart from the pixels the model was trained on",
                **compute_scene_metrics(labels, probability, threshold),
                "simulated_cube": simulated,
                "regions": compute_region_metrics(
                    labels, probability, threshold, regions, bootstrap_tile_px=bootstrap_tile_px
                ),
            }
            if holes:
                metrics["missing_chunks"] = holes
            metrics = mark_undefined(metrics)
            write_json_atomic(paths.metrics_json, metrics)  # type: ignore[arg-type]
        del probability, binary
        if figures:
            paths = _write_figures_or_warn(paths, cube, grid, threshold, simulated=simulated)
        run = {
            **cfg.model_dump(mode="json"),
            **record,
            "simulated_cube": simulated,
            **({"missing_chunks": holes} if holes else {}),
            "threshold": threshold,
            "n_polygons": len(polygons),
            "prediction": {k: v for k, v in asdict(stats).items() if k != "notes"},
            **_ran_on_workers(stats.notes if workers is not None else None),
            "total_s": time.perf_counter() - start,
        }
        write_json_atomic(paths.config_json, run)
        cfg.write_yaml(paths.config_yaml)
        _write_report(paths, run, metrics)
        description = describe_map(cube, run, cube_href=cfg.cube, model_path=cfg.checkpoint)
        write_map_item(tmp, grid, description, final_folder=target)
    logger.info("wrote prediction outputs to %s", target)
    return paths.moved_to(target)


def _ran_on_workers(notes: dict[str, Any] | None) -> dict[str, Any]:
    """``on_workers`` for ``run_config.json``, and what the workers ran (engine, its
    version, device, precision), which replaces this process's engine setting."""
    if notes is None:
        return {}
    ran = notes.get("model_on_workers", {})
    return {
        **{k: ran[k] for k in ("engine", "engine_version", "device", "precision") if k in ran},
        "on_workers": notes,
    }


def _write_figures_or_warn(
    paths: PredictionOutputs,
    cube: xr.Dataset,
    grid: RasterGrid,
    threshold: float,
    *,
    simulated: bool = False,
) -> PredictionOutputs:
    """The figures; one that fails (a corrupt DEM chunk...) is a warning, not a lost map:
    the rasters and polygons are written by then. Returns the paths actually written."""
    try:
        _write_figures(paths, cube, grid, threshold, simulated=simulated)
    except Exception as err:  # a figure is optional; the map it shows is not lost for it
        reason = describe_corrupt_chunks(err) or f"{type(err).__name__}: {err}"
        logger.warning(
            "the figures could not be made (%s); the map, polygons and metrics are written "
            "without them (pass --no-figures to skip them)",
            " ".join(reason.split())[:400],
        )
        for figure in (paths.quicklook_png, paths.error_map_png):
            if figure is not None:
                figure.unlink(missing_ok=True)
        return dataclasses.replace(paths, quicklook_png=None, error_map_png=None)
    return paths


def _write_figures(
    paths: PredictionOutputs,
    cube: xr.Dataset,
    grid: RasterGrid,
    threshold: float,
    *,
    simulated: bool = False,
) -> None:
    assert paths.quicklook_png is not None  # internal: only called when figures are asked for
    probability, small = read_raster(paths.probability_tif, max_size_px=QUICKLOOK_MAX_PX)
    step = max(1, -(-max(grid.height_px, grid.width_px) // QUICKLOOK_MAX_PX))
    window = {cv.DIM_Y: slice(None, None, step), cv.DIM_X: slice(None, None, step)}
    if cv.VAR_DEM in cube.data_vars:
        dem = np.asarray(cube[cv.VAR_DEM].isel(window).values, dtype=np.float64)
        background, label = compute_hillshade(dem, abs(small.transform.a)), "hillshade"
    else:
        vv = cube[cv.VAR_VV].isel({cv.DIM_TIMESTEP: -1, **window}).values
        background, label = 10 * np.log10(np.maximum(vv, 1e-4)), "last VV acquisition (dB)"
    plot_probability_quicklook(
        probability,
        small,
        paths.quicklook_png,
        background=background,
        background_label=label,
        threshold=threshold,
        simulated=simulated,
    )
    if paths.error_map_png is not None:
        binary, _ = read_raster(paths.binary_tif, max_size_px=QUICKLOOK_MAX_PX)
        labels = np.asarray(cube[cv.VAR_LANDSLIDES].isel(window).values)
        classes = classify_errors(binary, labels, binary != BINARY_NODATA)
        title = f"Errors at threshold {threshold:.2f}"
        plot_error_map(
            classes,
            small,
            paths.error_map_png,
            title=f"{SIMULATED_TITLE}{title}" if simulated else title,
        )


def _write_report(
    paths: PredictionOutputs, run: dict[str, Any], metrics: dict[str, Any] | None
) -> None:
    figures = []
    if paths.quicklook_png is not None:
        figures.append(("Landslide probability", paths.quicklook_png))
    if paths.error_map_png is not None:
        figures.append(("True/false positives and negatives", paths.error_map_png))
    outputs = {
        paths.probability_tif.name: "landslide probability, float32 COG, NaN = nodata",
        paths.binary_tif.name: "binary map at the threshold, uint8 COG (1 landslide, 255 nodata)",
        paths.polygons_gpkg.name: "landslide polygons with area_m2 and mean_probability",
        paths.polygons_geojson.name: "the same polygons as GeoJSON (WGS84 lon/lat, RFC 7946)",
        paths.config_json.name: "this run's configuration, model facts and timings",
        paths.config_yaml.name: "the resolved configuration (sarslide predict --config)",
        ITEM_FILENAME: "STAC Item of this folder (footprint, event window, projection, assets)",
    }
    if metrics is not None:
        outputs["metrics.json"] = (
            "metrics on the whole scene and by region (held-out test vs seen in training)"
        )
    warning = SIMULATED_WARNING if run.get("simulated_cube") else None
    write_report_html(
        paths.report_html,
        title="sarslide landslide map",
        figures=figures,
        metrics={k: v for k, v in metrics.items() if k != "regions"} if metrics else None,
        metric_regions=metrics.get("regions") if metrics else None,
        warning=warning,
        config=run,
        outputs=outputs,
        notes=[
            f"Model {run.get('model_name', '?')} on {run.get('cube', '?')}; "
            f"{run['n_polygons']} landslide polygons at threshold {run['threshold']:.3f}."
        ],
    )


def _check_target(out_dir: str | os.PathLike[str], overwrite: bool, *, inputs: list[Any]) -> Path:
    """Fail early (before loading anything) on an output folder that may not be written."""
    target = Path(out_dir).expanduser()
    check_not_input(target, inputs)
    check_replaceable(target, COMMAND, overwrite=overwrite)
    return target
