"""Segmentation models behind one registry, their checkpoints and the one predictor.

- ``registry``: ``create_model(name, ...)``, ``list_models()``, ``get_model_spec()``;
  the built-in builders (``small_unet``, ``unet``, ``isslide``) load on first look-up.
- ``checkpoints``: the one checkpoint format and loader, ``load_model_from_checkpoint``
  -> (model, :class:`~sarslide.models.checkpoints.ModelBundle`); no Lightning needed.
- ``predict``: the one predictor, ``predict_probabilities`` (batched,
  ``torch.inference_mode``) and the logits -> probability rule.

Example:
    >>> from sarslide.models import create_model, list_models
    >>> model = create_model("unet-small", in_channels=4, num_classes=2)
"""

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
