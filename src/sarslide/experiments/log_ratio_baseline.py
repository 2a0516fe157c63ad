"""The non-learned baseline: pixel-wise log ratio of post- vs pre-event backscatter.

Score = change of the log10 composites (``<pol>_after - <pol>_before``, the mean of
the log10 of the k acquisitions on each side, from ``sarslide.chips``), summed over
the chosen polarisations. Landslides can raise backscatter (rough debris, new
slopes facing the sensor) or lower it (smooth deposits, shadow), so the direction is
a setting: ``abs`` scores ``sum |log ratio|``, ``increase`` ``sum log ratio``,
``decrease`` ``-sum log ratio``, and ``auto`` (default) picks the one with the best
AUPRC on the validation region. Pixels flatter than ``slope_min_deg`` get the lowest
score (landslides need slopes).

It is scored exactly like the learned models: on the same test chips and the same
whole test region of the same split plan, AUPRC (exact), AUROC, and F1 at the
threshold that maximises F1 on the validation region.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from sarslide import conventions as cv
from sarslide.atomic import write_text_atomic
from sarslide.chips import DataConfig, build_chip_splits, load_data_config, make_composites
from sarslide.chips.chipping import to_binary_labels
from sarslide.chips.config import read_data_section
from sarslide.chips.log_ratio import SIGNS, compute_log_ratio_score
from sarslide.datacube import open_cube
from sarslide.errors import DataSelectionError
from sarslide.experiments.config import AblationConfig, LogRatioSettings
from sarslide.experiments.records import LogRatioResult, flatten_interval
from sarslide.metrics.binary import (
    compute_auprc,
    compute_auroc,
    compute_confusion,
    compute_f1,
    compute_positive_rate,
    select_threshold,
    select_valid,
)
from sarslide.metrics.bootstrap import (
    bootstrap_block_intervals,
    chip_block_ids,
    tile_block_ids,
)

logger = logging.getLogger(__name__)


def score_log_ratio(
    cube: xr.Dataset,
    data: DataConfig | dict[str, Any],
    settings: LogRatioSettings | None = None,
) -> LogRatioResult:
    """Score the log-ratio baseline on the test chips and whole test region of ``data``.

    The chips and split come from ``build_chip_splits`` with the same data config as
    the learned runs (its channels replaced by SAR composites and the slope), so the
    test chips and regions are the same ones.
    """
    settings = settings or LogRatioSettings()
    cfg = load_data_config(data)
    pols = settings.polarisations.split("+")
    channels = [f"{p}_{side}" for p in pols for side in ("before", "after")]
    if settings.slope_min_deg is not None:
        check_slope_usable(cube, settings.slope_min_deg)
        channels.append(cv.VAR_DEM_SLOPE)
    cfg = cfg.model_copy(update={"channels": channels})
    splits = build_chip_splits(cfg, cube=cube)
    scene = make_composites(cube, cfg, variables=tuple(pols))
    scene_layers = {str(name): scene[name].values for name in scene.data_vars}
    slope = (
        cube[cv.VAR_DEM_SLOPE].transpose(*cv.SPATIAL_DIMS).values
        if settings.slope_min_deg is not None
        else None
    )
    labels = to_binary_labels(cube[cv.VAR_LANDSLIDES].transpose(*cv.SPATIAL_DIMS).values)
    shape = labels.shape
    val_mask = splits.plan.region_mask("val", shape)
    test_mask = splits.plan.region_mask("test", shape)

    def scene_score(sign: str) -> np.ndarray:
        return compute_log_ratio_score(
            scene_layers,
            polarisations=settings.polarisations,
            sign=sign,
            slope_rad=slope,
            slope_min_deg=settings.slope_min_deg,
        )

    signs = SIGNS if settings.sign == "auto" else (settings.sign,)
    scores = {sign: scene_score(sign) for sign in signs}
    val_auprc = {
        s: compute_auprc(*select_valid(labels[val_mask], scores[s][val_mask])) for s in signs
    }
    sign = max(signs, key=lambda s: (val_auprc[s], -signs.index(s)))
    if settings.sign == "auto":
        logger.info("log-ratio sign chosen on validation: %s (val AUPRC %s)", sign, val_auprc)
    score = scores[sign]
    threshold = select_threshold(*select_valid(labels[val_mask], score[val_mask])).threshold

    test = splits.test
    chip_layers = {name: test.inputs[:, i] for i, name in enumerate(test.channel_names)}
    chip_score = compute_log_ratio_score(
        chip_layers,
        polarisations=settings.polarisations,
        sign=sign,
        slope_rad=chip_layers.get(cv.VAR_DEM_SLOPE),
        slope_min_deg=settings.slope_min_deg,
    )
    rows, cols = np.nonzero(test_mask)  # row-major, as labels[test_mask]
    region_blocks = tile_block_ids(rows, cols, cfg.chip_size_px)
    chip_blocks = chip_block_ids(test.origins_px, test.labels.shape, cfg.chip_size_px)
    metrics = {
        **_score(test.labels, chip_score, threshold, "chips", chip_blocks),
        **_score(labels[test_mask], score[test_mask], threshold, "region", region_blocks),
    }
    return LogRatioResult(
        timesteps_k=cfg.timesteps_k,
        polarisations=settings.polarisations,
        sign=sign,
        slope_min_deg=settings.slope_min_deg,
        threshold=float(threshold),
        metrics=metrics,
    )


def check_slope_usable(cube: xr.Dataset, slope_min_deg: float) -> None:
    """Refuse a slope mask that would leave nothing: no slope, or nothing steep enough.

    Without this, a slope that is all NaN (a DEM that missed the AOI) drops every chip
    and the error blames the split settings.

    Raises:
        DataSelectionError: the cube has no finite slope, or no pixel as steep as
            ``slope_min_deg`` (with the steepest slope found and the fix).
    """
    fix = "or set log_ratio.slope_min_deg: null to score without the slope mask."
    if cv.VAR_DEM_SLOPE not in cube.data_vars:
        raise DataSelectionError(
            f"The log-ratio slope mask (slope_min_deg={slope_min_deg}) needs "
            f"{cv.VAR_DEM_SLOPE!r}, which the cube lacks; use a cube with a DEM, {fix}"
        )
    slope = np.asarray(cube[cv.VAR_DEM_SLOPE].values, dtype=np.float64)
    finite = np.isfinite(slope)
    if not finite.any():
        raise DataSelectionError(
            f"The log-ratio slope mask (slope_min_deg={slope_min_deg}) has no usable slope: "
            f"{cv.VAR_DEM_SLOPE!r} is NaN everywhere (the cube's DEM does not cover its "
            f"area); rebuild the cube with a DEM that covers the AOI, {fix}"
        )
    steepest = float(np.degrees(slope[finite].max()))
    if steepest < slope_min_deg:
        raise DataSelectionError(
            f"The log-ratio slope mask removes every pixel: the steepest slope is "
            f"{steepest:.2f} deg, below slope_min_deg={slope_min_deg}; lower slope_min_deg, "
            f"{fix}"
        )


def score_log_ratio_for_ablation(
    cfg: AblationConfig, train: dict[str, Any], k: int
) -> LogRatioResult:
    """The baseline for one k of an ablation, on the base training config's data."""
    data = dict(train["data"])
    data["timesteps_k"] = k
    cube = open_cube(data["cube"], task="detection")
    return score_log_ratio(cube, data, cfg.log_ratio)


def score_log_ratio_baseline(
    train_config: str | Path,
    settings: LogRatioSettings | None = None,
    *,
    cube: str | None = None,
    timesteps_k: Sequence[int] | None = None,
    overrides: list[str] | None = None,
) -> list[LogRatioResult]:
    """The baseline on the data of a training config, once per number of timesteps
    (default: the ablation's); ``cube`` replaces ``data.cube``, ``overrides`` are
    ``--set`` strings of training-config keys (``sarslide baseline log-ratio``)."""
    data = read_data_section(train_config, cube=cube, overrides=overrides)
    opened = open_cube(data["cube"], task="detection")
    ks = timesteps_k or AblationConfig.field_default("timesteps_k")
    return [score_log_ratio(opened, {**data, "timesteps_k": k}, settings) for k in ks]


def write_log_ratio_results(
    results: Sequence[LogRatioResult], path: str | os.PathLike[str]
) -> Path:
    """The results as a JSON list, written atomically."""
    text = json.dumps([r.model_dump(mode="json") for r in results], indent=2)
    return write_text_atomic(Path(path), text + "\n")


def _score(
    labels: np.ndarray, scores: np.ndarray, threshold: float, where: str, blocks: np.ndarray
) -> dict[str, float]:
    """The runs' metric keys, with the AUPRC's bootstrap interval (blocks: one per pixel)."""
    y, p = select_valid(labels, scores)
    keep = np.isfinite(scores.reshape(-1)) & (labels.reshape(-1) != 255)
    intervals = (
        bootstrap_block_intervals(y, p, blocks.reshape(-1)[keep], threshold=threshold).to_dict()
        if y.size
        else None
    )
    return {
        f"auprc_{where}": compute_auprc(y, p),
        f"auroc_{where}": compute_auroc(y, p),
        f"f1_{where}": compute_f1(compute_confusion(y, p, threshold)),
        f"baseline_auprc_{where}": compute_positive_rate(y),
        **flatten_interval(intervals, where),
    }
