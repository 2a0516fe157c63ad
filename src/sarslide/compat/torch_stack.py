"""torchvision and the packages that import it, importable next to a CPU-only torch.

The one place that calls :func:`~sarslide.compat.torchvision_ops.ensure_torchvision_importable`:
import ``lightning``, ``torchmetrics``, ``torchvision``, ``segmentation_models_pytorch`` and
``torchgeo`` (optional: the ``[torchgeo]`` extra; its datasets, datamodules and trainers
are loaded with it) from here (``from sarslide.compat.torch_stack import lightning``),
never directly, so
torchvision's op schemas are registered before any of them loads it. Each module is
imported on first access (module ``__getattr__``): asking for ``torchvision`` (the
ISSLIDE FCN / DeepLabV3 builders) does not pay for Lightning (about 10 s cold).
"""

from __future__ import annotations

import importlib
import sys
from typing import TYPE_CHECKING, Any

from sarslide.compat.torchvision_ops import ensure_torchvision_importable

if TYPE_CHECKING:
    import lightning
    import segmentation_models_pytorch
    import torchgeo
    import torchgeo.datamodules
    import torchgeo.datasets
    import torchgeo.trainers
    import torchmetrics
    import torchvision

__all__ = ["lightning", "segmentation_models_pytorch", "torchgeo", "torchmetrics", "torchvision"]
# Submodules a package's users reach as attributes (``torchgeo.datasets.NonGeoDataset``).
_SUBMODULES = {"torchgeo": ("torchgeo.datasets", "torchgeo.datamodules", "torchgeo.trainers")}


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    ensure_torchvision_importable()
    try:
        for submodule in _SUBMODULES.get(name, (name,)):
            importlib.import_module(submodule)
    except ModuleNotFoundError as err:
        if name == "torchgeo" and err.name == "torchgeo":
            raise ModuleNotFoundError(
                "torchgeo is not installed: pip install 'sarslide[torchgeo]' (it installs "
                "next to the pinned torch) to use sarslide.torchgeo.",
                name="torchgeo",
            ) from err
        raise
    module = sys.modules[name]
    globals()[name] = module
    return module
