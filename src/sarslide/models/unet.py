"""segmentation_models_pytorch U-Nets with explicit encoder weights.

``unet-resnet50`` is the architecture the paper text describes; ``unetplusplus-resnet50``
is what its code trained (48,982,754 trainable parameters with 2 inputs and 2
classes). Nothing downloads unless ``encoder_weights`` names a pretrained set.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch

from sarslide.errors import ConfigError
from sarslide.models.registry import register_model

logger = logging.getLogger(__name__)

SMP_STRIDE_PX = 32


def build_smp_model(
    arch: str,
    encoder_name: str,
    *,
    in_channels: int,
    num_classes: int,
    encoder_weights: str | None,
    **kwargs: Any,
) -> Any:
    """Build an smp model; ``encoder_weights`` is None, a local file, or a named set."""
    # Here, not at module top: smp (with timm and torchvision) takes seconds to import
    # and only these builders need it; the small U-Nets and prediction do not.
    from sarslide.compat.torch_stack import segmentation_models_pytorch as smp

    local_path = _local_weights_path(encoder_weights)
    named = None if (encoder_weights is None or local_path is not None) else encoder_weights
    if named is not None:
        logger.warning(
            "Encoder weights %r requested: smp downloads them if they are not cached.", named
        )
    model = smp.create_model(
        arch,
        encoder_name=encoder_name,
        encoder_weights=named,
        in_channels=in_channels,
        classes=num_classes,
        **kwargs,
    )
    if local_path is not None:
        load_encoder_weights(model.encoder, local_path)
    return model


def _local_weights_path(encoder_weights: str | None) -> Path | None:
    if encoder_weights is None:
        return None
    looks_like_path = any(s in encoder_weights for s in ("/", "\\")) or encoder_weights.endswith(
        (".pt", ".pth", ".bin", ".safetensors", ".ckpt")
    )
    if not looks_like_path:
        return None
    path = Path(encoder_weights).expanduser()
    if not path.is_file():
        raise ConfigError(
            f"Encoder weights file {encoder_weights!r} does not exist. Give an existing "
            "local state-dict file, a named pretrained set such as 'imagenet', or null."
        )
    return path


def load_encoder_weights(encoder: Any, path: Path) -> None:
    """Load a state dict from ``path`` into ``encoder``; adapt the first conv's channels.

    A 3-channel first convolution (ImageNet) is adapted to the encoder's input channels
    by averaging over input channels and repeating, scaled to keep activations' size.
    """
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for bad files
        raise ConfigError(f"Cannot read encoder weights file {str(path)!r}: {exc}") from exc
    if isinstance(state, dict) and "state_dict" in state:
        state = state["state_dict"]
    own = encoder.state_dict()
    adapted = {}
    for key, value in state.items():
        if key in own and own[key].shape != value.shape and value.ndim == 4:
            target = own[key].shape
            if value.shape[0] == target[0] and value.shape[2:] == target[2:]:
                mean = value.mean(dim=1, keepdim=True)
                value = mean.repeat(1, target[1], 1, 1) * (value.shape[1] / target[1])
        adapted[key] = value
    unknown = [k for k in adapted if k not in own]
    missing = [k for k in own if k not in adapted]
    if unknown or missing:
        raise ConfigError(
            f"Encoder weights {str(path)!r} do not match the encoder: {len(missing)} missing "
            f"keys (e.g. {missing[:3]}), {len(unknown)} unexpected keys (e.g. {unknown[:3]})."
        )
    encoder.load_state_dict(adapted)


@register_model(
    "unet-resnet50",
    description="U-Net, ResNet-50 encoder (smp; the architecture the paper text states)",
    stride_px=SMP_STRIDE_PX,
)
def build_unet_resnet50(**kwargs: Any) -> Any:
    """U-Net with a ResNet-50 encoder."""
    return build_smp_model("unet", "resnet50", **kwargs)


@register_model(
    "unetplusplus-resnet50",
    description="U-Net++, ResNet-50 encoder (smp; what the paper's code trained)",
    stride_px=SMP_STRIDE_PX,
)
def build_unetplusplus_resnet50(**kwargs: Any) -> Any:
    """U-Net++ with a ResNet-50 encoder."""
    return build_smp_model("unetplusplus", "resnet50", **kwargs)


@register_model(
    "unet-resnet18",
    description="U-Net, ResNet-18 encoder (smp; a lighter encoder for CPU runs)",
    stride_px=SMP_STRIDE_PX,
)
def build_unet_resnet18(**kwargs: Any) -> Any:
    """U-Net with a ResNet-18 encoder."""
    return build_smp_model("unet", "resnet18", **kwargs)
