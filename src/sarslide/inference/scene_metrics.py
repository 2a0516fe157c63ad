"""Whole-scene metrics of a prediction, split by what the model saw in training.

On the cube a checkpoint was trained on, whole-scene numbers mix pixels the model
fitted (train), pixels that chose its checkpoint and threshold (val) and held-out
pixels (test): only the last are an honest estimate. ``regions_of_scene`` uses the
split plan stored in the checkpoint to give each group its own metrics, labelled;
on another cube every pixel is unseen.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from sarslide.chips.splits import SplitPlan
from sarslide.metrics import binary as m
from sarslide.metrics.bootstrap import DEFAULT_TILE_PX, bootstrap_block_intervals, tile_block_ids
from sarslide.models.checkpoints import ModelBundle
from sarslide.models.training_cube import CHECKPOINT_DIR_NAME

logger = logging.getLogger(__name__)

HELD_OUT = "held_out_test"
SEEN = "seen_in_training"
UNSEEN = "unseen"
NO_SPLIT = "split_unknown"
REGION_DESCRIPTIONS = {
    HELD_OUT: "test region of the checkpoint's split: never used for training, "
    "checkpoint or threshold choice (the honest estimate)",
    SEEN: "train and validation regions of the checkpoint's split: the model was fitted "
    "or selected on these pixels (optimistic)",
    UNSEEN: "all pixels: the cube is not the one the checkpoint was trained on, so the "
    "model saw none of them",
    NO_SPLIT: "all pixels: this is the training cube but the checkpoint carries no split "
    "plan, so held-out and trained pixels cannot be told apart",
}


def compute_scene_metrics(
    labels: np.ndarray,
    probability: np.ndarray,
    threshold: float,
    *,
    bootstrap_tile_px: int | None = None,
) -> dict[str, Any]:
    """AUPRC, AUROC and thresholded metrics over the scene's valid (non-NaN) pixels.

    With ``bootstrap_tile_px``, also their 95 % intervals from a bootstrap of the
    scene's tiles of that size (``intervals``; seeded, 1000 resamples).
    """
    y, p = m.select_valid(labels.astype(np.uint8), probability, ignore_index=None)
    confusion = m.compute_confusion(y, p, threshold)
    intervals = None
    if bootstrap_tile_px is not None and y.size:
        rows, cols = np.nonzero(np.isfinite(probability))
        blocks = tile_block_ids(rows, cols, bootstrap_tile_px)
        found = bootstrap_block_intervals(y, p, blocks, threshold=threshold)
        intervals = {**found.to_dict(), "tile_px": bootstrap_tile_px}
    return {
        "n_pixels": int(y.size),
        "n_nodata_pixels": int(probability.size - y.size),
        "positive_rate": m.compute_positive_rate(y) if y.size else 0.0,
        "auprc": m.compute_auprc(y, p),
        "auroc": m.compute_auroc(y, p),
        "threshold": float(threshold),
        "precision": m.compute_precision(confusion),
        "recall": m.compute_recall(confusion),
        "f1": m.compute_f1(confusion),
        "iou": m.compute_iou(confusion),
        "confusion": confusion.to_dict(),
        **({"intervals": intervals} if intervals is not None else {}),
    }


def training_split_for_cube(
    bundle: ModelBundle, checkpoint: str | os.PathLike[str], cube: str, shape_px: tuple[int, int]
) -> tuple[SplitPlan | None, str]:
    """The checkpoint's split plan when ``cube`` is its training cube (else None), and why."""
    data = bundle.data_config
    trained_on = data.cube if data is not None else None
    if trained_on is None or not _same_cube(checkpoint, trained_on, bundle.extra, cube):
        return None, f"the cube is not the checkpoint's training cube ({trained_on!r})"
    plan = bundle.split_plan
    if plan is None:
        return None, "the training cube, but the checkpoint carries no split plan"
    if tuple(plan.shape_px) != tuple(shape_px):
        return None, (
            f"the checkpoint's split is for a {tuple(plan.shape_px)} px scene, "
            f"this cube is {tuple(shape_px)} px"
        )
    return plan, f"the checkpoint's {plan.method} split of its training cube"


def regions_of_scene(
    plan: SplitPlan | None, shape_px: tuple[int, int], *, same_cube: bool
) -> dict[str, np.ndarray]:
    """Named boolean masks: held-out test and seen pixels (with a plan), else all pixels."""
    if plan is None:
        return {NO_SPLIT if same_cube else UNSEEN: np.ones(shape_px, dtype=bool)}
    seen = plan.region_mask("train", shape_px) | plan.region_mask("val", shape_px)
    test = plan.region_mask("test", shape_px) & ~seen  # random plans: overlapping chips
    return {HELD_OUT: test, SEEN: seen}


def compute_region_metrics(
    labels: np.ndarray,
    probability: np.ndarray,
    threshold: float,
    regions: dict[str, np.ndarray],
    *,
    bootstrap_tile_px: int = DEFAULT_TILE_PX,
) -> dict[str, dict[str, Any]]:
    """``compute_scene_metrics`` inside each region, each with its description and
    bootstrap intervals over the region's tiles of ``bootstrap_tile_px``."""
    out = {}
    for name, mask in regions.items():
        inside = np.where(mask, probability, np.nan)
        out[name] = {
            "description": REGION_DESCRIPTIONS[name],
            **compute_scene_metrics(
                labels & mask, inside, threshold, bootstrap_tile_px=bootstrap_tile_px
            ),
        }
        out[name]["n_nodata_pixels"] = int((mask & np.isnan(probability)).sum())
    return out


def _same_cube(
    checkpoint: str | os.PathLike[str], trained_on: str, extra: dict[str, Any], cube: str
) -> bool:
    """Whether ``cube`` names the training cube (as given, or from the run folder)."""
    if "://" in cube or "://" in trained_on:
        return cube.rstrip("/") == trained_on.rstrip("/")
    ckpt = Path(checkpoint).expanduser().absolute()
    run_dir = ckpt.parent.parent if ckpt.parent.name == CHECKPOINT_DIR_NAME else ckpt.parent
    candidates = [
        extra.get("cube_path"),
        run_dir / extra["cube_path_from_run"] if extra.get("cube_path_from_run") else None,
        trained_on,
        run_dir / trained_on,
    ]
    target = _canonical(cube)
    return any(_canonical(c) == target for c in candidates if c)


def _canonical(path: str | os.PathLike[str]) -> str:
    return os.path.realpath(Path(path).expanduser())
