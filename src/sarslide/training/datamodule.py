"""``LandslideDataModule``: chips from ``sarslide.chips`` as standardised tensors.

Inputs are standardised with the TRAIN split's statistics (NaN -> 0); pixels that are
nodata in any channel get the label ``ignore_index`` so the loss and the metrics skip
them. Random flips (train only) run on the batch after it reaches the device.

In a single-process fit the chips are moved once to the training device when they
fit (always on the CPU; on a GPU when they take at most half of its free memory: the
216 chips of the paper, 8 x 128 x 128, are 113 MB) and batches are gathered there by
``ChipBatchLoader``: no DataLoader workers, no per-chip collation, no host-to-device
copy per step. Otherwise (workers asked for, several processes, chips too large) a
DataLoader serves them, with pinned memory on CUDA.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
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


def chips_fit_on_device(n_bytes: int, device: torch.device, *, fraction: float = 0.5) -> bool:
    """Whether ``n_bytes`` of chips may live on ``device`` (CUDA: under ``fraction`` of free)."""
    if device.type != "cuda":
        return True  # the CPU holds them already; MPS shares the host's memory
    free_bytes, _ = torch.cuda.mem_get_info(device)
    return n_bytes <= fraction * free_bytes


class ChipBatchLoader:
    """Batches of in-memory chip tensors, gathered where the tensors are (no DataLoader).

    Args:
        inputs: ``(n, C, H, W)`` chips.
        labels: ``(n, H, W)`` labels (same device).
        batch_size: Chips per batch (the last batch may be smaller).
        shuffle: A new random order each epoch (drawn from torch's global generator,
            so ``seed_everything`` makes it reproducible).
    """

    def __init__(
        self, inputs: torch.Tensor, labels: torch.Tensor, *, batch_size: int, shuffle: bool
    ) -> None:
        self.inputs, self.labels = inputs, labels
        self.batch_size = batch_size
        self.shuffle = shuffle

    def __len__(self) -> int:
        return -(-len(self.inputs) // self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        n = len(self.inputs)
        if not self.shuffle:
            for start in range(0, n, self.batch_size):
                stop = start + self.batch_size
                yield self.inputs[start:stop], self.labels[start:stop]
            return
        order = torch.randperm(n).to(self.inputs.device)
        for start in range(0, n, self.batch_size):
            index = order[start : start + self.batch_size]
            yield self.inputs[index], self.labels[index]


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
        self._on_device: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        self.chip_device: torch.device | None = None  # set in setup: see the module doc

    @property
    def in_channels(self) -> int:
        """Number of input channels."""
        return len(self.splits.channel_names)

    def dataset(self, split: str) -> TensorDataset:
        """The standardised tensors of one split (built once, on the CPU)."""
        if split not in self._datasets:
            inputs, labels = chips_to_tensors(
                self.splits.get(split), self.splits.normalisation, ignore_index=self.ignore_index
            )
            self._datasets[split] = TensorDataset(inputs, labels)
        return self._datasets[split]

    def setup(self, stage: str | None = None) -> None:
        splits = ("train", "val") if stage in (None, "fit") else ("val", "test")
        for split in splits:
            self.dataset(split)
        self.chip_device = self._choose_chip_device(splits)
        if self.chip_device is not None:
            logger.info("Chips kept on %s (no DataLoader)", self.chip_device)

    def _choose_chip_device(self, splits: tuple[str, ...]) -> torch.device | None:
        trainer = self.trainer
        if self.num_workers > 0 or trainer is None or trainer.world_size > 1:
            return None  # workers asked for, or DDP (which shards through a sampler)
        device = trainer.strategy.root_device
        n_bytes = sum(t.nbytes for s in splits for t in self.dataset(s).tensors)
        return device if chips_fit_on_device(n_bytes, device) else None

    def _loader(self, split: str, *, shuffle: bool) -> Any:
        if self.chip_device is not None:
            if split not in self._on_device:
                inputs, labels = self.dataset(split).tensors
                self._on_device[split] = (inputs.to(self.chip_device), labels.to(self.chip_device))
            inputs, labels = self._on_device[split]
            return ChipBatchLoader(inputs, labels, batch_size=self.batch_size, shuffle=shuffle)
        trainer = self.trainer
        on_cuda = trainer is not None and trainer.strategy.root_device.type == "cuda"
        return DataLoader(
            self.dataset(split),
            batch_size=self.batch_size,
            shuffle=shuffle,
            num_workers=self.num_workers,
            persistent_workers=self.num_workers > 0,
            pin_memory=on_cuda,
        )

    def train_dataloader(self) -> Any:
        return self._loader("train", shuffle=True)

    def val_dataloader(self) -> Any:
        return self._loader("val", shuffle=False)

    def test_dataloader(self) -> Any:
        return self._loader("test", shuffle=False)

    def on_after_batch_transfer(self, batch: Any, dataloader_idx: int) -> Any:
        trainer = self.trainer
        if self.augment_flips and trainer is not None and trainer.training:
            x, y = batch
            return flip_batch(x, y)
        return batch
