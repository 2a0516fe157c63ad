"""Compatibility shims for third-party packages.

``torchvision_ops`` makes the CUDA-only torchvision wheel import next to a CPU-only
torch; ``torch_stack`` is where torchvision, torchmetrics, Lightning and
segmentation_models_pytorch are imported from, after that shim. Importing this package
imports neither torch nor torchvision.
"""

from sarslide.compat.torchvision_ops import ensure_torchvision_importable

__all__ = ["ensure_torchvision_importable"]
