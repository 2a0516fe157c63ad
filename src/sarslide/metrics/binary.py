"""Pure, exact binary segmentation metrics on numpy arrays.

Every function takes flat or shaped arrays of labels ``y`` ({0, 1} or bool) and scores
``p`` (probabilities), already restricted to valid pixels (see :func:`select_valid`).
The ranking metrics are exact: they sort once and count with ``searchsorted``, which
gives the same values as scikit-learn's ``average_precision_score`` /
``roc_auc_score`` at a fraction of the time on whole scenes (no binned thresholds).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sarslide.errors import DataSelectionError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RankCounts:
    """Counts at every distinct score threshold, thresholds in descending order.

    ``tp[i]`` and ``predicted_pos[i]`` count pixels with score ``>= thresholds[i]``.
    """

    thresholds: NDArray[np.floating]
    tp: NDArray[np.int64]
    predicted_pos: NDArray[np.int64]
    n_pos: int
    n_total: int


@dataclass(frozen=True)
class PRCurve:
    """Precision and recall at each distinct threshold (descending thresholds)."""

    precision: NDArray[np.float64]
    recall: NDArray[np.float64]
    thresholds: NDArray[np.floating]


@dataclass(frozen=True)
class Confusion:
    """Pixel counts of a thresholded prediction."""

    tp: int
    fp: int
    fn: int
    tn: int

    def to_dict(self) -> dict[str, int]:
        """Plain dict (JSON-ready)."""
        return asdict(self)


@dataclass(frozen=True)
class ThresholdChoice:
    """A threshold chosen on one split and the metric value it reached there."""

    threshold: float
    metric: str
    score: float


def _as_flat(y: ArrayLike, p: ArrayLike) -> tuple[NDArray[np.bool_], NDArray[np.floating]]:
    y_arr = np.asarray(y).reshape(-1)
    p_arr = np.asarray(p).reshape(-1)
    if y_arr.shape != p_arr.shape:
        raise DataSelectionError(
            f"Labels and scores differ in size: {y_arr.size} labels, {p_arr.size} scores."
        )
    if p_arr.size and np.isnan(p_arr).any():
        raise DataSelectionError(
            "Scores contain NaN; drop nodata pixels first (select_valid(labels, scores))."
        )
    if not np.issubdtype(p_arr.dtype, np.floating):
        p_arr = p_arr.astype(np.float64)
    return y_arr.astype(bool, copy=False), p_arr


def select_valid(
    labels: ArrayLike, scores: ArrayLike, *, ignore_index: int | None = 255
) -> tuple[NDArray[np.bool_], NDArray[np.floating]]:
    """Flatten and keep pixels whose score is finite and whose label is not ignored."""
    y = np.asarray(labels).reshape(-1)
    p = np.asarray(scores).reshape(-1)
    keep = np.isfinite(p)
    if ignore_index is not None:
        keep &= y != ignore_index
    return y[keep].astype(bool), p[keep]


def compute_rank_counts(y: ArrayLike, p: ArrayLike) -> RankCounts:
    """Count true and predicted positives at every distinct score, exactly."""
    y_arr, p_arr = _as_flat(y, p)
    sorted_all = np.sort(p_arr)
    sorted_pos = np.sort(p_arr[y_arr])
    n_total, n_pos = sorted_all.size, sorted_pos.size
    if n_total == 0:
        empty = np.zeros(0, dtype=np.int64)
        return RankCounts(sorted_all, empty, empty, 0, 0)
    # Distinct thresholds, descending; each is the first index of its run in sorted_all.
    starts = np.flatnonzero(np.r_[True, sorted_all[1:] != sorted_all[:-1]])[::-1]
    thresholds = sorted_all[starts]
    predicted_pos = (n_total - starts).astype(np.int64)
    tp = (n_pos - np.searchsorted(sorted_pos, thresholds, side="left")).astype(np.int64)
    return RankCounts(thresholds, tp, predicted_pos, n_pos, n_total)


def compute_auprc(y: ArrayLike, p: ArrayLike) -> float:
    """Average precision, exact (equals scikit-learn's ``average_precision_score``).

    Returns 0.0 when there are no positives (as scikit-learn does) and logs a warning.
    """
    return auprc_from_counts(compute_rank_counts(y, p))


def auprc_from_counts(counts: RankCounts) -> float:
    """Average precision from :class:`RankCounts` (however they were counted)."""
    if counts.n_pos == 0:
        logger.warning("AUPRC of %d pixels with no positives is undefined; 0.0", counts.n_total)
        return 0.0
    precision = counts.tp / counts.predicted_pos
    recall = counts.tp / counts.n_pos
    recall_gain = np.diff(np.r_[0.0, recall])
    return float(np.sum(recall_gain * precision))


def compute_auroc(y: ArrayLike, p: ArrayLike) -> float:
    """Area under the ROC curve, exact with ties counted half (Mann-Whitney U).

    Returns NaN (and logs a warning) when only one class is present.
    """
    y_arr, p_arr = _as_flat(y, p)
    sorted_all = np.sort(p_arr)
    sorted_pos = np.sort(p_arr[y_arr])
    n_pos = sorted_pos.size
    n_neg = sorted_all.size - n_pos
    if n_pos == 0 or n_neg == 0:
        logger.warning("AUROC needs both classes (%d pos, %d neg); NaN", n_pos, n_neg)
        return float("nan")
    all_left = np.searchsorted(sorted_all, sorted_pos, side="left")
    all_right = np.searchsorted(sorted_all, sorted_pos, side="right")
    pos_left = np.searchsorted(sorted_pos, sorted_pos, side="left")
    pos_right = np.searchsorted(sorted_pos, sorted_pos, side="right")
    neg_below = all_left - pos_left
    neg_equal = (all_right - all_left) - (pos_right - pos_left)
    wins = neg_below.sum(dtype=np.float64) + 0.5 * neg_equal.sum(dtype=np.float64)
    return float(wins / (n_pos * n_neg))


def compute_pr_curve(y: ArrayLike, p: ArrayLike) -> PRCurve:
    """Precision and recall at every distinct threshold (descending thresholds)."""
    counts = compute_rank_counts(y, p)
    precision = counts.tp / np.maximum(counts.predicted_pos, 1)
    recall = counts.tp / counts.n_pos if counts.n_pos else np.ones_like(precision)
    return PRCurve(precision.astype(np.float64), recall.astype(np.float64), counts.thresholds)


def compute_confusion(y: ArrayLike, p: ArrayLike, threshold: float) -> Confusion:
    """Confusion counts of ``p >= threshold`` against ``y``."""
    y_arr, p_arr = _as_flat(y, p)
    predicted = p_arr >= threshold
    tp = int(np.count_nonzero(predicted & y_arr))
    fp = int(np.count_nonzero(predicted)) - tp
    fn = int(np.count_nonzero(y_arr)) - tp
    tn = int(y_arr.size) - tp - fp - fn
    return Confusion(tp, fp, fn, tn)


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den else 0.0


def compute_precision(c: Confusion) -> float:
    """TP / (TP + FP); 0 when nothing is predicted positive."""
    return _ratio(c.tp, c.tp + c.fp)


def compute_recall(c: Confusion) -> float:
    """TP / (TP + FN); 0 when there are no positives."""
    return _ratio(c.tp, c.tp + c.fn)


def compute_f1(c: Confusion) -> float:
    """2 TP / (2 TP + FP + FN); equals the Dice coefficient for binary masks."""
    return _ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn)


def compute_dice(c: Confusion) -> float:
    """Dice coefficient of the binary masks (same value as F1)."""
    return compute_f1(c)


def compute_iou(c: Confusion) -> float:
    """TP / (TP + FP + FN) (Jaccard index)."""
    return _ratio(c.tp, c.tp + c.fp + c.fn)


THRESHOLD_METRICS = ("f1", "iou")


def select_threshold(y_val: ArrayLike, p_val: ArrayLike, *, metric: str = "f1") -> ThresholdChoice:
    """Threshold maximising ``metric`` ('f1' or 'iou') on validation pixels, exactly.

    Every distinct score is a candidate; ties keep the highest threshold.

    Raises:
        DataSelectionError: Unknown metric or no validation pixels.
    """
    if metric not in THRESHOLD_METRICS:
        raise DataSelectionError(f"Unknown threshold {metric=}; use one of {THRESHOLD_METRICS}.")
    counts = compute_rank_counts(y_val, p_val)
    if counts.n_total == 0:
        raise DataSelectionError("Cannot choose a threshold: no valid validation pixels.")
    if counts.n_pos == 0:
        logger.warning("Validation has no positives; threshold 0.5 chosen by default")
        return ThresholdChoice(0.5, metric, 0.0)
    tp = counts.tp.astype(np.float64)
    fp = counts.predicted_pos - tp
    fn = counts.n_pos - tp
    scores = 2 * tp / (2 * tp + fp + fn) if metric == "f1" else tp / (tp + fp + fn)
    best = int(np.argmax(scores))
    return ThresholdChoice(float(counts.thresholds[best]), metric, float(scores[best]))


def compute_positive_rate(y: ArrayLike) -> float:
    """Fraction of positive labels: the AUPRC of a random (no-skill) classifier."""
    y_arr = np.asarray(y).reshape(-1)
    return float(np.count_nonzero(y_arr) / y_arr.size) if y_arr.size else 0.0
