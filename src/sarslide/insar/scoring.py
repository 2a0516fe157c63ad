"""ISSLIDE scores: pixel metrics over ALL test pixels, Hausdorff per patch, Table I.

- F1, Dice, IoU come from ONE confusion matrix over every test pixel at the threshold
  chosen on VALIDATION (pooled, never averaged per patch). Pooled Dice equals F1.
- AUROC is computed once over every test pixel (not overwritten per patch).
- Hausdorff (true maximum) and HD95 are per patch, in pixels, over patches whose truth
  is non-empty; reported as mean and median. A patch whose prediction is empty gets
  the patch diagonal as its distance (a penalty, counted in ``n_empty_predictions``).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from sarslide.atomic import replacing, write_text_atomic
from sarslide.devices import PrecisionPlan
from sarslide.metrics.binary import (
    compute_auroc,
    compute_confusion,
    compute_dice,
    compute_f1,
    compute_iou,
    compute_precision,
    compute_recall,
)
from sarslide.metrics.distances import compute_hausdorff, compute_hausdorff95
from sarslide.models.predict import predict_probabilities

if TYPE_CHECKING:  # types only: importing the dataset module imports Lightning
    import torch

    from sarslide.insar.datamodule import IsslidePatchDataset

TABLE_COLUMNS = (
    "model",
    "f1",
    "auroc",
    "dice",
    "iou",
    "hd_mean_px",
    "hd_median_px",
    "hd95_mean_px",
    "trained_steps",
)
TABLE_HEADERS = {
    "model": "Model",
    "trained_steps": "Steps",
    "f1": "F1 ↑",
    "auroc": "AUROC ↑",
    "dice": "Dice ↑",
    "iou": "IoU ↑",
    "hd_mean_px": "HD mean (px) ↓",
    "hd_median_px": "HD median (px) ↓",
    "hd95_mean_px": "HD95 mean (px) ↓",
}


CHANCE_AUROC_MAX = 0.55
"""A test AUROC at or below this is chance level: the row is marked under-trained."""
UNDER_TRAINED_MARK = "†"


def is_at_chance(row: dict[str, Any]) -> bool:
    """True when a table row's test AUROC is missing, NaN or <= ``CHANCE_AUROC_MAX``."""
    auroc = row.get("auroc")
    return auroc is None or not math.isfinite(float(auroc)) or float(auroc) <= CHANCE_AUROC_MAX


def predict_dataset(
    model: torch.nn.Module,
    dataset: IsslidePatchDataset,
    *,
    batch_size: int = 16,
    device: str | torch.device = "cpu",
    precision: str | PrecisionPlan = "auto",
) -> tuple[np.ndarray, np.ndarray]:
    """``(probabilities (N, H, W), masks (N, H, W))`` of a single-logit model over an
    :class:`~sarslide.insar.datamodule.IsslidePatchDataset` (its stored features)."""
    probability = predict_probabilities(
        model,
        dataset.features.numpy(),
        num_classes=1,
        batch_size=batch_size,
        device=device,
        precision=precision,
    )
    return probability, dataset.masks.numpy()


def score_patches(
    truth: np.ndarray, probability: np.ndarray, *, threshold: float
) -> dict[str, float]:
    """All ISSLIDE metrics of ``(N, H, W)`` patches at a threshold chosen elsewhere."""
    if truth.shape != probability.shape or truth.ndim != 3:
        raise ValueError(
            f"truth {truth.shape} and probability {probability.shape} must be (N, H, W)"
        )
    confusion = compute_confusion(truth, probability, threshold)
    diagonal = math.hypot(*truth.shape[1:])
    hd, hd95, empty = [], [], 0
    for y, p in zip(truth.astype(bool), probability >= threshold, strict=True):
        if not y.any():
            continue
        empty += int(not p.any())
        hd.append(compute_hausdorff(p, y, empty_value=diagonal))
        hd95.append(compute_hausdorff95(p, y, empty_value=diagonal))
    return {
        "threshold": float(threshold),
        "f1": compute_f1(confusion),
        "auroc": compute_auroc(truth, probability),
        "dice": compute_dice(confusion),
        "iou": compute_iou(confusion),
        "precision": compute_precision(confusion),
        "recall": compute_recall(confusion),
        "hd_mean_px": float(np.mean(hd)) if hd else float("nan"),
        "hd_median_px": float(np.median(hd)) if hd else float("nan"),
        "hd95_mean_px": float(np.mean(hd95)) if hd95 else float("nan"),
        "n_patches": int(truth.shape[0]),
        "n_patches_with_truth": len(hd),
        "n_empty_predictions": empty,
        "n_pixels": int(truth.size),
        **{f"pixels_{k}": v for k, v in confusion.to_dict().items()},
    }


def write_comparison_table(
    rows: Sequence[dict[str, Any]], out_dir: str | Path
) -> tuple[Path, Path]:
    """Write ``comparison.csv`` (every column) and ``comparison.md`` (Table I style)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fields = list(dict.fromkeys(k for row in rows for k in row))
    csv_path, md_path = out / "comparison.csv", out / "comparison.md"
    with replacing(csv_path) as tmp, open(tmp, "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    lines = [
        "| " + " | ".join(TABLE_HEADERS[c] for c in TABLE_COLUMNS) + " |",
        "|" + "---|" * len(TABLE_COLUMNS),
    ]
    footnotes = []
    for row in rows:
        name = str(row["model"])
        if is_at_chance(row):
            name += f" {UNDER_TRAINED_MARK}"
            steps = row.get("trained_steps")
            footnotes.append(
                f"{UNDER_TRAINED_MARK} {row['model']}: under-trained: "
                f"{steps if steps is not None else 'unknown'} steps, at chance "
                f"(AUROC <= {CHANCE_AUROC_MAX}); its scores show the pipeline ran, "
                "not what the model can learn (train it longer)."
            )
        cells = [name] + [_fmt(row.get(c)) for c in TABLE_COLUMNS[1:]]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", *footnotes] if footnotes else []
    lines += [
        "",
        "Steps: optimiser steps of the scored (best-on-validation) checkpoint. "
        "Test split: all patches of the held-out zone(s); threshold chosen on validation "
        "(F1-optimal). F1/Dice/IoU/AUROC pooled over all test pixels (pooled Dice = F1); "
        "Hausdorff = true maximum distance per patch with a non-empty truth, in pixels "
        "(empty prediction = patch diagonal), then mean/median over patches.",
    ]
    write_text_atomic(md_path, "\n".join(lines) + "\n")
    return md_path, csv_path


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.3f}"
    return str(value)
