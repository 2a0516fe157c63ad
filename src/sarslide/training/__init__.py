"""Training: typed config, Lightning task and data module, the run, checkpoints.

Imports torch and Lightning: keep it out of cube-only code paths.
"""

from sarslide.compat import ensure_torchvision_importable

# Lightning imports torchmetrics, which imports torchvision: make that import work first.
ensure_torchvision_importable()

# ruff: noqa: E402

from sarslide.training.checkpoints import ModelBundle, load_model_from_checkpoint
from sarslide.training.config import TrainConfig, load_train_config
from sarslide.training.datamodule import LandslideDataModule
from sarslide.training.run import RunPaths, fit_task, train
from sarslide.training.task import SegmentationTask

__all__ = [
    "LandslideDataModule",
    "ModelBundle",
    "RunPaths",
    "SegmentationTask",
    "TrainConfig",
    "fit_task",
    "load_model_from_checkpoint",
    "load_train_config",
    "train",
]
