"""The ISSLIDE baselines (Bralet et al. 2024), registered in the model registry.

- ``fcn-resnet50``, ``deeplabv3-resnet50``: torchvision builders with no downloaded
  weights (``weights=None, weights_backbone=None``), the first convolution adapted to
  ``in_channels`` (3: coherence, cos, sin), one output per class. ``encoder_weights``
  may be a LOCAL state-dict file of the whole torchvision model (e.g. PASCAL VOC
  weights the user saved); layers whose shape differs (classifier heads, a 3-channel
  first conv when in_channels != 3) are adapted or left at random init and logged.
- ``isslide-unet``, ``isslide-resunet``, ``isslide-sepunet``: small U-Nets with plain,
  residual and depthwise-separable blocks. SepUNet uses ``depth_multiplier`` kernels per
  channel in its depthwise convolutions (2, as the paper says). Inputs of any size are
  reflect-padded to a multiple of ``2**depth`` and cropped back (ISSLIDE patches are
  100 x 100).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

from sarslide.errors import ConfigError
from sarslide.models.registry import register_model

logger = logging.getLogger(__name__)


def _norm_act(channels: int) -> list[nn.Module]:
    return [nn.BatchNorm2d(channels), nn.ReLU(inplace=True)]


class PlainBlock(nn.Sequential):
    """Two 3x3 conv-BN-ReLU."""

    def __init__(self, in_channels: int, out_channels: int, **_: Any) -> None:
        super().__init__(
            nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
            *_norm_act(out_channels),
            nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
            *_norm_act(out_channels),
        )


class ResidualBlock(nn.Module):
    """Two 3x3 convs with an identity (or 1x1 projection) shortcut (He et al. 2016)."""

    def __init__(self, in_channels: int, out_channels: int, **_: Any) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
            *_norm_act(out_channels),
            nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
        )
        self.shortcut: nn.Module = (
            nn.Identity()
            if in_channels == out_channels
            else nn.Sequential(
                nn.Conv2d(in_channels, out_channels, 1, bias=False), nn.BatchNorm2d(out_channels)
            )
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.body(x) + self.shortcut(x))


class SeparableConv(nn.Sequential):
    """Depthwise 3x3 conv with ``depth_multiplier`` kernels per channel, then pointwise 1x1."""

    def __init__(self, in_channels: int, out_channels: int, depth_multiplier: int) -> None:
        mid = in_channels * depth_multiplier
        super().__init__(
            nn.Conv2d(in_channels, mid, 3, padding=1, groups=in_channels, bias=False),
            nn.Conv2d(mid, out_channels, 1, bias=False),
        )


class SeparableBlock(nn.Sequential):
    """Two separable conv-BN-ReLU (Chollet 2017)."""

    def __init__(self, in_channels: int, out_channels: int, *, depth_multiplier: int = 2) -> None:
        super().__init__(
            SeparableConv(in_channels, out_channels, depth_multiplier),
            *_norm_act(out_channels),
            SeparableConv(out_channels, out_channels, depth_multiplier),
            *_norm_act(out_channels),
        )


BLOCKS: dict[str, type[nn.Module]] = {
    "plain": PlainBlock,
    "residual": ResidualBlock,
    "separable": SeparableBlock,
}


class IsslideUNet(nn.Module):
    """U-Net whose encoder/decoder blocks are plain, residual or separable.

    Args:
        in_channels: Input channels.
        num_classes: Output logits (1 for BCE).
        block: ``plain``, ``residual`` or ``separable``.
        base_filters: Channels of the first level (doubled at each level).
        depth: Number of 2x down-samplings.
        depth_multiplier: Kernels per channel in separable blocks' depthwise convs.
    """

    def __init__(
        self,
        in_channels: int,
        num_classes: int,
        *,
        block: str = "plain",
        base_filters: int = 16,
        depth: int = 3,
        depth_multiplier: int = 2,
    ) -> None:
        super().__init__()
        if block not in BLOCKS:
            raise ConfigError(f"Unknown block {block!r}; use one of {sorted(BLOCKS)}.")
        if depth < 1 or base_filters < 1 or depth_multiplier < 1:
            raise ConfigError(
                f"Need depth, base_filters and depth_multiplier >= 1; got {depth=}, "
                f"{base_filters=}, {depth_multiplier=}."
            )
        make = BLOCKS[block]
        widths = [base_filters * 2**level for level in range(depth + 1)]
        first = (
            PlainBlock(in_channels, widths[0])
            if block == "separable"
            else make(in_channels, widths[0])
        )
        self.encoder = nn.ModuleList([first])
        self.encoder.extend(
            make(widths[i], widths[i + 1], depth_multiplier=depth_multiplier) for i in range(depth)
        )
        self.upsample = nn.ModuleList(
            nn.ConvTranspose2d(widths[i + 1], widths[i], 2, stride=2)
            for i in reversed(range(depth))
        )
        self.decoder = nn.ModuleList(
            make(2 * widths[i], widths[i], depth_multiplier=depth_multiplier)
            for i in reversed(range(depth))
        )
        self.head = nn.Conv2d(widths[0], num_classes, 1)
        self.stride_px = 2**depth

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W)`` -> ``(B, num_classes, H, W)`` logits, for any H, W."""
        height, width = x.shape[-2:]
        pad_h, pad_w = -height % self.stride_px, -width % self.stride_px
        if pad_h or pad_w:
            mode = "reflect" if min(height, width) > max(pad_h, pad_w) else "replicate"
            x = F.pad(x, (0, pad_w, 0, pad_h), mode=mode)
        skips = []
        for level, block in enumerate(self.encoder):
            x = block(x if level == 0 else F.max_pool2d(x, 2))
            skips.append(x)
        x = skips.pop()
        for up, block in zip(self.upsample, self.decoder, strict=True):
            x = block(torch.cat([skips.pop(), up(x)], dim=1))
        return self.head(x)[..., :height, :width]


def _unet(
    block: str,
    name: str,
    in_channels: int,
    num_classes: int,
    encoder_weights: str | None,
    **kwargs: Any,
) -> IsslideUNet:
    if encoder_weights is not None:
        raise ConfigError(f"Model {name!r} has no pretrained encoder; set encoder_weights to null.")
    return IsslideUNet(in_channels, num_classes, block=block, **kwargs)


@register_model(
    "isslide-unet", description="ISSLIDE small U-Net, plain conv blocks (16 base, depth 3)"
)
def build_isslide_unet(
    *, in_channels: int, num_classes: int, encoder_weights: str | None = None, **kwargs: Any
) -> IsslideUNet:
    """Small U-Net with plain blocks."""
    return _unet("plain", "isslide-unet", in_channels, num_classes, encoder_weights, **kwargs)


@register_model(
    "isslide-resunet", description="ISSLIDE small U-Net, residual blocks (16 base, depth 3)"
)
def build_isslide_resunet(
    *, in_channels: int, num_classes: int, encoder_weights: str | None = None, **kwargs: Any
) -> IsslideUNet:
    """Small U-Net with residual blocks."""
    return _unet("residual", "isslide-resunet", in_channels, num_classes, encoder_weights, **kwargs)


@register_model(
    "isslide-sepunet",
    description="ISSLIDE small U-Net, depthwise-separable blocks, 2 kernels per channel",
)
def build_isslide_sepunet(
    *, in_channels: int, num_classes: int, encoder_weights: str | None = None, **kwargs: Any
) -> IsslideUNet:
    """Small U-Net with separable blocks (``depth_multiplier`` 2 by default)."""
    return _unet(
        "separable", "isslide-sepunet", in_channels, num_classes, encoder_weights, **kwargs
    )


class TorchvisionSegmenter(nn.Module):
    """Wrap a torchvision segmentation model so that it returns the ``out`` tensor."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)["out"]


def _torchvision_model(
    arch: str, in_channels: int, num_classes: int, encoder_weights: str | None, **kwargs: Any
) -> TorchvisionSegmenter:
    # Here, not at module top: torchvision takes seconds to import and only the FCN /
    # DeepLabV3 builders need it.
    from sarslide.compat.torch_stack import torchvision

    builder = getattr(torchvision.models.segmentation, arch)
    model = builder(
        weights=None, weights_backbone=None, num_classes=num_classes, aux_loss=False, **kwargs
    )
    if in_channels != 3:
        old = model.backbone.conv1
        model.backbone.conv1 = nn.Conv2d(
            in_channels, old.out_channels, 7, stride=2, padding=3, bias=False
        )
    if encoder_weights is not None:
        load_local_weights(model, encoder_weights)
    return TorchvisionSegmenter(model)


def load_local_weights(model: nn.Module, path: str) -> None:
    """Load a LOCAL state dict into ``model``; never downloads.

    Tensors of another shape are adapted when only the input channels differ (mean
    over input channels, repeated) and otherwise left at random init; both are logged.
    """
    file = Path(path).expanduser()
    if not file.is_file():
        raise ConfigError(
            f"Weights file {path!r} does not exist. ISSLIDE torchvision models take a local "
            "state-dict file (nothing is downloaded) or null for training from scratch."
        )
    try:
        state = torch.load(file, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for bad files
        raise ConfigError(f"Cannot read weights file {str(file)!r}: {exc}") from exc
    state = state.get("state_dict", state) if isinstance(state, dict) else state
    own = model.state_dict()
    adapted, skipped = {}, []
    for key, value in state.items():
        if key not in own:
            skipped.append(key)
            continue
        target = own[key].shape
        if value.shape == target:
            adapted[key] = value
        elif value.ndim == 4 and value.shape[0] == target[0] and value.shape[2:] == target[2:]:
            adapted[key] = value.mean(1, keepdim=True).repeat(1, target[1], 1, 1) * (
                value.shape[1] / target[1]
            )
        else:
            skipped.append(key)
    if not adapted:
        raise ConfigError(f"No tensor of {str(file)!r} fits this model: wrong weights file?")
    model.load_state_dict(adapted, strict=False)
    logger.info(
        "loaded %d tensors from %s; kept random init for %d", len(adapted), file, len(skipped)
    )


@register_model(
    "fcn-resnet50",
    description="FCN, ResNet-50 backbone (torchvision; from scratch or local weights)",
)
def build_fcn_resnet50(
    *, in_channels: int, num_classes: int, encoder_weights: str | None = None, **kwargs: Any
) -> TorchvisionSegmenter:
    """torchvision ``fcn_resnet50`` with ``in_channels`` inputs."""
    return _torchvision_model("fcn_resnet50", in_channels, num_classes, encoder_weights, **kwargs)


@register_model(
    "deeplabv3-resnet50",
    description="DeepLabV3, ResNet-50 backbone (torchvision; from scratch or local weights)",
)
def build_deeplabv3_resnet50(
    *, in_channels: int, num_classes: int, encoder_weights: str | None = None, **kwargs: Any
) -> TorchvisionSegmenter:
    """torchvision ``deeplabv3_resnet50`` with ``in_channels`` inputs."""
    return _torchvision_model(
        "deeplabv3_resnet50", in_channels, num_classes, encoder_weights, **kwargs
    )
