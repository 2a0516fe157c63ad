"""LandslideDataModule: train-only standardisation, nodata masked, flips on train only."""

from __future__ import annotations

import numpy as np
import torch

from sarslide.chips import ChipArrays, ChipSplits, NormalisationStats, SplitPlan
from sarslide.training.datamodule import LandslideDataModule, chips_to_tensors, flip_batch


def make_chips(n: int, offset: float, seed: int) -> ChipArrays:
    rng = np.random.default_rng(seed)
    inputs = (rng.normal(offset, 1.0, (n, 2, 8, 8))).astype(np.float32)
    labels = (rng.random((n, 8, 8)) < 0.3).astype(np.uint8)
    origins = np.zeros((n, 2), dtype=np.int64)
    return ChipArrays(inputs, labels, origins, ["a", "b"], {})


def test_chips_to_tensors_standardises_and_masks_nodata() -> None:
    chips = make_chips(3, 5.0, 0)
    chips.inputs[0, 1, 2, 3] = np.nan
    stats = NormalisationStats(["a", "b"], np.array([5.0, 5.0]), np.array([2.0, 2.0]))
    x, y = chips_to_tensors(chips, stats)
    assert x.dtype == torch.float32 and y.dtype == torch.int64
    expected = (chips.inputs[1, 0] - 5.0) / 2.0
    np.testing.assert_allclose(x[1, 0].numpy(), expected, rtol=1e-6)
    assert x[0, 1, 2, 3] == 0.0  # NaN -> 0 after standardising
    assert y[0, 2, 3] == 255
    assert int((y == 255).sum()) == 1


def test_datamodule_uses_train_statistics_for_every_split() -> None:
    train, val, test = make_chips(6, 0.0, 1), make_chips(2, 50.0, 2), make_chips(2, 50.0, 3)
    stats = NormalisationStats(
        ["a", "b"], train.inputs.mean(axis=(0, 2, 3)), train.inputs.std(axis=(0, 2, 3))
    )
    plan = SplitPlan.__new__(SplitPlan)
    splits = ChipSplits(train, val, test, ["a", "b"], stats, plan, "spatial")
    dm = LandslideDataModule(splits, batch_size=4, augment_flips=False)
    x_val, _ = dm.dataset("val").tensors
    # Val values are far from train's mean: standardised with train stats, not their own.
    assert float(x_val.mean()) > 20
    assert dm.in_channels == 2
    assert len(next(iter(dm.train_dataloader()))[0]) == 4


def test_flip_batch_flips_inputs_and_labels_together() -> None:
    x = torch.arange(2 * 1 * 4 * 4, dtype=torch.float32).reshape(2, 1, 4, 4)
    y = x[:, 0].long()
    fx, fy = flip_batch(x, y, generator=torch.Generator().manual_seed(0))
    assert torch.equal(fx[:, 0].long(), fy)
    assert sorted(fx.flatten().tolist()) == sorted(x.flatten().tolist())
