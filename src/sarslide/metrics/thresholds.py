"""Metrics of a thresholded probability map; the threshold comes from validation."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from sarslide.metrics.binary import (
    compute_auprc,
    compute_auroc,
    compute_confusion,
    compute_f1,
    compute_iou,
    compute_positive_rate,
    compute_precision,
    compute_recall,
)
from sarslide.metrics.bootstrap import DEFAULT_RESAMPLES, bootstrap_block_intervals


@dataclass(frozen=True)
class SplitMetrics:
    """Every number of one evaluation set (e.g. the test chips or the test region).

    ``baseline_auprc`` is the positive rate: the AUPRC of a no-skill classifier.
    ``intervals``: 95 % spatial block bootstrap intervals of AUPRC, AUROC, F1 and IoU
    (:meth:`sarslide.metrics.bootstrap.BootstrapIntervals.to_dict`), when blocks were given.
    """

    n_pixels: int
    n_positive: int
    baseline_auprc: float
    auprc: float
    auroc: float
    threshold: float
    precision: float
    recall: float
    f1: float
    iou: float
    confusion: dict[str, int]
    intervals: dict[str, Any] | None = field(default=None)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (JSON-ready)."""
        return asdict(self)


def compute_split_metrics(
    y: ArrayLike,
    p: ArrayLike,
    *,
    threshold: float,
    block_ids: ArrayLike | None = None,
    tile_px: int | None = None,
    n_resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> SplitMetrics:
    """Ranking metrics and thresholded metrics of valid pixels ``y`` (bool) and ``p``.

    With ``block_ids`` (the spatial block of each pixel, tiles of ``tile_px``, which is
    recorded), also their 95 % block bootstrap intervals (``n_resamples`` resamples,
    seeded by ``seed``).
    """
    y_arr = np.asarray(y).reshape(-1).astype(bool)
    p_arr = np.asarray(p).reshape(-1)
    confusion = compute_confusion(y_arr, p_arr, threshold)
    intervals = None
    if block_ids is not None and y_arr.size:
        intervals = bootstrap_block_intervals(
            y_arr, p_arr, block_ids, threshold=threshold, n_resamples=n_resamples, seed=seed
        ).to_dict()
        intervals["tile_px"] = tile_px
    return SplitMetrics(
        n_pixels=int(y_arr.size),
        n_positive=int(np.count_nonzero(y_arr)),
        baseline_auprc=compute_positive_rate(y_arr),
        auprc=compute_auprc(y_arr, p_arr),
        auroc=compute_auroc(y_arr, p_arr),
        threshold=float(threshold),
        precision=compute_precision(confusion),
        recall=compute_recall(confusion),
        f1=compute_f1(confusion),
        iou=compute_iou(confusion),
        confusion=confusion.to_dict(),
        intervals=intervals,
    )


def apply_threshold(probability: np.ndarray, threshold: float, *, nodata: int = 255) -> np.ndarray:
    """uint8 map: 1 where ``probability >= threshold``, 0 below, ``nodata`` where NaN."""
    out = (probability >= threshold).astype(np.uint8)
    out[~np.isfinite(probability)] = nodata
    return out
