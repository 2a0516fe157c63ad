"""``LandslideDataModule``: chips from ``sarslide.chips`` as standardised tensors.

Inputs are standardised with the TRAIN split's statistics (NaN -> 0); pixels that are
nodata in any channel get the label ``ignore_index`` so the loss and the metrics skip
them. Random flips (train only) run on the batch after it reaches the device.
"""

from __future__ import annotations

import logging
from typing import Any

import torch
from torch.utils.data import DataLoader, TensorDataset

from sarslide.chips import ChipArrays, ChipSplits, NormalisationStats
from sarslide.chips.normalisation import standardise_chips
from sarslide.compat.torch_stack import lightning

logger = logging.getLogger(__name__)


def chips_to_tensors(
    chips: ChipArrays, normalisation: NormalisationStats, *, ignore_index: int = 255
) -> tuple[torch.Tensor, torch.Tensor]:
    """:func:`~sarslide.chips.normalisation.standardise_chips` as torch tensors."""
    inputs, labels = standardise_chips(chips, normalisation, ignore_index=ignore_index)
    return torch.from_numpy(inputs), torch.from_numpy(labels)


def flip_batch(
    x: torch.Tensor, y: torch.Tensor, generator: torch.Generator | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Flip each sample left-right and/or up-down with probability 1/2 each."""
    flips = torch.rand((x.shape[0], 2), generator=generator) < 0.5
    flips = flips.to(x.device)
    x = torch.where(flips[:, 0, None, None, None], x.flip(-1), x)
    y = torch.where(flips[:, 0, None, None], y.flip(-1), y)
    x = torch.where(flips[:, 1, None, None, None], x.flip(-2), x)
    y = torch.where(flips[:, 1, None, None], y.flip(-2), y)
    return x, y


class LandslideDataModule(lightning.LightningDataModule):
    """Train / val / test dataloaders over :class:`~sarslide.chips.ChipSplits`.

    Args:
        splits: Chips and the train-only normalisation.
        batch_size: Chips per batch.
        num_workers: DataLoader worker processes.
        augment_flips: Random flips on train batches.
        ignore_index: Label given to nodata pixels.
    """

    def __init__(
        self,
        splits: ChipSplits,
        *,
        batch_size: int = 16,
        num_workers: int = 0,
        augment_flips: bool = True,
        ignore_index: int = 255,
    ) -> None:
        super().__init__()
        self.splits = splits
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.augment_flips = augment_flips
        self.ignore_index = ignore_index
        self._datasets: dict[str, TensorDataset] = {}

    @property
    def in_channels(self) -> int:
        """Number of input channels."""
        return len(self.splits.channel_names)

    def dataset(self, split: str) -> TensorDataset:
        """The standardised tensors of one split (built once)."""
        if split not in self._datasets:
            inputs, labels = chips_to_tensors(
                self.splits.get(split), self.splits.normalisation, ignore_index=self.ignore_index
            )
            self._datasets[split] = TensorDataset(inputs, labels)
        return self._datasets[split]

    def setup(self, stage: str | None = None) -> None:
        for split in ("train", "val") if stage in (None, "fit") else ("val", "test"):
            self.dataset(split)

    def _loader(self, split: str, *, shuffle: bool) -> DataLoader[Any]:
        return DataLoader(
            self.dataset(split),
            batch_size=self.batch_size,
            shuffle=shuffle,
            num_workers=self.num_workers,
            persistent_workers=self.num_workers > 0,
        )

    def train_dataloader(self) -> DataLoader[Any]:
        return self._loader("train", shuffle=True)

    def val_dataloader(self) -> DataLoader[Any]:
        return self._loader("val", shuffle=False)

    def test_dataloader(self) -> DataLoader[Any]:
        return self._loader("test", shuffle=False)

    def on_after_batch_transfer(self, batch: Any, dataloader_idx: int) -> Any:
        trainer = self.trainer
        if self.augment_flips and trainer is not None and trainer.training:
            x, y = batch
            return flip_batch(x, y)
        return batch
