"""Training curves (loss and validation AUPRC per epoch) and precision-recall curves."""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from sarslide.plotting.save import load_pyplot, save_figure


def read_epoch_metrics(metrics_csv: str | os.PathLike[str]) -> dict[str, dict[int, float]]:
    """``{metric: {epoch: value}}`` from a Lightning CSV log (blank cells skipped)."""
    table: dict[str, dict[int, float]] = {}
    with open(metrics_csv, newline="") as file:
        for row in csv.DictReader(file):
            epoch_text = row.get("epoch") or ""
            if not epoch_text:
                continue
            epoch = int(float(epoch_text))
            for key, text in row.items():
                if key in ("epoch", "step") or not text:
                    continue
                table.setdefault(key, {})[epoch] = float(text)
    return table


def plot_training_curves(
    metrics_csv: str | os.PathLike[str], path: str | os.PathLike[str], *, title: str = ""
) -> Path:
    """Loss (train and val) and validation AUPRC against epoch, as a PNG."""
    plt = load_pyplot()

    table = read_epoch_metrics(metrics_csv)
    fig, (ax_loss, ax_auprc) = plt.subplots(1, 2, figsize=(10, 4))
    for key, style in (("train/loss", "-"), ("val/loss", "--")):
        if key in table:
            epochs = sorted(table[key])
            ax_loss.plot([e + 1 for e in epochs], [table[key][e] for e in epochs], style, label=key)
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("loss")
    ax_loss.legend()
    if "val/auprc" in table:
        epochs = sorted(table["val/auprc"])
        ax_auprc.plot([e + 1 for e in epochs], [table["val/auprc"][e] for e in epochs], "o-")
    ax_auprc.set_xlabel("epoch")
    ax_auprc.set_ylabel("validation AUPRC")
    ax_auprc.set_ylim(0, 1)
    if title:
        fig.suptitle(title)
    return save_figure(fig, path)


def plot_pr_curves(
    curves: Mapping[str, Any],
    baselines: Mapping[str, float],
    path: str | os.PathLike[str],
    *,
    title: str = "",
    max_points: int = 2000,
) -> Path:
    """Precision-recall curves (``PRCurve`` per label) with dashed positive-rate baselines."""
    plt = load_pyplot()

    fig, ax = plt.subplots(figsize=(5.5, 5))
    for index, (label, curve) in enumerate(curves.items()):
        colour = f"C{index}"
        recall = np.r_[0.0, np.asarray(curve.recall)]
        precision = np.r_[1.0, np.asarray(curve.precision)]
        step = max(1, math.ceil(recall.size / max_points))
        keep = np.r_[np.arange(0, recall.size, step), recall.size - 1]
        ax.step(recall[keep], precision[keep], where="post", color=colour, label=label)
        if label in baselines:
            ax.axhline(baselines[label], color=colour, linestyle="--", linewidth=0.8)
    ax.set_xlabel("recall")
    ax.set_ylabel("precision")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.legend(loc="upper right", fontsize="small")
    ax.set_title(title or "Precision-recall (dashed: positive rate)")
    return save_figure(fig, path)
