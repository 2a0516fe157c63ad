"""``IsslideDataModule``: ready ISSLIDE patches -> train / val / test loaders.

Features are (coherence, cos(phase), sin(phase)) computed from each patch's phase and
coherence; they are bounded ([0, 1] and [-1, 1]) so no normalisation statistics are
needed (nothing computed from evaluation data). The random phase offset is applied to
TRAINING samples only, drawn fresh each epoch; validation and test samples are exactly
the stored features, identical across epochs and seeds.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader, Dataset

from sarslide.compat.torch_stack import lightning
from sarslide.errors import DataSelectionError
from sarslide.insar.augment import apply_random_phase_offset
from sarslide.insar.config import DEFAULT_TEST_ZONES
from sarslide.insar.features import compute_features
from sarslide.insar.isslide_layout import load_ready_patches, read_ready_index
from sarslide.insar.splits import (
    SPLIT_TEST,
    SPLIT_TRAIN,
    SPLIT_VAL,
    assign_splits,
)

logger = logging.getLogger(__name__)


class IsslidePatchDataset(Dataset):
    """In-memory patches: ``(features (3, H, W) float32, mask (H, W) int64)``.

    Args:
        features: ``(N, 3, H, W)`` coherence, cos, sin.
        masks: ``(N, H, W)`` {0, 1}.
        augment: apply a random phase offset to each sample (training only).
        seed: seed of the augmentation stream (advanced by every draw).
    """

    def __init__(
        self, features: np.ndarray, masks: np.ndarray, *, augment: bool = False, seed: int = 0
    ) -> None:
        self.features = torch.from_numpy(np.ascontiguousarray(features, dtype=np.float32))
        self.masks = torch.from_numpy(np.ascontiguousarray(masks, dtype=np.int64))
        self.augment = augment
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return int(self.features.shape[0])

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.features[index]
        if self.augment:
            x = apply_random_phase_offset(x, generator=self.generator)
        return x, self.masks[index]


class IsslideDataModule(lightning.LightningDataModule):
    """Train / val / test loaders of the ready ISSLIDE layout with a region holdout.

    Args:
        ready_dir: ready layout (images/, masks/, patches.csv).
        test_zones: zones held out for testing.
        val_fraction: fraction of training-zone interferograms for validation.
        val_zones: whole zones for validation instead (optional).
        moving_only: keep only patches with a move (the paper's setting).
        batch_size: batch size (8 in the paper).
        augment: random phase offset on training samples.
        seed: seed of the validation draw, loader shuffling and augmentation.
        max_patches_per_split: cap per split (seeded subsample; for quick runs).
        num_workers: DataLoader workers.
    """

    def __init__(
        self,
        ready_dir: str | Path,
        *,
        test_zones: Sequence[str] = DEFAULT_TEST_ZONES,
        val_fraction: float = 0.2,
        val_zones: Sequence[str] = (),
        moving_only: bool = True,
        batch_size: int = 8,
        augment: bool = True,
        seed: int = 0,
        max_patches_per_split: int | None = None,
        num_workers: int = 0,
    ) -> None:
        super().__init__()
        if batch_size < 1:
            raise DataSelectionError(f"Invalid batch_size={batch_size}: must be >= 1.")
        self.ready_dir = Path(ready_dir)
        self.test_zones = tuple(test_zones)
        self.val_fraction = val_fraction
        self.val_zones = tuple(val_zones)
        self.moving_only = moving_only
        self.batch_size = batch_size
        self.augment = augment
        self.seed = seed
        self.max_patches_per_split = max_patches_per_split
        self.num_workers = num_workers
        self.index: pd.DataFrame | None = None
        self.datasets: dict[str, IsslidePatchDataset] = {}

    def setup(self, stage: str | None = None) -> None:
        if self.datasets:
            return
        index = assign_splits(
            read_ready_index(self.ready_dir),
            test_zones=self.test_zones,
            val_fraction=self.val_fraction,
            val_zones=self.val_zones,
            moving_only=self.moving_only,
            seed=self.seed,
        )
        if self.max_patches_per_split is not None:
            cap = self.max_patches_per_split
            parts = [
                g.sample(min(len(g), cap), random_state=self.seed)
                for _, g in index.groupby("split")
            ]
            index = pd.concat(parts).sort_values("name").reset_index(drop=True)
        self.index = index
        for split in (SPLIT_TRAIN, SPLIT_VAL, SPLIT_TEST):
            rows = index[index["split"] == split]
            images, masks = load_ready_patches(rows)
            features = compute_features(images[:, 0], images[:, 1])
            self.datasets[split] = IsslidePatchDataset(
                features, masks, augment=self.augment and split == SPLIT_TRAIN, seed=self.seed
            )
        logger.info("ISSLIDE splits: %s", {k: len(v) for k, v in self.datasets.items()})

    def split_index(self, split: str) -> pd.DataFrame:
        """Rows of the patch index in ``split``, in loader order."""
        if self.index is None:
            raise DataSelectionError("Call setup() before split_index().")
        return self.index[self.index["split"] == split].reset_index(drop=True)

    def _loader(self, split: str, *, shuffle: bool) -> DataLoader[Any]:
        if split not in self.datasets:
            self.setup()
        generator = torch.Generator().manual_seed(self.seed) if shuffle else None
        return DataLoader(
            self.datasets[split],
            batch_size=self.batch_size,
            shuffle=shuffle,
            num_workers=self.num_workers,
            generator=generator,
        )

    def train_dataloader(self) -> DataLoader[Any]:
        return self._loader(SPLIT_TRAIN, shuffle=True)

    def val_dataloader(self) -> DataLoader[Any]:
        return self._loader(SPLIT_VAL, shuffle=False)

    def test_dataloader(self) -> DataLoader[Any]:
        return self._loader(SPLIT_TEST, shuffle=False)
