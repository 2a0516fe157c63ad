"""Pure metric functions, checked against scikit-learn on random data."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import (
    average_precision_score,
    f1_score,
    jaccard_score,
    precision_recall_curve,
    precision_score,
    recall_score,
    roc_auc_score,
)

from sarslide.errors import DataSelectionError
from sarslide.metrics.binary import (
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


def random_case(seed: int, n: int, *, ties: bool) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.random(n) < 0.2
    p = np.clip(rng.normal(0.35 + 0.3 * y, 0.2), 0, 1)
    if ties:
        p = np.round(p, 1)  # many tied scores across classes
    return y, p.astype(np.float32)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("ties", [False, True])
def test_auprc_and_auroc_match_sklearn(seed: int, ties: bool) -> None:
    y, p = random_case(seed, 5000, ties=ties)
    assert compute_auprc(y, p) == pytest.approx(average_precision_score(y, p), rel=1e-12)
    assert compute_auroc(y, p) == pytest.approx(roc_auc_score(y, p), rel=1e-12)


def test_pr_curve_matches_sklearn() -> None:
    y, p = random_case(3, 2000, ties=True)
    ours = compute_pr_curve(y, p)
    precision, recall, thresholds = precision_recall_curve(y, p)
    # sklearn: ascending thresholds with a final (1, 0) point; ours: descending.
    np.testing.assert_allclose(ours.thresholds[::-1], thresholds)
    np.testing.assert_allclose(ours.precision[::-1], precision[:-1])
    np.testing.assert_allclose(ours.recall[::-1], recall[:-1])


@pytest.mark.filterwarnings("ignore:No positive class found in y_true:UserWarning")
def test_all_negative_edge_cases() -> None:
    y = np.zeros(100, dtype=bool)
    p = np.linspace(0, 1, 100)
    assert compute_auprc(y, p) == average_precision_score(y.astype(int), p) == 0.0
    assert np.isnan(compute_auroc(y, p))
    assert compute_positive_rate(y) == 0.0
    assert select_threshold(y, p).threshold == 0.5


def test_perfect_and_constant_scores() -> None:
    y = np.array([0, 0, 1, 1])
    assert compute_auprc(y, np.array([0.1, 0.2, 0.8, 0.9])) == 1.0
    assert compute_auroc(y, np.array([0.1, 0.2, 0.8, 0.9])) == 1.0
    constant = np.full(4, 0.5)
    assert compute_auprc(y, constant) == pytest.approx(average_precision_score(y, constant))
    assert compute_auroc(y, constant) == 0.5


@pytest.mark.parametrize("threshold", [0.2, 0.5, 0.7])
def test_confusion_metrics_match_sklearn(threshold: float) -> None:
    y, p = random_case(4, 3000, ties=False)
    pred = p >= threshold
    c = compute_confusion(y, p, threshold)
    assert c.tp + c.fp + c.fn + c.tn == y.size
    assert compute_precision(c) == pytest.approx(precision_score(y, pred))
    assert compute_recall(c) == pytest.approx(recall_score(y, pred))
    assert compute_f1(c) == pytest.approx(f1_score(y, pred))
    assert compute_dice(c) == compute_f1(c)
    assert compute_iou(c) == pytest.approx(jaccard_score(y, pred))


@pytest.mark.parametrize("metric", ["f1", "iou"])
def test_select_threshold_is_the_exhaustive_optimum(metric: str) -> None:
    y, p = random_case(5, 1500, ties=True)
    choice = select_threshold(y, p, metric=metric)
    scorer = f1_score if metric == "f1" else jaccard_score
    brute = max(scorer(y, p >= t) for t in np.unique(p))
    assert choice.score == pytest.approx(brute)
    assert scorer(y, p >= choice.threshold) == pytest.approx(brute)


def test_select_threshold_rejects_unknown_metric() -> None:
    with pytest.raises(DataSelectionError, match="Unknown threshold metric='auc'"):
        select_threshold([0, 1], [0.2, 0.8], metric="auc")


def test_nan_scores_and_size_mismatch_are_clear_errors() -> None:
    with pytest.raises(DataSelectionError, match="NaN"):
        compute_auprc([0, 1], [0.1, np.nan])
    with pytest.raises(DataSelectionError, match="differ in size"):
        compute_auprc([0, 1, 1], [0.1, 0.2])


def test_select_valid_drops_nodata_and_ignored_labels() -> None:
    labels = np.array([[0, 1], [255, 1]], dtype=np.uint8)
    scores = np.array([[0.1, np.nan], [0.3, 0.9]], dtype=np.float32)
    y, p = select_valid(labels, scores)
    np.testing.assert_array_equal(y, [False, True])
    np.testing.assert_array_equal(p, np.array([0.1, 0.9], dtype=np.float32))
