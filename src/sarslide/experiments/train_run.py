"""The real run function: train one model of the grid and evaluate it on the test split.

``train_and_evaluate(spec)`` is the default ``run_one`` of the ablation runner. It
applies the run's input set, k, seed and directory to the base training config,
calls ``sarslide.training.train`` and ``sarslide.evaluation.evaluate_checkpoint``,
and returns the channels the model really saw and its test metrics.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sarslide.evaluation.config import EvaluateConfig
from sarslide.evaluation.evaluate import evaluate_checkpoint
from sarslide.experiments.grid import RunSpec
from sarslide.experiments.records import (
    INTERVAL_KEYS,
    METRIC_KEYS,
    RunOutput,
    flatten_interval,
)
from sarslide.training.config import load_train_config
from sarslide.training.run import train

if TYPE_CHECKING:
    from sarslide.evaluation.evaluate import EvaluationResult

logger = logging.getLogger(__name__)

TRAIN_SUBDIR = "train"


def build_run_train_config(spec: RunSpec) -> dict[str, Any]:
    """The base training config with this run's channels, k, seed and directory."""
    config = {
        key: (dict(value) if isinstance(value, dict) else value)
        for key, value in spec.train.items()
    }
    config["data"] = {
        **config.get("data", {}),
        "channels": spec.input_set,
        "timesteps_k": spec.data_k,
    }
    config["trainer"] = {**config.get("trainer", {}), "seed": spec.seed}
    config["output_dir"] = str(Path(spec.run_dir) / TRAIN_SUBDIR)
    return config


def train_and_evaluate(spec: RunSpec) -> RunOutput:
    """Train the run's model, evaluate its best checkpoint on the test split."""
    cfg = load_train_config(build_run_train_config(spec))
    paths = train(cfg, progress=False)
    evaluation = evaluate_checkpoint(  # on the device and precision training used
        EvaluateConfig(
            checkpoint=str(paths.best_checkpoint),
            split="test",
            device=paths.device,
            precision=paths.precision,
        )
    )
    return RunOutput(
        channel_names=list(evaluation.channel_names),
        metrics=extract_metrics(evaluation),
        split=str(evaluation.split_method or cfg.data.split),
        artifacts={
            "best_checkpoint": str(paths.best_checkpoint),
            **{f"evaluation_{name}": path for name, path in evaluation.paths.items()},
        },
    )


def extract_metrics(evaluation: EvaluationResult) -> dict[str, float]:
    """The ablation's metric keys (``METRIC_KEYS``) from an ``EvaluationResult``.

    ``evaluation.chips`` holds the positive test chips, ``evaluation.region`` every
    pixel of the test region; a missing region (``whole_region=False``) gives NaN,
    which the table leaves out of its means and shows as an empty cell. The AUPRCs'
    bootstrap intervals come as ``INTERVAL_KEYS``.
    """
    blocks = {"chips": evaluation.chips, "region": evaluation.region}
    metrics: dict[str, float] = {}
    for where, block in blocks.items():
        for name in ("auprc", "auroc", "f1", "baseline_auprc"):
            value = math.nan if block is None else float(getattr(block, name))
            metrics[f"{name}_{where}"] = value
        metrics.update(flatten_interval(None if block is None else block.intervals, where))
    return {key: metrics[key] for key in (*METRIC_KEYS, *INTERVAL_KEYS)}
