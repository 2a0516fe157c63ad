"""Goldstein & Werner (1998) adaptive phase filter, patch-wise FFT with overlap.

Each ``patch_px`` square patch (sliding by ``step_px``) is transformed; its spectrum
is multiplied by ``|S|^alpha`` where ``|S|`` is the amplitude spectrum smoothed by a
``smooth_px`` box (periodic) and normalised by its maximum; the filtered patches are
blended back with a separable triangular weight. ``alpha = 0`` leaves the phase
unchanged, ``alpha = 1`` filters most. Vectorised over a strip of patches at a time
(memory O(width x patch_px)); :func:`filter_goldstein_lazy` maps it over dask chunks
with an overlap of one patch, giving the same values as the in-memory filter.
"""

from __future__ import annotations

from typing import Any, Literal

import dask.array as da
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.ndimage import uniform_filter

from sarslide.errors import DataSelectionError


def _check_parameters(alpha: float, patch_px: int, step_px: int, smooth_px: int) -> None:
    if not 0.0 <= alpha <= 1.0:
        raise DataSelectionError(f"Invalid alpha={alpha}: the Goldstein exponent lies in [0, 1].")
    if patch_px < 4 or step_px < 1 or patch_px % step_px:
        raise DataSelectionError(
            f"Invalid patch_px={patch_px}, step_px={step_px}: need patch_px >= 4 and "
            "patch_px a multiple of step_px (e.g. 32 and 8)."
        )
    if smooth_px < 1:
        raise DataSelectionError(f"Invalid smooth_px={smooth_px}: must be >= 1.")


def _triangle(size: int) -> np.ndarray:
    centre = (size - 1) / 2.0
    return (1.0 - np.abs(np.arange(size) - centre) / (size / 2.0)).astype(np.float32)


def filter_goldstein(
    interferogram: np.ndarray,
    *,
    alpha: float = 0.5,
    patch_px: int = 32,
    step_px: int = 8,
    smooth_px: int = 3,
) -> np.ndarray:
    """Goldstein-filtered complex interferogram (same shape, complex64).

    Args:
        interferogram: 2-D complex array (azimuth, range). NaN values are treated as 0.
        alpha: filter exponent in [0, 1] (SNAP default 1.0, ISCE/GAMMA often 0.5).
        patch_px: FFT patch size in pixels (SNAP 64, GAMMA 32).
        step_px: shift between patches; ``patch_px / step_px`` patches overlap a pixel
            per axis.
        smooth_px: box size for smoothing the amplitude spectrum (SNAP 3).
    """
    _check_parameters(alpha, patch_px, step_px, smooth_px)
    ifg = np.asarray(interferogram)
    if ifg.ndim != 2 or not np.iscomplexobj(ifg):
        raise DataSelectionError(
            f"filter_goldstein needs a 2-D complex interferogram; got dtype {ifg.dtype}, "
            f"shape {ifg.shape}."
        )
    ifg = np.nan_to_num(ifg.astype(np.complex64), nan=0.0)
    rows, cols = ifg.shape
    margin = patch_px - step_px
    pad_rows = margin + (-(rows + 2 * margin - patch_px) % step_px)
    pad_cols = margin + (-(cols + 2 * margin - patch_px) % step_px)
    mode: Literal["reflect", "symmetric"] = "reflect" if min(rows, cols) > margin else "symmetric"
    padded = np.pad(ifg, ((margin, pad_rows), (margin, pad_cols)), mode=mode)
    n_rows_p, n_cols_p = padded.shape
    n_sub = patch_px // step_px
    n_patch_cols = (n_cols_p - patch_px) // step_px + 1
    n_patch_rows = (n_rows_p - patch_px) // step_px + 1
    window = np.outer(_triangle(patch_px), _triangle(patch_px))
    out = np.zeros((n_rows_p, n_cols_p), dtype=np.complex64)
    triangle = _triangle(patch_px)
    weight_row = np.zeros(n_cols_p, dtype=np.float32)
    for j in range(n_patch_cols):
        weight_row[j * step_px : j * step_px + patch_px] += triangle
    weight_col = np.zeros(n_rows_p, dtype=np.float32)
    for i in range(n_patch_rows):
        weight_col[i * step_px : i * step_px + patch_px] += triangle
        strip = padded[i * step_px : i * step_px + patch_px]
        patches = sliding_window_view(strip, patch_px, axis=1)[:, ::step_px]  # (P, n, P)
        patches = np.ascontiguousarray(patches.transpose(1, 0, 2))
        spectrum = np.fft.fft2(patches)
        amplitude = uniform_filter(np.abs(spectrum), size=(1, smooth_px, smooth_px), mode="wrap")
        peak = amplitude.max(axis=(1, 2), keepdims=True)
        response = (amplitude / np.where(peak > 0, peak, 1.0)) ** alpha
        filtered = np.fft.ifft2(spectrum * response).astype(np.complex64) * window
        # overlap-add the patches of this strip along the columns
        blocks = filtered.reshape(filtered.shape[0], patch_px, n_sub, step_px)
        target = out[i * step_px : i * step_px + patch_px]
        target_blocks = target[:, : (n_patch_cols + n_sub - 1) * step_px].reshape(
            patch_px, n_patch_cols + n_sub - 1, step_px
        )
        for s in range(n_sub):
            target_blocks[:, s : s + n_patch_cols, :] += blocks[:, :, s, :].transpose(1, 0, 2)
    weights = np.outer(weight_col, weight_row)
    out /= np.where(weights > 0, weights, 1.0)
    return out[margin : margin + rows, margin : margin + cols]


def filter_goldstein_lazy(
    interferogram: Any,
    *,
    alpha: float = 0.5,
    patch_px: int = 32,
    step_px: int = 8,
    smooth_px: int = 3,
    min_chunk_px: int = 256,
) -> Any:
    """:func:`filter_goldstein` over a dask array, chunk by chunk with a one-patch halo.

    Chunks smaller than ``min_chunk_px`` are merged (the halo costs less on big chunks).

    Chunks are rechunked to multiples of ``step_px`` so that the patch grid of every
    chunk lines up with the global one: the result equals the in-memory filter.
    """
    _check_parameters(alpha, patch_px, step_px, smooth_px)
    array = da.asarray(interferogram)
    if array.ndim != 2:
        raise DataSelectionError(f"Need a 2-D interferogram; got shape {array.shape}.")
    chunks = []
    for size, current in zip(array.shape, array.chunks, strict=True):
        target = max(
            2 * patch_px, min_chunk_px // step_px * step_px, max(current) // step_px * step_px
        )
        full, rest = divmod(size, target)
        sizes = [target] * full + ([rest] if rest else [])
        if len(sizes) > 1 and sizes[-1] < patch_px:  # fold a thin last chunk into the previous
            last = sizes.pop()
            sizes[-1] += last
        chunks.append(tuple(sizes))
    array = array.rechunk(tuple(chunks))
    depth = {axis: patch_px if len(sizes) > 1 else 0 for axis, sizes in enumerate(array.chunks)}
    return array.map_overlap(
        filter_goldstein,
        depth=depth,
        boundary="none",
        dtype=np.complex64,
        alpha=alpha,
        patch_px=patch_px,
        step_px=step_px,
        smooth_px=smooth_px,
    )
