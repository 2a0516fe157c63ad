"""A landslide map without a model: the log-ratio change of backscatter around the event.

What a responder has in the first hours, before any model is trained for the region:
per pixel, the change of the log10 composites of the k acquisitions on each side of
the event (``sarslide.chips.log_ratio``, ``abs`` sign: landslides raise or lower
backscatter), summed over VV and VH:

    s = |log10(VV_after / VV_before)| + |log10(VH_after / VH_before)|   (0.1 = 1 dB)

mapped to a probability-like score ``p = s / (s + s0)``, ``s0 = change_db / 10``, so
``p = 0.5`` (the default threshold of the binary map) is a combined change of
``change_db`` dB (default 3 dB, a usual change-detection level for Sentinel-1). The
outputs are predict's, written by the same writer (``write_prediction_outputs``):
score and binary COGs, polygons, quicklook, report, STAC item, and ``metrics.json``
only when the cube has labels.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from sarslide import conventions as cv
from sarslide.chips import DataConfig, build_composite_stack
from sarslide.chips.log_ratio import compute_log_ratio_score
from sarslide.datacube import open_cube
from sarslide.inference.config import LogRatioMapConfig, PredictConfig, PredictOptions
from sarslide.inference.output_paths import PredictionOutputs
from sarslide.inference.outputs import write_prediction_outputs

logger = logging.getLogger(__name__)

BASELINE_NAME = "log-ratio baseline (no model)"


def score_to_probability(score: np.ndarray, change_db: float) -> np.ndarray:
    """``s / (s + change_db / 10)``: 0 for no change, 0.5 at ``change_db``, towards 1."""
    scale = np.float32(change_db / 10.0)
    score = np.asarray(score, dtype=np.float32)
    return score / (score + scale)


def map_log_ratio(
    cfg: LogRatioMapConfig, *, overwrite: bool = False, progress: bool = True
) -> PredictionOutputs:
    """Write the log-ratio map of ``cfg.cube`` into ``cfg.output_dir`` (predict's outputs).

    Raises:
        DataSelectionError: the cube lacks the polarisations or k acquisitions on a side.
        OutputExistsError: the folder exists (without ``overwrite``).
    """
    ds = open_cube(cfg.cube, task="mapping")
    pols = cfg.polarisations.split("+")
    channels = [f"{p}_{side}" for p in pols for side in ("before", "after")]
    data = DataConfig.model_validate(
        {
            "cube": cfg.cube,
            "channels": channels,
            "timesteps_k": cfg.timesteps_k,
            "event_start": cfg.event_start,
            "event_end": cfg.event_end,
        }
    )
    stack = build_composite_stack(ds, data)
    names = [str(c) for c in stack[cv.DIM_CHANNEL].values]

    def predict_batch(batch: np.ndarray) -> np.ndarray:
        composites = {name: batch[:, i] for i, name in enumerate(names)}
        score = compute_log_ratio_score(composites, polarisations=cfg.polarisations)
        return score_to_probability(score, cfg.change_db)

    threshold = 0.5 if cfg.threshold is None else float(cfg.threshold)
    settings = PredictConfig(
        **{name: getattr(cfg, name) for name in PredictOptions.model_fields},
        checkpoint="log-ratio",
        cube=cfg.cube,
        output_dir=cfg.output_dir,
        event_start=cfg.event_start,
        event_end=cfg.event_end,
        scheduler_address=cfg.scheduler_address,
    )
    record: dict[str, Any] = {
        "model_name": BASELINE_NAME,
        "channels": names,
        "threshold_source": "given"
        if cfg.threshold is not None
        else (f"0.5 = a combined change of {cfg.change_db:g} dB"),
        "log_ratio": {
            "score": "sum over polarisations of |log10 after/before| (k-acquisition means)",
            "probability": f"s / (s + {cfg.change_db / 10:g})",
            "change_db": cfg.change_db,
            "timesteps_k": cfg.timesteps_k,
        },
        "composites": {k: v for k, v in stack.attrs.items() if k != "long_name"},
    }
    logger.info("log-ratio map of %s (k=%d, %s)", cfg.cube, cfg.timesteps_k, cfg.polarisations)
    return write_prediction_outputs(
        stack,
        predict_batch,
        ds,
        settings,
        normalise=None,
        threshold=threshold,
        record=record,
        size_multiple_px=1,
        overwrite=overwrite,
        progress=progress,
    )
