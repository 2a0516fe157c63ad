"""Pure metrics and thresholds: the leaf every task scores with (numpy and scipy only).

``binary`` (exact AUPRC/AUROC, confusion counts, F1/IoU/Dice, threshold selection on
validation), ``thresholds`` (metrics of a thresholded map with its baseline),
``distances`` (Hausdorff, HD95) and ``bootstrap`` (spatial block bootstrap intervals).
Used by ``training``, ``evaluation``, ``inference``, ``experiments`` and ``insar``;
imports nothing else from sarslide but ``errors``.
"""

from sarslide.metrics.binary import (
    Confusion,
    PRCurve,
    ThresholdChoice,
    compute_auprc,
    compute_auroc,
    compute_confusion,
    compute_dice,
    compute_f1,
    compute_iou,
    compute_positive_rate,
    compute_pr_curve,
    compute_precision,
    compute_recall,
    select_threshold,
    select_valid,
)
from sarslide.metrics.thresholds import SplitMetrics, apply_threshold, compute_split_metrics

__all__ = [
    "Confusion",
    "PRCurve",
    "SplitMetrics",
    "ThresholdChoice",
    "apply_threshold",
    "compute_auprc",
    "compute_auroc",
    "compute_confusion",
    "compute_dice",
    "compute_f1",
    "compute_iou",
    "compute_positive_rate",
    "compute_pr_curve",
    "compute_precision",
    "compute_recall",
    "compute_split_metrics",
    "select_threshold",
    "select_valid",
]
