"""Evaluation: exact pure metrics, validation thresholds, checkpoint evaluation, reports.

``metrics`` and ``thresholds`` need only numpy; ``evaluate_checkpoint`` imports torch.
"""

from sarslide.evaluation.metrics import (
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
from sarslide.evaluation.thresholds import SplitMetrics, apply_threshold, compute_split_metrics

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
    "evaluate_checkpoint",
    "select_threshold",
    "select_valid",
]


def evaluate_checkpoint(*args, **kwargs):  # type: ignore[no-untyped-def]
    """See :func:`sarslide.evaluation.evaluate.evaluate_checkpoint` (imports torch)."""
    from sarslide.evaluation.evaluate import evaluate_checkpoint as run

    return run(*args, **kwargs)
