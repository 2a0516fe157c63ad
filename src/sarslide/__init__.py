"""sarslide: landslide maps from Sentinel-1 SAR datacubes.

The package follows the data's path: ``sources`` -> ``datacube`` -> ``terrain`` ->
``chips`` -> ``models`` -> ``training`` -> ``evaluation`` -> ``inference``, with
``insar`` (ISSLIDE, slow-moving landslides) reusing chips, models, training and
evaluation. ``simulate`` makes synthetic cubes with the schema of the real ones.

Each job is one call on its validated config (``verb(cfg) -> result``), exported here
and loaded on first use (module ``__getattr__``): ``import sarslide`` costs nothing.

>>> import sarslide
>>> cfg = sarslide.PredictConfig(checkpoint="best.ckpt", cube="cube.zarr")  # doctest: +SKIP
>>> probability = sarslide.predict(cfg).probability  # no output_dir: in memory  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("sarslide")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0"

# exported name -> (module, attribute). Imported by name on first
# use (no static import here: modules of every layer import this package's __version__)
_EXPORTS: dict[str, tuple[str, str]] = {
    # the jobs
    "simulate_cube": ("sarslide.simulate.run", "simulate_cube"),
    "build_cube": ("sarslide.sources.build", "build_cube"),
    "fetch": ("sarslide.sources.zenodo", "fetch"),
    "train": ("sarslide.training.run", "train"),
    "evaluate": ("sarslide.experiments.evaluate", "evaluate"),
    "predict": ("sarslide.inference.predict", "predict"),
    "respond": ("sarslide.response.run", "respond_to_event"),
    "run_ablation": ("sarslide.experiments.study", "run_ablation"),
    "run_transfer": ("sarslide.experiments.transfer", "run_transfer"),
    "insar_train": ("sarslide.insar.run", "train_isslide"),
    "insar_evaluate": ("sarslide.insar.run", "evaluate_isslide_run"),
    "insar_run": ("sarslide.insar.run", "run_isslide"),
    "insar_demo": ("sarslide.insar.demo", "run_isslide_demo"),
    # their configs
    "EventCubeSpec": ("sarslide.simulate.config", "EventCubeSpec"),
    "BuildConfig": ("sarslide.sources.config", "BuildConfig"),
    "FetchConfig": ("sarslide.sources.config", "FetchConfig"),
    "TrainConfig": ("sarslide.training.config", "TrainConfig"),
    "DataConfig": ("sarslide.chips.config", "DataConfig"),
    "EvaluateConfig": ("sarslide.evaluation.config", "EvaluateConfig"),
    "PredictConfig": ("sarslide.inference.config", "PredictConfig"),
    "RespondConfig": ("sarslide.response.config", "RespondConfig"),
    "AblationConfig": ("sarslide.experiments.config", "AblationConfig"),
    "TransferConfig": ("sarslide.experiments.config", "TransferConfig"),
    "IsslideRunConfig": ("sarslide.insar.config", "IsslideRunConfig"),
    "IsslideEvaluateConfig": ("sarslide.insar.config", "IsslideEvaluateConfig"),
    "IsslideDemoConfig": ("sarslide.insar.config", "IsslideDemoConfig"),
}
__all__ = [
    "AblationConfig",
    "BuildConfig",
    "DataConfig",
    "EvaluateConfig",
    "EventCubeSpec",
    "FetchConfig",
    "IsslideDemoConfig",
    "IsslideEvaluateConfig",
    "IsslideRunConfig",
    "PredictConfig",
    "RespondConfig",
    "TrainConfig",
    "TransferConfig",
    "__version__",
    "build_cube",
    "evaluate",
    "fetch",
    "insar_demo",
    "insar_evaluate",
    "insar_run",
    "insar_train",
    "predict",
    "respond",
    "run_ablation",
    "run_transfer",
    "simulate_cube",
    "train",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module_name, attribute = _EXPORTS[name]
    return getattr(importlib.import_module(module_name), attribute)


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
