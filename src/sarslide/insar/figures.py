"""Qualitative ISSLIDE figure: phase, coherence, truth and each model's prediction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sarslide.insar.datamodule import IsslideDataModule
from sarslide.insar.features import phase_from_features
from sarslide.insar.scoring import predict_dataset
from sarslide.insar.splits import SPLIT_TEST
from sarslide.models.checkpoints import load_model_from_checkpoint, read_model_bundle
from sarslide.plotting.save import load_pyplot, save_figure
from sarslide.training.run import best_checkpoint_path


def plot_isslide_predictions(
    run_dirs: Sequence[str | Path],
    datamodule: IsslideDataModule,
    path: str | Path,
    *,
    n_patches: int = 4,
    probabilities: Mapping[str, np.ndarray] | None = None,
) -> Path:
    """PNG grid: one row per test patch, columns phase, coherence, truth, then each
    model's binary prediction at its validation threshold.

    Rows are the patches with the largest moves, at most one per crop location (so the
    rows show different moving areas, not one area at several dates).
    ``probabilities`` (model folder name -> test probabilities ``(N, H, W)`` in loader
    order) reuses predictions already made; models missing from it are predicted here.
    """
    plt = load_pyplot()

    dataset = datamodule.datasets[SPLIT_TEST]
    features = dataset.features.numpy()
    masks = dataset.masks.numpy()
    order = _pick_rows(datamodule, masks, n_patches)
    predictions = []
    for run_dir in run_dirs:
        name = Path(run_dir).name
        checkpoint = best_checkpoint_path(run_dir)
        prob = (probabilities or {}).get(name)
        if prob is None:
            model, bundle = load_model_from_checkpoint(checkpoint)
            prob, _ = predict_dataset(model, dataset)
        else:
            bundle = read_model_bundle(checkpoint)
        predictions.append((name, prob[order] >= bundle.threshold))
    n_cols = 3 + len(predictions)
    fig, axes = plt.subplots(
        len(order), n_cols, figsize=(2.0 * n_cols, 2.0 * len(order)), squeeze=False
    )
    phase = phase_from_features(features[order])
    for row, k in enumerate(order):
        panels = [
            ("phase (rad)", phase[row], "twilight", (-np.pi, np.pi)),
            ("coherence", features[k, 0], "gray", (0, 1)),
            ("truth", masks[k], "Reds", (0, 1)),
        ] + [(name, pred[row], "Blues", (0, 1)) for name, pred in predictions]
        for col, (title, image, cmap, (vmin, vmax)) in enumerate(panels):
            ax = axes[row, col]
            ax.imshow(image, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
            if col >= 3:
                ax.contour(masks[k], levels=[0.5], colors="red", linewidths=0.6)
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title(title, fontsize=8)
    fig.suptitle("ISSLIDE test patches (held-out zone); red contour = truth", fontsize=9)
    return save_figure(fig, path)


def _pick_rows(datamodule: IsslideDataModule, masks: np.ndarray, n_patches: int) -> np.ndarray:
    """Largest-move test patches, one per (zone, crop location) while there are enough."""
    sizes = masks.reshape(len(masks), -1).sum(1)
    order = np.argsort(-sizes, kind="stable")
    index = datamodule.split_index(SPLIT_TEST)
    if len(index) != len(masks) or not {"zone", "move_id"} <= set(index.columns):
        return order[:n_patches]
    keys = list(zip(index["zone"], index["move_id"], strict=True))
    first: list[int] = []
    seen: set[Any] = set()
    for k in order:
        if keys[k] not in seen:
            seen.add(keys[k])
            first.append(int(k))
    rest = [int(k) for k in order if int(k) not in set(first)]
    return np.asarray((first + rest)[:n_patches], dtype=int)
