"""Per-channel standardisation from TRAINING pixels only, carried with the model.

The paper's code computed mean and std over the whole scene before splitting, so
test pixels shaped the inputs (reference notes, defect 2). Here the statistics come
from the train chips alone (NaN ignored), and ``to_dict`` / ``from_dict`` put them in
the model checkpoint so inference standardises exactly as training did.
"""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from sarslide.chips.chipping import ChipArrays
from sarslide.errors import DataSelectionError

logger = logging.getLogger(__name__)


@dataclass
class NormalisationStats:
    """Per-channel mean and std (log space); ``apply`` standardises, NaN -> 0."""

    channel_names: list[str]
    mean: np.ndarray  # (C,) float64
    std: np.ndarray  # (C,) float64
    n_pixels: int = 0

    def __post_init__(self) -> None:
        self.mean = np.asarray(self.mean, dtype=np.float64).reshape(-1)
        self.std = np.asarray(self.std, dtype=np.float64).reshape(-1)
        if not (len(self.channel_names) == self.mean.size == self.std.size):
            raise DataSelectionError(
                f"{len(self.channel_names)} channel names for {self.mean.size} means and "
                f"{self.std.size} stds; they must match."
            )

    def apply(self, x: np.ndarray, *, channel_axis: int = -3) -> np.ndarray:
        """``(x - mean) / std`` per channel as float32, NaN (nodata) -> 0.

        Args:
            x: ``(..., C, H, W)`` (default) or any array with channels on ``channel_axis``.
        """
        x = np.asarray(x)
        if x.shape[channel_axis] != self.mean.size:
            raise DataSelectionError(
                f"Input has {x.shape[channel_axis]} channels on axis {channel_axis}; the "
                f"statistics are for {self.mean.size} ({self.channel_names})."
            )
        shape = [1] * x.ndim
        shape[channel_axis] = -1
        mean = self.mean.astype(np.float32).reshape(shape)
        std = self.std.astype(np.float32).reshape(shape)
        out = np.subtract(x.astype(np.float32, copy=False), mean)
        np.divide(out, std, out=out)
        np.copyto(out, np.float32(0), where=~np.isfinite(out))
        return out

    @staticmethod
    def nodata_mask(x: np.ndarray, *, channel_axis: int = -3) -> np.ndarray:
        """True where any channel is NaN (before ``apply``): shape of x without channels."""
        return np.isnan(np.asarray(x)).any(axis=channel_axis)

    def to_dict(self) -> dict[str, Any]:
        return {
            "channel_names": list(self.channel_names),
            "mean": self.mean.tolist(),
            "std": self.std.tolist(),
            "n_pixels": int(self.n_pixels),
        }

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> NormalisationStats:
        return cls(
            list(values["channel_names"]),
            np.asarray(values["mean"]),
            np.asarray(values["std"]),
            int(values.get("n_pixels", 0)),
        )


def standardise_chips(
    chips: ChipArrays, normalisation: NormalisationStats, *, ignore_index: int = 255
) -> tuple[np.ndarray, np.ndarray]:
    """Standardised float32 inputs ``(n, C, H, W)`` and int64 labels, nodata labelled
    ``ignore_index`` (a pixel is nodata when any channel is)."""
    nodata = NormalisationStats.nodata_mask(chips.inputs)
    inputs = normalisation.apply(chips.inputs)
    labels = chips.labels.astype(np.int64)
    labels[nodata] = ignore_index
    return np.ascontiguousarray(inputs), labels


def compute_normalisation(train: ChipArrays) -> NormalisationStats:
    """Per-channel mean and std over the train chips' pixels, NaN ignored (float64).

    Overlapping chips (stride < size) count shared pixels once per chip.

    Raises:
        DataSelectionError: no train chips, or a channel with no valid pixel.
    """
    if len(train) == 0:
        raise DataSelectionError("No train chips to compute normalisation statistics from.")
    n_channels = train.inputs.shape[1]
    mean = np.empty(n_channels)
    std = np.empty(n_channels)
    counts = np.empty(n_channels, dtype=np.int64)
    workers = min(n_channels, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=workers) as pool:  # numpy releases the GIL
        moments = list(pool.map(_channel_moments, (train.inputs[:, c] for c in range(n_channels))))
    for c, (count, channel_mean, variance) in enumerate(moments):
        counts[c], mean[c] = count, channel_mean
        if counts[c] == 0:
            raise DataSelectionError(
                f"Channel {train.channel_names[c]!r} has no valid (non-NaN) pixel in the "
                "train chips; drop the channel or check the cube for nodata."
            )
        std[c] = np.sqrt(variance)
        if not std[c] > 0:
            logger.warning(
                "channel %s is constant in the train chips; using std 1", train.channel_names[c]
            )
            std[c] = 1.0
    return NormalisationStats(list(train.channel_names), mean, std, int(counts.min()))


SLAB_CHIPS = 64  # chips per float64 slab: bounds the temporaries of a channel's moments


def _channel_moments(values: np.ndarray) -> tuple[int, float, float]:
    """Count, mean and (population) variance of one channel's non-NaN values.

    Slabs of chips are reduced in float64 and merged with Chan et al.'s pairwise
    update, so no float64 copy of the whole channel (or of its valid pixels) is made.
    """
    count, mean, m2 = 0, 0.0, 0.0
    for start in range(0, values.shape[0], SLAB_CHIPS):
        slab = values[start : start + SLAB_CHIPS].astype(np.float64).ravel()
        nan = np.isnan(slab)
        if nan.any():
            slab = slab[~nan]
        n = slab.size
        if n == 0:
            continue
        slab_mean = float(slab.mean())
        slab_m2 = float(np.square(slab - slab_mean).sum())
        total = count + n
        delta = slab_mean - mean
        mean += delta * n / total
        m2 += slab_m2 + delta * delta * count * n / total
        count = total
    return count, mean, (m2 / count if count else float("nan"))
