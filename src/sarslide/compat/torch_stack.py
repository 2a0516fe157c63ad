"""torchvision and the packages that import it, importable next to a CPU-only torch.

The one place that calls :func:`~sarslide.compat.torchvision_ops.ensure_torchvision_importable`:
import ``lightning``, ``torchmetrics``, ``torchvision`` and ``segmentation_models_pytorch``
from here (``from sarslide.compat.torch_stack import lightning``), never directly, so
torchvision's op schemas are registered before any of them loads it. Each module is
imported on first access (module ``__getattr__``): asking for ``torchvision`` (the
ISSLIDE FCN / DeepLabV3 builders) does not pay for Lightning (about 10 s cold).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from sarslide.compat.torchvision_ops import ensure_torchvision_importable

if TYPE_CHECKING:
    import lightning
    import segmentation_models_pytorch
    import torchmetrics
    import torchvision

__all__ = ["lightning", "segmentation_models_pytorch", "torchmetrics", "torchvision"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    ensure_torchvision_importable()
    module = importlib.import_module(name)
    globals()[name] = module
    return module
