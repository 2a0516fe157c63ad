"""Segmentation models behind one registry.

Example:
    >>> from sarslide.models import create_model, list_models
    >>> model = create_model("unet-small", in_channels=4, num_classes=2)
"""

from sarslide.models import isslide, small_unet, unet  # noqa: F401  (register builders)
from sarslide.models.registry import (
    ModelSpec,
    check_input_shape,
    create_model,
    get_model_spec,
    list_models,
    register_model,
)

__all__ = [
    "ModelSpec",
    "check_input_shape",
    "create_model",
    "get_model_spec",
    "list_models",
    "register_model",
]
