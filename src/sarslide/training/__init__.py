"""Training: typed config, Lightning task and data module, the run.

Imports torch and Lightning, but only when a name is first used (module ``__getattr__``):
importing the package costs nothing. Checkpoints are read by :mod:`sarslide.models`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sarslide.lazy_exports import lazy_getattr

if TYPE_CHECKING:
    from sarslide.training.config import TrainConfig, load_train_config
    from sarslide.training.datamodule import LandslideDataModule
    from sarslide.training.run import RunPaths, fit_task, train
    from sarslide.training.task import SegmentationTask

_EXPORTS = {
    "LandslideDataModule": "sarslide.training.datamodule",
    "RunPaths": "sarslide.training.run",
    "SegmentationTask": "sarslide.training.task",
    "TrainConfig": "sarslide.training.config",
    "fit_task": "sarslide.training.run",
    "load_train_config": "sarslide.training.config",
    "train": "sarslide.training.run",
}
__all__ = [
    "LandslideDataModule",
    "RunPaths",
    "SegmentationTask",
    "TrainConfig",
    "fit_task",
    "load_train_config",
    "train",
]


__getattr__ = lazy_getattr(__name__, _EXPORTS)
