"""ISSLIDE scores: pooled over all test pixels, true Hausdorff per patch, Table I."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from sarslide.insar.scoring import score_patches, write_comparison_table
from sarslide.metrics.binary import compute_auroc


def _patches() -> tuple[np.ndarray, np.ndarray]:
    truth = np.zeros((3, 10, 10), np.uint8)
    truth[0, 2:6, 2:6] = 1  # 16 px
    truth[1, 0:2, 0:2] = 1  # 4 px
    prob = np.full((3, 10, 10), 0.1, np.float32)
    prob[0, 2:6, 2:6] = 0.9  # perfect
    prob[1, 8:10, 8:10] = 0.8  # all wrong
    prob[2, 5, 5] = 0.7  # a false positive on a no-truth patch
    return truth, prob


def test_metrics_pooled_over_all_pixels() -> None:
    truth, prob = _patches()
    scores = score_patches(truth, prob, threshold=0.5)
    tp, fp, fn = 16, 4 + 1, 4
    assert scores["f1"] == pytest.approx(
        2 * tp / (2 * tp + fp + fn)
    )  # not the mean of per-patch F1
    assert scores["iou"] == pytest.approx(tp / (tp + fp + fn))
    assert scores["dice"] == scores["f1"]
    assert scores["auroc"] == pytest.approx(compute_auroc(truth.ravel(), prob.ravel()))
    assert scores["n_pixels"] == 300 and scores["pixels_tp"] == tp


def test_hausdorff_per_patch_with_truth_only() -> None:
    truth, prob = _patches()
    scores = score_patches(truth, prob, threshold=0.5)
    assert scores["n_patches_with_truth"] == 2
    far = math.hypot(9 - 1, 9 - 1)  # patch 1: opposite corner, (9, 9) to the nearest truth (1, 1)
    assert scores["hd_mean_px"] == pytest.approx((0.0 + far) / 2)
    assert scores["n_empty_predictions"] == 0
    empty = score_patches(truth, prob, threshold=0.95)
    assert empty["n_empty_predictions"] == 2
    assert empty["hd_mean_px"] == pytest.approx(math.hypot(10, 10))  # diagonal penalty


def test_threshold_is_an_input() -> None:
    truth, prob = _patches()
    assert score_patches(truth, prob, threshold=0.75)["threshold"] == 0.75
    with pytest.raises(ValueError, match="must be"):
        score_patches(truth[0], prob[0], threshold=0.5)


def test_comparison_table(tmp_path: Path) -> None:
    truth, prob = _patches()
    rows = [{"model": name, **score_patches(truth, prob, threshold=0.5)} for name in ("a", "b")]
    md, csv = write_comparison_table(rows, tmp_path)
    text = md.read_text()
    assert "| Model | F1 ↑ | AUROC ↑ | Dice ↑ | IoU ↑ |" in text and "| a |" in text
    assert "threshold chosen on validation" in text
    assert csv.read_text().splitlines()[0].startswith("model,threshold,f1,auroc")


def test_comparison_table_marks_under_trained_rows(tmp_path: Path) -> None:
    truth, prob = _patches()
    learned = {"model": "unet", **score_patches(truth, prob, threshold=0.5), "trained_steps": 200}
    chance = {
        "model": "fcn-resnet50",
        **score_patches(truth, np.full_like(prob, 0.5), threshold=0.5),
        "trained_steps": 4,
    }
    assert chance["auroc"] == pytest.approx(0.5) and learned["auroc"] > 0.55
    md, csv = write_comparison_table([learned, chance], tmp_path)
    text = md.read_text()
    assert "| Steps |" in text.splitlines()[0]
    assert "| unet |" in text and "| fcn-resnet50 † |" in text
    assert "† fcn-resnet50: under-trained: 4 steps, at chance (AUROC <= 0.55)" in text
    assert "unet: under-trained" not in text
    assert "trained_steps" in csv.read_text().splitlines()[0]


def test_trained_steps_are_read_from_the_checkpoint(tmp_path: Path) -> None:
    import torch

    from sarslide.models.checkpoints import read_trained_steps

    torch.save({"state_dict": {}, "global_step": 4}, tmp_path / "a.ckpt")
    torch.save({"state_dict": {}}, tmp_path / "b.ckpt")
    assert read_trained_steps(tmp_path / "a.ckpt") == 4
    assert read_trained_steps(tmp_path / "b.ckpt") is None
