"""Evaluate a checkpoint on the test chips AND on every pixel of the test region.

The threshold is the one chosen on the validation split at training time (stored in
the checkpoint) and is only applied here. The split is rebuilt from the data config
stored in the checkpoint (seeded, so identical) and compared with the stored plan.
Every number is labelled with the split method it came from.
"""

from __future__ import annotations

import logging

import numpy as np
import xarray as xr

from sarslide import conventions as cv
from sarslide.chips import build_chip_splits, build_composite_stack
from sarslide.chips.normalisation import standardise_chips
from sarslide.datacube import open_cube
from sarslide.datacube.resolution import METADATA_KEY as RESOLUTION_KEY
from sarslide.datacube.resolution import check_model_resolution
from sarslide.devices import resolve_device
from sarslide.errors import DataSelectionError
from sarslide.evaluation.config import CONFIG_FILENAME, EvaluateConfig
from sarslide.evaluation.report import write_report
from sarslide.evaluation.result import EvaluationResult
from sarslide.inference.config import TilingOptions
from sarslide.inference.map_rasters import resolve_tiling
from sarslide.inference.predict_scene import predict_array
from sarslide.metrics.binary import compute_auprc, compute_pr_curve, select_valid
from sarslide.metrics.bootstrap import chip_block_ids, tile_block_ids
from sarslide.metrics.thresholds import compute_split_metrics
from sarslide.models.checkpoints import ModelBundle
from sarslide.models.engines import InferenceModel, load_inference_model
from sarslide.models.training_cube import resolve_training_cube
from sarslide.ownership import check_folder_reusable, hold_lock, write_manifest

logger = logging.getLogger(__name__)
EVALUATE_COMMAND = "evaluate"  # named in the output folder's manifest


def cap_region_overlap(options: TilingOptions) -> TilingOptions:
    """The overlap capped at a quarter tile (a small ``--tile-size`` alone works); the
    tile size itself is checked as ``predict`` checks it, never rounded."""
    cap = options.tile_size_px // 4
    return options.model_copy(update={"overlap_px": min(options.overlap_px, cap)})


def predict_region(
    loaded: InferenceModel,
    cube: xr.Dataset,
    *,
    bundle: ModelBundle | None = None,
    options: TilingOptions | None = None,
    progress: bool = False,
) -> np.ndarray:
    """Probability over the whole scene (NaN at nodata) with the tiled scene predictor.

    ``options`` (default ``TilingOptions()``): the tiling, refused as ``predict`` refuses
    it (a tile that is not a multiple of the model's stride...), the overlap capped at a
    quarter tile; the device, precision and
    engine are the loaded model's (``options``' own are not read here). ``bundle``: the
    channels and composite settings to use (default: the model's own; a multi-event
    model passes one event's).
    """
    options = options or TilingOptions()
    bundle = bundle or loaded.bundle
    data_config, normalisation = bundle.chip_inputs()
    stack = build_composite_stack(cube, data_config)
    names = [str(c) for c in stack.coords[stack.dims[0]].values]
    if names != list(bundle.channel_names):
        raise DataSelectionError(
            f"The cube gives channels {names}, the model was trained on "
            f"{bundle.channel_names}; evaluate on a cube with the same variables."
        )
    stride = loaded.size_multiple_px
    options = cap_region_overlap(options)
    tiling = resolve_tiling(options, loaded, n_channels=len(names), size_multiple_px=stride)
    return predict_array(
        stack,
        loaded.predict_batch,
        tiling=tiling,
        normalise=lambda values: normalisation.apply(values, channel_axis=0),
        progress=progress,
    )


def evaluate_checkpoint(
    cfg: EvaluateConfig, *, cube: xr.Dataset | None = None, progress: bool = False
) -> EvaluationResult:
    """Evaluate a trained checkpoint; write ``metrics.json``, ``summary.md``, PR curve
    and the resolved ``config.yaml`` into ``cfg.output_path``.

    Args:
        cfg: The checkpoint, cube, split, output folder and region settings.
        cube: An opened cube to use instead of ``cfg.cube`` (tests, notebooks).
        progress: Progress bars.

    Raises:
        CheckpointError: Bad checkpoint. DataSelectionError: cube/channels mismatch.
        DeviceError: ``device`` is not on this machine.
    """
    checkpoint, split = cfg.checkpoint, cfg.split
    out = cfg.output_path
    check_folder_reusable(out, EVALUATE_COMMAND, inputs=[checkpoint, cfg.cube])
    torch_device = resolve_device(cfg.device)
    loaded = load_inference_model(
        checkpoint, engine=cfg.engine, device=torch_device, precision=cfg.precision
    )
    bundle = loaded.bundle
    data_config, normalisation = bundle.chip_inputs()
    if cfg.whole_region:  # the tiles predict refuses are refused here too, before any chip
        cap_region_overlap(cfg).to_tiling(size_multiple_px=loaded.size_multiple_px).check()
    if data_config.events or data_config.cube is None:
        raise DataSelectionError(
            f"{str(checkpoint)!r} was trained on several events "
            f"({data_config.event_names}); 'sarslide evaluate CHECKPOINT' (without --cube) "
            "scores it per event, as sarslide.evaluate does."
        )
    if cube is not None:
        cube_name = cfg.cube or data_config.cube
    else:
        cube_name = cfg.cube or str(
            resolve_training_cube(checkpoint, data_config.cube, bundle.extra)
        )
        cube = open_cube(cube_name)
    check_model_resolution(
        bundle.extra.get(RESOLUTION_KEY),
        cube,
        allow_mismatch=cfg.allow_resolution_mismatch,
        fix="Evaluate on a cube at the model's pixel size",
    )
    splits = build_chip_splits(data_config, cube=cube, progress=progress)
    notes = []
    if bundle.split_plan is not None and splits.plan.to_json() != bundle.split_plan.to_json():
        notes.append("the rebuilt split plan differs from the one stored at training")
        logger.warning("Rebuilt split plan differs from the checkpoint's; numbers may leak")
    if splits.channel_names != bundle.channel_names:
        raise DataSelectionError(
            f"Chips have channels {splits.channel_names}; the model expects {bundle.channel_names}."
        )

    tile_px = data_config.chip_size_px  # the bootstrap's unit: one chip, one region tile

    def chip_scores(name: str) -> tuple[np.ndarray, np.ndarray, int, np.ndarray]:
        chips = splits.get(name)
        x, y = standardise_chips(chips, normalisation)
        p = loaded.predict(x)
        blocks = chip_block_ids(chips.origins_px, np.shape(y), tile_px)
        keep = np.isfinite(p.reshape(-1)) & (y.reshape(-1) != 255)
        labels, scores = select_valid(y, p)
        return labels, scores, len(chips), blocks[keep]

    y_chips, p_chips, n_chips, chip_blocks = chip_scores(split)
    chip_metrics = compute_split_metrics(
        y_chips, p_chips, threshold=bundle.threshold, block_ids=chip_blocks, tile_px=tile_px
    )
    val_auprc = None
    if split != "val":
        y_val, p_val, _, _ = chip_scores("val")
        val_auprc = compute_auprc(y_val, p_val) if y_val.any() else None
    curves = {f"{split} chips": compute_pr_curve(y_chips, p_chips)}
    baselines = {f"{split} chips": chip_metrics.baseline_auprc}

    region_metrics = None
    if cfg.whole_region:
        probability = predict_region(loaded, cube, options=cfg, progress=progress)
        labels = np.asarray(cube[cv.VAR_LANDSLIDES].transpose(*cv.SPATIAL_DIMS).values) > 0
        region = splits.plan.region_mask(split, probability.shape)
        valid = region & np.isfinite(probability)
        rows, cols = np.nonzero(valid)
        region_metrics = compute_split_metrics(
            labels[valid],
            probability[valid],
            threshold=bundle.threshold,
            block_ids=tile_block_ids(rows, cols, tile_px),
            tile_px=tile_px,
        )
        curves[f"{split} region"] = compute_pr_curve(labels[valid], probability[valid])
        baselines[f"{split} region"] = region_metrics.baseline_auprc

    result = EvaluationResult(
        checkpoint=str(checkpoint),
        model_name=bundle.model_name,
        channel_names=list(bundle.channel_names),
        split=split,
        split_method=bundle.split_method,
        threshold=bundle.threshold,
        threshold_source=str(bundle.extra.get("threshold_source", "validation")),
        chips=chip_metrics,
        region=region_metrics,
        val_chips_auprc=val_auprc,
        n_chips=n_chips,
        notes=notes,
        engine=loaded.describe(),
    )
    with hold_lock(out, EVALUATE_COMMAND):
        check_folder_reusable(out, EVALUATE_COMMAND)
        write_report(result, curves, baselines, out)
        resolved = cfg.model_copy(update={"cube": str(cube_name), "output_dir": str(out)})
        result.paths["config_yaml"] = str(resolved.write_yaml(out / CONFIG_FILENAME))
        write_manifest(out, EVALUATE_COMMAND)
    return result
