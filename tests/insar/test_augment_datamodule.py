"""Phase-offset augmentation: correct on cos/sin, and never applied to evaluation data."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from sarslide.insar.augment import apply_phase_offset, apply_random_phase_offset
from sarslide.insar.datamodule import IsslideDataModule
from sarslide.insar.features import compute_features, phase_from_features


def test_offset_rotates_phase_and_keeps_coherence() -> None:
    rng = np.random.default_rng(0)
    phase = rng.uniform(-np.pi, np.pi, (2, 8, 8)).astype(np.float32)
    coherence = rng.uniform(0, 1, (2, 8, 8)).astype(np.float32)
    features = torch.from_numpy(compute_features(phase, coherence))
    out = apply_phase_offset(features, torch.tensor([0.5, -2.0]))
    expected = np.angle(np.exp(1j * (phase + np.array([0.5, -2.0])[:, None, None])))
    np.testing.assert_allclose(phase_from_features(out.numpy()), expected, atol=1e-5)
    np.testing.assert_array_equal(out[:, 0].numpy(), coherence)
    np.testing.assert_allclose((out[:, 1] ** 2 + out[:, 2] ** 2).numpy(), 1.0, atol=1e-5)


def test_random_offsets_differ_per_sample_and_lie_in_range() -> None:
    features = torch.from_numpy(
        compute_features(np.zeros((64, 4, 4), np.float32), np.ones((64, 4, 4), np.float32))
    )
    out = apply_random_phase_offset(features, generator=torch.Generator().manual_seed(0))
    offsets = phase_from_features(out.numpy())[:, 0, 0]
    assert np.all(np.abs(offsets) <= math.pi) and np.unique(offsets.round(4)).size == 64


def _batches(loader: torch.utils.data.DataLoader) -> list[torch.Tensor]:
    return [x.clone() for x, _ in loader]


@pytest.fixture
def datamodule(tiny_ready: Path) -> IsslideDataModule:
    dm = IsslideDataModule(
        tiny_ready, test_zones=("queyras",), val_zones=("ecrins",), batch_size=4, seed=1
    )
    dm.setup()
    return dm


def test_evaluation_data_never_augmented(tiny_ready: Path, datamodule: IsslideDataModule) -> None:
    val_first, test_first = (
        _batches(datamodule.val_dataloader()),
        _batches(datamodule.test_dataloader()),
    )
    train_first = _batches(datamodule.train_dataloader())
    # a second "epoch" and a module with another seed give identical evaluation batches
    other = IsslideDataModule(
        tiny_ready, test_zones=("queyras",), val_zones=("ecrins",), batch_size=4, seed=7
    )
    other.setup()
    for loader_batches in (_batches(datamodule.val_dataloader()), _batches(other.val_dataloader())):
        assert all(torch.equal(a, b) for a, b in zip(val_first, loader_batches, strict=True))
    for loader_batches in (
        _batches(datamodule.test_dataloader()),
        _batches(other.test_dataloader()),
    ):
        assert all(torch.equal(a, b) for a, b in zip(test_first, loader_batches, strict=True))
    # and they are exactly the stored features (no offset at all)
    assert torch.equal(torch.cat(test_first), datamodule.datasets["test"].features)
    # training samples change from epoch to epoch, coherence untouched
    train_second = _batches(datamodule.train_dataloader())
    assert not all(torch.equal(a, b) for a, b in zip(train_first, train_second, strict=True))
    dataset = datamodule.datasets["train"]
    first, second = dataset[0][0], dataset[0][0]
    assert not torch.equal(first, second)
    assert torch.equal(first[0], second[0]) and torch.equal(first[0], dataset.features[0, 0])


def test_splits_are_regions(datamodule: IsslideDataModule) -> None:
    assert set(datamodule.split_index("test")["zone"]) == {"queyras"}
    assert set(datamodule.split_index("val")["zone"]) == {"ecrins"}
    assert set(datamodule.split_index("train")["zone"]) == {"vanoise"}
    x, y = next(iter(datamodule.train_dataloader()))
    assert x.shape[1:] == (3, 32, 32) and y.dtype == torch.int64
