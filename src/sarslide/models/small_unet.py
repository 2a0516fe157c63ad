"""A plain small U-Net (conv-BN-ReLU blocks) that trains in minutes on a CPU."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from sarslide.errors import ConfigError, DataSelectionError
from sarslide.models.registry import register_model


class ConvBlock(nn.Sequential):
    """Two 3x3 convolutions, each followed by batch norm and ReLU."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__(
            nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
        )


class SmallUNet(nn.Module):
    """U-Net with ``depth`` poolings and ``base_filters * 2**level`` channels per level.

    Args:
        in_channels: Input channels.
        num_classes: Output channels (logits).
        base_filters: Channels of the first level.
        depth: Number of 2x down-samplings; inputs must be multiples of ``2**depth``.
    """

    def __init__(
        self, in_channels: int, num_classes: int, *, base_filters: int = 16, depth: int = 4
    ) -> None:
        super().__init__()
        if depth < 1 or base_filters < 1:
            raise ConfigError(
                f"SmallUNet needs depth >= 1 and base_filters >= 1, got {depth=}, {base_filters=}."
            )
        widths = [base_filters * 2**level for level in range(depth + 1)]
        self.encoder = nn.ModuleList([ConvBlock(in_channels, widths[0])])
        self.encoder.extend(ConvBlock(widths[i], widths[i + 1]) for i in range(depth))
        self.pool = nn.MaxPool2d(2)
        self.upsample = nn.ModuleList(
            nn.ConvTranspose2d(widths[i + 1], widths[i], 2, stride=2)
            for i in reversed(range(depth))
        )
        self.decoder = nn.ModuleList(
            ConvBlock(2 * widths[i], widths[i]) for i in reversed(range(depth))
        )
        self.head = nn.Conv2d(widths[0], num_classes, 1)
        self.input_stride_px = 2**depth

    def _check_input(self, x: torch.Tensor) -> None:
        height, width = x.shape[-2:]
        stride = self.input_stride_px
        if height % stride or width % stride:
            new_h, new_w = -(-height // stride) * stride, -(-width // stride) * stride
            raise DataSelectionError(
                f"SmallUNet(depth={stride.bit_length() - 1}) needs height and width divisible "
                f"by {stride} px; got {height} x {width}. Pad the input to {new_h} x {new_w} "
                f"or use a chip size that is a multiple of {stride}."
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``(B, C, H, W)`` inputs to ``(B, num_classes, H, W)`` logits."""
        self._check_input(x)
        skips = []
        for level, block in enumerate(self.encoder):
            x = block(x if level == 0 else self.pool(x))
            skips.append(x)
        x = skips.pop()
        for up, block in zip(self.upsample, self.decoder, strict=True):
            x = block(torch.cat([skips.pop(), up(x)], dim=1))
        return self.head(x)


def _reject_pretrained(name: str, encoder_weights: str | None) -> None:
    if encoder_weights is not None:
        raise ConfigError(
            f"Model {name!r} has no pretrained encoder; set encoder_weights to null "
            f"(got {encoder_weights!r})."
        )


@register_model(
    "unet-small",
    description="plain U-Net, 16 base filters, depth 4 (~1.9 M parameters; CPU-friendly)",
    stride_px=16,
)
def build_unet_small(
    *, in_channels: int, num_classes: int, encoder_weights: str | None = None, **kwargs: Any
) -> SmallUNet:
    """Plain U-Net with 16 base filters and depth 4 (both overridable)."""
    _reject_pretrained("unet-small", encoder_weights)
    options = {"base_filters": 16, "depth": 4, **kwargs}
    return SmallUNet(in_channels, num_classes, **options)


@register_model(
    "unet-tiny",
    description="plain U-Net, 8 base filters, depth 3 (for tests and smoke runs)",
    stride_px=8,
)
def build_unet_tiny(
    *, in_channels: int, num_classes: int, encoder_weights: str | None = None, **kwargs: Any
) -> SmallUNet:
    """Plain U-Net with 8 base filters and depth 3 (both overridable)."""
    _reject_pretrained("unet-tiny", encoder_weights)
    options = {"base_filters": 8, "depth": 3, **kwargs}
    return SmallUNet(in_channels, num_classes, **options)
