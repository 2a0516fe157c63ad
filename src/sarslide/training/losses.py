"""Segmentation losses over ``(B, K, H, W)`` logits and ``(B, H, W)`` integer targets.

``K == 2``: softmax over classes; ``K == 1``: a single sigmoid logit. Target pixels
equal to ``ignore_index`` (nodata) contribute nothing.
"""

from __future__ import annotations

import torch
import torch.nn.functional as nnf
from torch import nn

from sarslide.errors import ConfigError
from sarslide.models.predict import positive_probability

LOSS_NAMES = ("ce", "dice", "focal", "bce")


class SegmentationLoss(nn.Module):
    """One of 'ce', 'dice', 'focal', 'bce', with nodata pixels ignored.

    Args:
        name: Loss name.
        num_classes: Model outputs (1 for 'bce'; 2 for the others).
        ignore_index: Target value to ignore.
        focal_gamma: Focusing exponent of the focal loss.
    """

    def __init__(
        self, name: str, *, num_classes: int, ignore_index: int = 255, focal_gamma: float = 2.0
    ) -> None:
        super().__init__()
        if name not in LOSS_NAMES:
            raise ConfigError(f"Unknown loss {name!r}; use one of {list(LOSS_NAMES)}.")
        if name == "bce" and num_classes != 1:
            raise ConfigError(f"Loss 'bce' needs num_classes=1, got {num_classes}.")
        if name != "bce" and num_classes != 2:
            raise ConfigError(
                f"Loss {name!r} needs num_classes=2 (softmax), got {num_classes}; "
                "use loss 'bce' for a single-logit model."
            )
        self.name = name
        self.ignore_index = ignore_index
        self.focal_gamma = focal_gamma

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Mean loss over valid pixels (0 with gradient when none is valid)."""
        target = target.long()
        valid = target != self.ignore_index
        if not bool(valid.any()):
            return logits.sum() * 0.0
        if self.name == "ce":
            return nnf.cross_entropy(logits, target, ignore_index=self.ignore_index)
        y = torch.where(valid, target, torch.zeros_like(target)).float()
        if self.name == "bce":
            per_pixel = nnf.binary_cross_entropy_with_logits(logits[:, 0], y, reduction="none")
            return per_pixel[valid].mean()
        if self.name == "focal":
            log_p = nnf.log_softmax(logits, dim=1)
            log_pt = log_p.gather(1, y.long().unsqueeze(1)).squeeze(1)
            per_pixel = -((1 - log_pt.exp()) ** self.focal_gamma) * log_pt
            return per_pixel[valid].mean()
        prob = positive_probability(logits)[valid]
        y_valid = y[valid]
        intersection = (prob * y_valid).sum()
        return 1 - (2 * intersection + 1.0) / (prob.sum() + y_valid.sum() + 1.0)
