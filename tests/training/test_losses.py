"""Losses: finite, nodata ignored, class-count checks."""

from __future__ import annotations

import pytest
import torch

from sarslide.errors import ConfigError
from sarslide.training.losses import SegmentationLoss


@pytest.mark.parametrize("name", ["ce", "dice", "focal", "bce"])
def test_ignored_pixels_do_not_change_the_loss(name: str) -> None:
    classes = 1 if name == "bce" else 2
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(2, classes, 8, 8, generator=gen, requires_grad=True)
    target = (torch.rand(2, 8, 8, generator=gen) < 0.3).long()
    loss_fn = SegmentationLoss(name, num_classes=classes)
    masked = target.clone()
    masked[:, :4] = 255
    changed_logits = logits.detach().clone()
    changed_logits[:, :, :4] += 5.0  # only ignored pixels change
    a = loss_fn(logits[:, :, 4:], target[:, 4:])
    b = loss_fn(changed_logits.requires_grad_(), masked)
    assert torch.isfinite(a)
    assert a.item() == pytest.approx(b.item(), rel=1e-5)
    b.backward()


def test_all_ignored_gives_zero_with_gradient() -> None:
    logits = torch.randn(1, 2, 4, 4, requires_grad=True)
    loss = SegmentationLoss("ce", num_classes=2)(logits, torch.full((1, 4, 4), 255))
    assert loss.item() == 0.0
    loss.backward()


def test_class_count_mismatch_is_clear() -> None:
    with pytest.raises(ConfigError, match="needs num_classes=1"):
        SegmentationLoss("bce", num_classes=2)
    with pytest.raises(ConfigError, match="use loss 'bce'"):
        SegmentationLoss("ce", num_classes=1)
