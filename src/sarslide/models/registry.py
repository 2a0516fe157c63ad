"""One registry of segmentation models: ``create_model(name, in_channels=...)``.

Builders register themselves with :func:`register_model`; the built-in ones (modules
``small_unet``, ``unet``, ``isslide``, which import torch) are imported on the first
look-up, so importing the registry costs nothing. Every builder takes
``in_channels``, ``num_classes`` and ``encoder_weights`` (``None`` = random init;
nothing is ever downloaded unless a user asks for it by name) plus its own keywords,
and returns an ``nn.Module`` mapping ``(B, in_channels, H, W)`` to
``(B, num_classes, H, W)`` logits.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sarslide.errors import ConfigError, DataSelectionError

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

ModelBuilder = Callable[..., "torch.nn.Module"]


@dataclass(frozen=True)
class ModelSpec:
    """A registered model: its name, builder and input constraints.

    Attributes:
        name: Registry name (``unet-resnet50``).
        builder: ``builder(*, in_channels, num_classes, encoder_weights, **kwargs)``.
        description: One line for ``list_models`` and error messages.
        stride_px: Height and width of inputs must be multiples of this.
    """

    name: str
    builder: ModelBuilder
    description: str
    stride_px: int = 1


_REGISTRY: dict[str, ModelSpec] = {}
BUILTIN_MODEL_MODULES = (
    "sarslide.models.small_unet",
    "sarslide.models.unet",
    "sarslide.models.isslide",
)


def register_builtin_models() -> None:
    """Import the built-in model modules (each registers its builders; torch loads here)."""
    for module in BUILTIN_MODEL_MODULES:
        importlib.import_module(module)


def register_model(
    name: str, *, description: str, stride_px: int = 1
) -> Callable[[ModelBuilder], ModelBuilder]:
    """Decorator that registers a model builder under ``name``.

    Args:
        name: Registry name; must be unique.
        description: One line shown by ``list_models`` and in errors.
        stride_px: Inputs' height and width must be multiples of this.

    Raises:
        ConfigError: When ``name`` is already registered to another builder.
    """

    def decorate(builder: ModelBuilder) -> ModelBuilder:
        existing = _REGISTRY.get(name)
        if existing is not None and existing.builder is not builder:
            raise ConfigError(
                f"Model name {name!r} is already registered (by {existing.builder.__module__}); "
                "choose another name."
            )
        _REGISTRY[name] = ModelSpec(name, builder, description, stride_px)
        return builder

    return decorate


def list_models() -> dict[str, str]:
    """Return ``{name: description}`` of every registered model, sorted by name."""
    register_builtin_models()
    return {name: _REGISTRY[name].description for name in sorted(_REGISTRY)}


def get_model_spec(name: str) -> ModelSpec:
    """Return the :class:`ModelSpec` of ``name``.

    Raises:
        ConfigError: Unknown name; the message lists the valid ones.
    """
    register_builtin_models()
    spec = _REGISTRY.get(name)
    if spec is None:
        valid = ", ".join(sorted(_REGISTRY))
        raise ConfigError(f"Unknown model name {name!r}. Valid names: {valid}.")
    return spec


def create_model(
    name: str,
    *,
    in_channels: int,
    num_classes: int = 2,
    encoder_weights: str | None = None,
    **kwargs: Any,
) -> torch.nn.Module:
    """Build the registered model ``name``.

    Args:
        name: A name from :func:`list_models`.
        in_channels: Number of input channels.
        num_classes: Output channels (2 for softmax cross-entropy, 1 for BCE).
        encoder_weights: ``None`` (random init, the default), a local weights file,
            or a named pretrained set (e.g. ``"imagenet"``, which downloads).
        **kwargs: Builder-specific options.

    Raises:
        ConfigError: Unknown name, bad channel/class counts or bad builder options.
    """
    spec = get_model_spec(name)
    if in_channels < 1:
        raise ConfigError(f"in_channels must be >= 1, got {in_channels}.")
    if num_classes < 1:
        raise ConfigError(f"num_classes must be >= 1, got {num_classes}.")
    try:
        model = spec.builder(
            in_channels=in_channels,
            num_classes=num_classes,
            encoder_weights=encoder_weights,
            **kwargs,
        )
    except TypeError as exc:
        raise ConfigError(f"Invalid options {sorted(kwargs)} for model {name!r}: {exc}") from exc
    except OSError as exc:  # a pretrained set that cannot download (offline, proxy, 404)
        if encoder_weights is None:
            raise
        raise ConfigError(
            f"Cannot get the {encoder_weights!r} encoder weights of model {name!r} ({exc}). "
            "Run once with network access so they download into the cache, give a local "
            "weights file, or set model.encoder_weights: null (random init)."
        ) from exc
    logger.debug("Built model %s (in_channels=%d, classes=%d)", name, in_channels, num_classes)
    return model


def check_input_shape(name: str, height_px: int, width_px: int) -> None:
    """Raise a clear error when ``(height_px, width_px)`` does not fit model ``name``.

    Raises:
        DataSelectionError: Height or width is not a multiple of the model's stride;
            the message says how much padding makes it fit.
    """
    stride = get_model_spec(name).stride_px
    if height_px % stride == 0 and width_px % stride == 0:
        return
    new_h = -(-height_px // stride) * stride
    new_w = -(-width_px // stride) * stride
    raise DataSelectionError(
        f"Model {name!r} needs height and width divisible by {stride} px; got "
        f"{height_px} x {width_px}. Pad the input to {new_h} x {new_w} "
        f"(add {new_h - height_px} rows and {new_w - width_px} columns, e.g. reflect "
        f"padding) or choose a chip size that is a multiple of {stride}."
    )
