"""Chips: a regular grid of square windows, chosen by labels first, gathered vectorised.

No per-chip Python loops: which chips to keep is decided from per-window label counts
(block sums on a coarse cell grid, lazily over dask chunks), and the chosen windows
are gathered with ``sliding_window_view`` fancy indexing, one tile of dask chunks at a
time, so a scene larger than memory is never loaded whole.

Nodata policy: a chip keeps NaN where inputs are nodata (``NormalisationStats.apply``
turns NaN into 0 and gives the mask); chips with less than ``min_valid_fraction``
of pixels valid in every channel are dropped.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import dask
import dask.array as da
import numpy as np
import xarray as xr
from numpy.lib.stride_tricks import sliding_window_view
from rich.progress import track

from sarslide import conventions as cv
from sarslide.errors import DataSelectionError

logger = logging.getLogger(__name__)


@dataclass
class ChipArrays:
    """Chips of a scene: inputs in log space (NOT standardised), labels, origins.

    Attributes:
        inputs: ``(n, C, H, W)`` float32; NaN = nodata.
        labels: ``(n, H, W)`` uint8, 1 = landslide.
        origins_px: ``(n, 2)`` int64 (row, col) of each chip's top-left pixel.
        channel_names: the C channel names.
        counts: floored / nodata counts of the raw values behind the chips.
    """

    inputs: np.ndarray
    labels: np.ndarray
    origins_px: np.ndarray
    channel_names: list[str]
    counts: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.inputs.shape[0])

    @property
    def size_px(self) -> int:
        return int(self.inputs.shape[-1])

    def subset(self, selector: np.ndarray | slice) -> ChipArrays:
        """The chips picked by a boolean mask or an index array (a copy), or a slice (a view)."""
        return ChipArrays(
            self.inputs[selector],
            self.labels[selector],
            self.origins_px[selector],
            list(self.channel_names),
            dict(self.counts),
        )

    def positive_rate(self) -> float:
        """Fraction of label pixels that are landslide (the AUPRC baseline)."""
        return float(self.labels.mean()) if self.labels.size else float("nan")


def chip_grid_shape(shape_px: tuple[int, int], size_px: int, stride_px: int) -> tuple[int, int]:
    """Rows and columns of the chip grid of a scene (chips fully inside the scene)."""
    height, width = shape_px
    if size_px < 1 or stride_px < 1:
        raise DataSelectionError(
            f"Invalid chip size {size_px} px / stride {stride_px} px; both must be >= 1."
        )
    if size_px > height or size_px > width:
        raise DataSelectionError(
            f"The chip size {size_px} px is larger than the scene ({height} x {width} px); "
            f"use chip_size_px <= {min(height, width)} or a larger scene."
        )
    return (height - size_px) // stride_px + 1, (width - size_px) // stride_px + 1


def chip_origins(
    shape_px: tuple[int, int], size_px: int, stride_px: int | None = None
) -> np.ndarray:
    """``(n, 2)`` int64 top-left (row, col) of every chip of the grid, row-major."""
    stride_px = stride_px or size_px
    n_rows, n_cols = chip_grid_shape(shape_px, size_px, stride_px)
    rows, cols = np.meshgrid(
        np.arange(n_rows, dtype=np.int64) * stride_px,
        np.arange(n_cols, dtype=np.int64) * stride_px,
        indexing="ij",
    )
    return np.stack([rows.ravel(), cols.ravel()], axis=1)


def count_per_chip(mask: Any, size_px: int, stride_px: int | None = None) -> np.ndarray:
    """Number of True pixels of a 2-D mask (numpy or dask) in every chip of the grid.

    Sums g x g cells first (g = gcd(size, stride), lazily per dask chunk), then sums
    windows of cells with an integral image, so memory stays at the cell grid.

    Returns:
        ``(n_rows * n_cols,)`` int64, in the order of ``chip_origins``.
    """
    stride_px = stride_px or size_px
    n_rows, n_cols = chip_grid_shape(tuple(mask.shape[-2:]), size_px, stride_px)
    cell = math.gcd(size_px, stride_px)
    used_h = (n_rows - 1) * stride_px + size_px
    used_w = (n_cols - 1) * stride_px + size_px
    part = mask[:used_h, :used_w]
    if hasattr(part, "dask"):
        part = part.astype(np.int32)
        chunks = tuple(max(cell, (c[0] // cell) * cell) for c in part.chunks)
        part = part.rechunk(chunks)
        cells = da.coarsen(np.sum, part, {0: cell, 1: cell}, trim_excess=False).compute()
    else:  # summed with a wide accumulator: no int copy of the whole mask
        accumulator = np.int32 if cell * cell < 2**31 else np.int64
        cells = (
            np.asarray(part)
            .reshape(used_h // cell, cell, used_w // cell, cell)
            .sum(axis=(1, 3), dtype=accumulator)
        )
    integral = np.zeros((cells.shape[0] + 1, cells.shape[1] + 1), dtype=np.int64)
    integral[1:, 1:] = cells.cumsum(0).cumsum(1)
    step, span = stride_px // cell, size_px // cell
    r0 = np.arange(n_rows) * step
    c0 = np.arange(n_cols) * step
    sums = (
        integral[np.ix_(r0 + span, c0 + span)]
        - integral[np.ix_(r0, c0 + span)]
        - integral[np.ix_(r0 + span, c0)]
        + integral[np.ix_(r0, c0)]
    )
    return sums.ravel()


def select_chip_origins(
    labels: Any, size_px: int, stride_px: int | None = None, *, positive_only: bool = True
) -> np.ndarray:
    """Origins of the candidate chips: all, or those with a landslide pixel.

    Raises:
        DataSelectionError: ``positive_only`` and no chip has a landslide pixel.
    """
    origins = chip_origins(tuple(labels.shape[-2:]), size_px, stride_px)
    if not positive_only:
        return origins
    positives = count_per_chip(labels > cv.LANDSLIDE_POSITIVE_THRESHOLD, size_px, stride_px)
    if not positives.any():
        raise DataSelectionError(
            f"No chip of {size_px} px has a landslide pixel (labels > "
            f"{cv.LANDSLIDE_POSITIVE_THRESHOLD}); the cube has no labelled landslides. "
            "Use positive_only: false to take all valid chips, or a labelled cube."
        )
    return origins[positives > 0]


def _block_edges(data: Any, axis: int) -> np.ndarray:
    if hasattr(data, "chunks") and data.chunks is not None and hasattr(data, "dask"):
        return np.concatenate([[0], np.cumsum(data.chunks[axis])])
    return np.array([0, data.shape[axis]])


def gather_windows(
    data: Any,
    origins_px: np.ndarray,
    size_px: int,
    *,
    transform: Callable[[np.ndarray], np.ndarray] | None = None,
    progress: bool = False,
) -> np.ndarray:
    """Windows ``data[..., r:r+s, c:c+s]`` at each origin, as ``(n, *lead, s, s)``.

    ``data`` is numpy or dask with (y, x) as its last two axes. For dask, origins are
    grouped by the chunk tile they start in and each row of tiles is computed at once
    (shared chunks decoded once, in parallel), then cut with numpy: only the chunks
    under chosen chips are read, and at most one row of tiles is in memory.

    Args:
        transform: applied to each tile's gathered windows ``(m, *lead, s, s)`` before
            they are stored (e.g. log and reduce over a time axis): the output is then
            ``(n, *transform_shape)``.
    """
    origins_px = np.asarray(origins_px, dtype=np.int64).reshape(-1, 2)
    transform = transform or (lambda x: x)
    if not hasattr(data, "dask"):
        return transform(_cut_windows(np.asarray(data), origins_px, size_px))

    row_edges, col_edges = _block_edges(data, -2), _block_edges(data, -1)
    band = np.searchsorted(row_edges, origins_px[:, 0], side="right") - 1
    tile_col = np.searchsorted(col_edges, origins_px[:, 1], side="right") - 1
    out: np.ndarray | None = None
    bands = np.unique(band)
    for band_id in progress_iter(bands, progress, "gathering chips"):
        in_band = np.flatnonzero(band == band_id)
        tiles = [in_band[tile_col[in_band] == t] for t in np.unique(tile_col[in_band])]
        tasks = []
        for members in tiles:
            r0, c0 = origins_px[members].min(axis=0)
            r1, c1 = origins_px[members].max(axis=0) + size_px
            relative = origins_px[members] - np.array([r0, c0])
            # cut and transform run in dask's threads too, overlapping with decoding
            tasks.append(
                dask.delayed(cut_and_transform)(
                    data[..., r0:r1, c0:c1], relative, size_px, transform
                )
            )
        for members, windows in zip(tiles, dask.compute(*tasks), strict=True):
            if out is None:
                out = np.empty((len(origins_px), *windows.shape[1:]), dtype=windows.dtype)
            out[members] = windows
    if out is None:
        lead = tuple(data.shape[:-2])
        return transform(np.empty((0, *lead, size_px, size_px), dtype=data.dtype))
    return out


def cut_and_transform(
    slab: np.ndarray,
    origins_px: np.ndarray,
    size_px: int,
    transform: Callable[[np.ndarray], np.ndarray],
) -> np.ndarray:
    # the transform reads the windows once: a strided view saves a copy of them all
    return transform(_cut_windows(slab, origins_px, size_px, contiguous=False))


def _cut_windows(
    array: np.ndarray, origins_px: np.ndarray, size_px: int, *, contiguous: bool = True
) -> np.ndarray:
    """``(n, *lead, s, s)`` windows of ``array`` (a copy; C-contiguous if ``contiguous``)."""
    view = sliding_window_view(array, (size_px, size_px), axis=(-2, -1))
    picked = view[..., origins_px[:, 0], origins_px[:, 1], :, :]  # (*lead, n, s, s)
    moved = np.moveaxis(picked, -3, 0)
    return np.ascontiguousarray(moved) if contiguous else moved


def progress_iter(items: Any, progress: bool, description: str, *, total: int | None = None) -> Any:
    """``items``, with a transient rich progress bar when ``progress``."""
    if not progress:
        return items

    return track(items, description=description, total=total, transient=True)


def valid_fraction(inputs: np.ndarray) -> np.ndarray:
    """Per chip, the fraction of pixels valid (not NaN) in every channel."""
    if inputs.shape[0] == 0:
        return np.zeros(0)
    return (~np.isnan(inputs).any(axis=1)).mean(axis=(1, 2))


def extract_chips(
    stack: xr.DataArray,
    labels: xr.DataArray | np.ndarray,
    *,
    size_px: int = 128,
    stride_px: int | None = None,
    positive_only: bool = True,
    min_valid_fraction: float = 0.5,
    progress: bool = False,
) -> ChipArrays:
    """Chips of a ``(channel, y, x)`` stack (numpy or lazy dask) and its labels.

    Chips are chosen by labels first (positive-only or all), then only the chosen
    windows are computed and gathered. Chips with less than ``min_valid_fraction``
    valid pixels are dropped.

    Raises:
        DataSelectionError: chip size larger than the scene; no positive chip.
    """
    label_data = labels.data if isinstance(labels, xr.DataArray) else labels
    if tuple(label_data.shape) != tuple(stack.shape[-2:]):
        raise DataSelectionError(
            f"Labels of shape {tuple(label_data.shape)} do not match the stack's "
            f"(y, x) shape {tuple(stack.shape[-2:])}; use labels of the same grid."
        )
    origins = select_chip_origins(label_data, size_px, stride_px, positive_only=positive_only)
    inputs = gather_windows(stack.data, origins, size_px, progress=progress).astype(
        np.float32, copy=False
    )
    chip_labels = gather_windows(label_data, origins, size_px)
    names = [str(c) for c in stack[cv.DIM_CHANNEL].values] if cv.DIM_CHANNEL in stack.coords else []
    chips = ChipArrays(inputs, to_binary_labels(chip_labels), origins, names)
    return drop_invalid_chips(chips, min_valid_fraction)


def to_binary_labels(labels: np.ndarray) -> np.ndarray:
    """Label values -> uint8 0/1 (> threshold is landslide; NaN is not)."""
    with np.errstate(invalid="ignore"):  # bool and uint8 share their bytes: no copy
        return np.greater(np.asarray(labels), cv.LANDSLIDE_POSITIVE_THRESHOLD).view(np.uint8)


def drop_invalid_chips(chips: ChipArrays, min_valid_fraction: float) -> ChipArrays:
    """Drop chips with less than ``min_valid_fraction`` valid pixels; logs how many."""
    keep, dropped = None, 0
    if min_valid_fraction > 0:  # otherwise every chip qualifies: no pass over all pixels
        keep = valid_fraction(chips.inputs) >= min_valid_fraction
        dropped = int((~keep).sum())
    if dropped:
        logger.info(
            "dropped %d of %d chips with < %.0f%% valid pixels",
            dropped,
            len(chips),
            100 * min_valid_fraction,
        )
    out = chips.subset(keep) if keep is not None and dropped else chips
    out.counts = {**chips.counts, "n_chips_dropped_nodata": dropped}
    return out
