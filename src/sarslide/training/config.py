"""The training configuration: a typed YAML file validated on load, CLI overrides.

Every section is a ``sarslide.config.ConfigModel`` (``extra="forbid"``); an unknown key
is an error that names the key and the valid keys of its section. ``--set
section.key=value`` overrides (values parsed as YAML) are applied before validation.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field

from sarslide.chips import DataConfig
from sarslide.config import ConfigModel, Overrides, apply_overrides, device_field
from sarslide.devices import DEFAULT_TRAIN_THREADS

__all__ = [
    "LossConfig",
    "ModelConfig",
    "OptimConfig",
    "TrainConfig",
    "TrainerConfig",
    "apply_overrides",
    "load_train_config",
]


class ModelConfig(ConfigModel):
    """Which network (a name from ``sarslide.models.list_models()``) and its weights."""

    name: str = Field(default="unet-small", description="Registry name of the model.")
    encoder_weights: str | None = Field(
        default=None,
        description="null = random init (default, nothing downloads); a local file; "
        "or a named pretrained set such as 'imagenet' (downloads).",
    )
    kwargs: dict[str, Any] = Field(default_factory=dict, description="Builder options.")


class OptimConfig(ConfigModel):
    """Adam and ReduceLROnPlateau on the VALIDATION loss (the paper's values)."""

    lr: float = Field(default=0.01, gt=0, description="Adam learning rate.")
    weight_decay: float = Field(default=1e-4, ge=0, description="Adam weight decay.")
    plateau_factor: float = Field(default=0.1, gt=0, lt=1, description="LR multiplier.")
    plateau_patience: int = Field(default=10, ge=0, description="Epochs without progress.")
    plateau_threshold: float = Field(default=1e-4, ge=0, description="Relative progress.")


class LossConfig(ConfigModel):
    """Loss: 'ce' (softmax, 2 classes), 'dice', 'focal', or 'bce' (1 logit)."""

    name: Literal["ce", "dice", "focal", "bce"] = "ce"
    focal_gamma: float = Field(default=2.0, ge=0, description="Focal loss exponent.")
    ignore_index: int = Field(default=255, description="Label value excluded (nodata).")

    @property
    def num_classes(self) -> int:
        """Model outputs the loss needs: 1 for 'bce', else 2."""
        return 1 if self.name == "bce" else 2


class TrainerConfig(ConfigModel):
    """Lightning Trainer and data-loading options."""

    max_epochs: int = Field(default=100, ge=1, description="Epochs.")
    batch_size: int = Field(default=16, ge=1)
    device: str = device_field()
    accelerator: str = Field(
        default="auto",
        description="Lightning accelerator; 'auto' follows `device`. 'cpu'/'gpu'/'mps' "
        "with `devices` for several devices (DDP).",
    )
    devices: int | str | list[int] = Field(
        default="auto", description="Devices of the accelerator; 'auto': one."
    )
    strategy: str = Field(default="auto", description="Lightning strategy, e.g. 'ddp'.")
    precision: str = Field(
        default="auto",
        description="auto (bf16 on GPUs that have it, else fp16 with loss scaling; fp32 on "
        "CPU/MPS), fp32, bf16, fp16 (Lightning's 32-true, bf16-mixed, 16-mixed too).",
    )
    checkpoint_interval_s: float = Field(
        default=120.0,
        ge=0,
        description="Write best/last checkpoints at most this often (and at the end); "
        "0: after every epoch.",
    )
    num_workers: int = Field(default=0, ge=0, description="DataLoader worker processes.")
    deterministic: bool = Field(
        default=False,
        description="torch.use_deterministic_algorithms (GPUs: cuDNN's deterministic "
        "kernels, slower); the CPU is deterministic at a fixed `threads` without it.",
    )
    threads: int = Field(
        default=DEFAULT_TRAIN_THREADS,
        ge=0,
        description="torch CPU threads of the training and its validation threshold. The "
        "CPU's float sums depend on the thread count, so it is fixed: one seed gives the "
        "same weights on one machine whatever the cores, OMP_NUM_THREADS or the load. "
        "0: torch's default (all cores; faster on large CPUs, weights vary with it).",
    )
    seed: int = Field(default=0, description="Training seed (model init, shuffling).")
    augment_flips: bool = Field(default=True, description="Random flips on train chips.")
    threshold_metric: Literal["f1", "iou"] = Field(
        default="f1", description="Metric the validation threshold maximises."
    )
    limit_train_batches: int | float | None = Field(default=None, description="Debug only.")
    logger: Literal["csv", "tensorboard", "mlflow"] = Field(
        default="csv",
        description="Experiment logger (Lightning's): csv (default, metrics.csv only); "
        "tensorboard (event files under logs/tensorboard/, needs the tensorboard package); "
        "mlflow (a local mlruns/ store in the run folder, needs mlflow). metrics.csv and "
        "the training curve are written in every case.",
    )


class TrainConfig(ConfigModel):
    """The whole training run (presets: ``quick``, ``paper``)."""

    config_label: ClassVar[str] = "training config"
    preset_prefix: ClassVar[str | None] = ""

    data: DataConfig
    model: ModelConfig = Field(default_factory=ModelConfig)
    optim: OptimConfig = Field(default_factory=OptimConfig)
    loss: LossConfig = Field(default_factory=LossConfig)
    trainer: TrainerConfig = Field(default_factory=TrainerConfig)
    output_dir: str = Field(default="runs/train", description="Run directory.")


def load_train_config(
    source: str | os.PathLike[str] | Mapping[str, Any] | TrainConfig,
    overrides: Overrides = (),
) -> TrainConfig:
    """Read and validate a training config from YAML (a path), a mapping or a config.

    Args:
        source: YAML file path, a preset name (``quick``, ``paper``), a mapping, or a
            ``TrainConfig`` (overrides re-validate).
        overrides: ``"section.key=value"`` strings (or a dotted-key mapping) applied
            before validation.

    Raises:
        ConfigError: Missing file, invalid YAML, unknown keys or invalid values.
    """
    if isinstance(source, (Mapping, BaseModel)):
        return TrainConfig.from_mapping(source, overrides, source="(mapping)")
    return TrainConfig.from_yaml(source, overrides)
