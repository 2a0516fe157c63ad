"""What a training run records in its checkpoints beside the weights.

``build_metadata``: what inference and evaluation need (channels, normalisation, split,
threshold, training cube); ``describe_training_numerics``: what a bit-identical rerun
needs beside the config (seed, threads, versions, CPU).
"""

from __future__ import annotations

from typing import Any

import torch

import sarslide
from sarslide.chips import ChipSplits
from sarslide.compat.torch_stack import lightning
from sarslide.devices import describe_numerics, resolve_lightning_device
from sarslide.models.checkpoints import TASK_LANDSLIDE
from sarslide.models.training_cube import record_training_cube
from sarslide.training.config import TrainConfig, TrainerConfig


def describe_training_numerics(trainer_cfg: TrainerConfig) -> dict[str, Any]:
    """What a bit-identical rerun needs beside the config: seed, threads, versions, CPU.

    Call it inside :func:`~sarslide.devices.pinned_torch_threads` (the count in force)."""
    device, _, _ = resolve_lightning_device(
        trainer_cfg.device, trainer_cfg.accelerator, trainer_cfg.devices, log=False
    )
    return {
        "seed": trainer_cfg.seed,
        "threads_setting": trainer_cfg.threads,
        "deterministic": trainer_cfg.deterministic,
        **describe_numerics(device, int(torch.get_num_threads())),
        "lightning": str(lightning.__version__),
        "sarslide": getattr(sarslide, "__version__", "unknown"),
    }


def build_metadata(cfg: TrainConfig, splits: ChipSplits) -> dict[str, Any]:
    """What inference and evaluation need, stored in the checkpoint (JSON-ready)."""
    return {
        "task": TASK_LANDSLIDE,
        "channel_names": list(splits.channel_names),
        "normalisation": splits.normalisation.to_dict(),
        "data_config": cfg.data.model_dump(mode="json"),
        "split_method": splits.split,
        "split_plan": splits.plan.to_json(),
        "events": list(getattr(splits, "events", [])),
        "event_plans": {
            name: plan.to_json() for name, plan in getattr(splits, "event_plans", {}).items()
        },
        "threshold": 0.5,
        "threshold_metric": None,
        "chips": splits.summary(),
        "sarslide_version": getattr(sarslide, "__version__", "unknown"),
        **(record_training_cube(cfg.data.cube, cfg.output_dir) if cfg.data.cube else {}),
    }
