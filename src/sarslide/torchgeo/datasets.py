"""torchgeo datasets and data module over :class:`~sarslide.chips.ChipSplits`.

The chips are the leak-free splits of ``sarslide.chips.build_chip_splits`` (spatial
blocks with a buffer, or leave-one-event-out) and the inputs are standardised with the
TRAIN split's statistics, as in ``sarslide train``; nodata pixels get the mask value
``ignore_index``. A sample is torchgeo's dict: ``image`` float32 ``(C, H, W)``,
``mask`` int64 ``(H, W)``, ``crs`` (pyproj) and ``bounds`` (torchgeo's ``GeoSlice``:
x, y and time slices). Batches are collated with torchgeo's ``stack_samples``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from sarslide.chips import ChipSplits
from sarslide.chips.normalisation import standardise_chips
from sarslide.compat.torch_stack import torchgeo
from sarslide.errors import DataSelectionError
from sarslide.torchgeo.georeference import ChipGeoreference
from sarslide.training.datamodule import flip_batch

if TYPE_CHECKING:
    from torchgeo.datamodules import NonGeoDataModule
    from torchgeo.datasets import NonGeoDataset
    from torchgeo.datasets.utils import stack_samples
else:  # through torch_stack at run time: the torchvision shim first
    NonGeoDataModule = torchgeo.datamodules.NonGeoDataModule
    NonGeoDataset = torchgeo.datasets.NonGeoDataset
    stack_samples = torchgeo.datasets.utils.stack_samples

Sample = dict[str, Any]


class LandslideChipDataset(NonGeoDataset):
    """One split of sarslide chips as torchgeo samples.

    Args:
        splits: the chips and their train-only normalisation.
        split: ``train``, ``val`` or ``test``.
        georeferences: one per event (``read_chip_georeferences``), or one for a cube.
        ignore_index: mask value of nodata pixels.
        transforms: applied to each sample (torchgeo's convention).
    """

    def __init__(
        self,
        splits: ChipSplits,
        split: str = "train",
        *,
        georeferences: Sequence[ChipGeoreference] | ChipGeoreference,
        ignore_index: int = 255,
        transforms: Callable[[Sample], Sample] | None = None,
    ) -> None:
        chips = splits.get(split)
        self.split = split
        self.channel_names = list(splits.channel_names)
        inputs, labels = standardise_chips(chips, splits.normalisation, ignore_index=ignore_index)
        self.images, self.masks = torch.from_numpy(inputs), torch.from_numpy(labels)
        self.origins_px, self.size_px = chips.origins_px, chips.size_px
        georefs = [georeferences] if isinstance(georeferences, ChipGeoreference) else georeferences
        events = splits.chip_events.get(split)
        self.events = np.zeros(len(chips), int) if events is None else np.asarray(events)
        if len(georefs) != max(len(splits.events), 1):
            raise DataSelectionError(
                f"{len(georefs)} georeference(s) for {max(len(splits.events), 1)} event(s) "
                f"{splits.events}; give one per event (read_chip_georeferences)."
            )
        self.georeferences = list(georefs)
        self.transforms = transforms

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> Sample:
        georef = self.georeferences[int(self.events[index])]
        sample: Sample = {
            "image": self.images[index],
            "mask": self.masks[index],
            "crs": georef.crs,
            "bounds": georef.bounds(self.origins_px[index], self.size_px),
        }
        return self.transforms(sample) if self.transforms else sample


def flip_samples(batch: Sample) -> Sample:
    """Random flips of ``image`` and ``mask`` together (train batches; footprint unchanged)."""
    image, mask = flip_batch(batch["image"], batch["mask"])
    return {**batch, "image": image, "mask": mask}


def keep_samples(batch: Sample) -> Sample:
    """No change: the images are standardised already (torchgeo's default divides by 255)."""
    return batch


class LandslideChipDataModule(NonGeoDataModule):
    """train / val / test :class:`LandslideChipDataset` loaders for torchgeo's trainers.

    Args:
        splits: the chips and their train-only normalisation.
        georeferences: one per event (``read_chip_georeferences``), or one for a cube.
        batch_size: chips per batch.
        num_workers: DataLoader worker processes.
        augment_flips: random flips on train batches (after they reach the device).
        ignore_index: mask value of nodata pixels (give the task the same).
    """

    def __init__(
        self,
        splits: ChipSplits,
        georeferences: Sequence[ChipGeoreference] | ChipGeoreference,
        *,
        batch_size: int = 16,
        num_workers: int = 0,
        augment_flips: bool = True,
        ignore_index: int = 255,
    ) -> None:
        super().__init__(
            LandslideChipDataset,
            batch_size,
            num_workers,
            splits=splits,
            georeferences=georeferences,
            ignore_index=ignore_index,
        )
        self.collate_fn = stack_samples
        self.aug = keep_samples
        self.train_aug = flip_samples if augment_flips else keep_samples
        self.in_channels = len(splits.channel_names)
