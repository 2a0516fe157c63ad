"""Settings of ``sarslide insar train``, ``evaluate`` and ``demo`` (no torch import).

The command line builds its flags from these fields, so ``sarslide insar train
--help`` does not load torch; ``sarslide.insar.run`` and ``sarslide.insar.demo`` run them.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from sarslide.config import ConfigModel, device_field, precision_field
from sarslide.insar.splits import DEFAULT_TEST_ZONES

ISSLIDE_MODELS = (
    "fcn-resnet50",
    "deeplabv3-resnet50",
    "isslide-unet",
    "isslide-resunet",
    "isslide-sepunet",
)


class IsslideRunConfig(ConfigModel):
    """Everything an ISSLIDE train/evaluate run needs (written next to its outputs)."""

    config_label: ClassVar[str] = "ISSLIDE run config"

    ready_dir: str = Field(description="Ready ISSLIDE layout (images/, masks/, patches.csv).")
    output_dir: str = Field(default="runs/isslide", description="One sub-folder per model.")
    models: list[str] = Field(
        default_factory=lambda: list(ISSLIDE_MODELS),
        description="Model names (default: the five baselines).",
    )
    test_zones: list[str] = Field(
        default_factory=lambda: list(DEFAULT_TEST_ZONES), description="Held-out zone(s)."
    )
    val_fraction: float = Field(
        default=0.2, ge=0, lt=1, description="Of training-zone interferograms."
    )
    val_zones: list[str] = Field(
        default_factory=list, description="Whole zones for validation instead."
    )
    batch_size: int = Field(default=8, ge=1, description="Batch size (8 in the paper).")
    max_epochs: int = Field(
        default=30, ge=1, description="Epochs of the small U-Nets (paper: 300; FCN/DeepLabV3 600)."
    )
    lr: float = Field(
        default=1e-3, gt=0, description="Adam lr (paper: 1e-5 U-Nets, 1e-7 FCN/DeepLabV3)."
    )
    heavy_lr: float | None = Field(default=None, description="lr for FCN/DeepLabV3 (default: lr).")
    heavy_max_epochs: int | None = Field(default=None, description="Epochs for FCN/DeepLabV3.")
    limit_train_batches: int | None = Field(
        default=None, description="Batches per epoch (quick runs)."
    )
    heavy_limit_train_batches: int | None = Field(default=None, description="Same, FCN/DeepLabV3.")
    max_patches_per_split: int | None = Field(default=None, description="Seeded cap per split.")
    augment: bool = Field(default=True, description="Random phase offset on TRAIN only.")
    model_kwargs: dict[str, dict[str, Any]] = Field(default_factory=dict, description="Per model.")
    encoder_weights: dict[str, str] = Field(
        default_factory=dict, description="Local weight files per model."
    )
    accelerator: str = Field(default="auto", description="Lightning accelerator; see device.")
    device: str = device_field()
    precision: str = precision_field()
    num_threads: int = Field(
        default=0,
        ge=0,
        description="torch CPU threads; 0 = auto (torch's default, minus the cores the "
        "1-minute load average says are busy, at least 1).",
    )
    seed: int = Field(default=0, description="Seed of the validation draw and shuffling.")


class IsslideEvaluateConfig(ConfigModel):
    """Settings of ``sarslide insar evaluate`` (the models' own settings are the run's)."""

    config_label: ClassVar[str] = "ISSLIDE evaluate config"

    runs_dir: str = Field(description="Folder written by 'sarslide insar train'.")
    figure: bool = Field(default=True, description="Also write predictions.png.")
    device: str | None = Field(
        default=None, description="Where the models predict (default: the run's device)."
    )
    precision: str | None = Field(
        default=None, description="fp32, bf16, fp16 or auto (default: the run's precision)."
    )


class IsslideDemoConfig(ConfigModel):
    """Settings of ``sarslide insar demo``."""

    config_label: ClassVar[str] = "ISSLIDE demo config"

    output_dir: str = Field(default="runs/isslide-demo", description="New folder for everything.")
    fast: bool = Field(
        default=False,
        description="48 px patches, 7 epochs, 4 steps for FCN/DeepLabV3 (about 3 min).",
    )
    seed: int = Field(default=0, description="Seed of simulation, split and training.")
    num_threads: int = Field(
        default=0, ge=0, description="torch CPU threads (0 = auto: the cores not busy)."
    )
    device: str = device_field(" Training and evaluation run there.")
    precision: str = precision_field()
