"""The composite of k acquisitions of one pixel, in log10 space: pure numpy.

A composite is the pixel-wise reduction (mean or median) of the log10 of the k
acquisitions, ``mean(log10(max(x, floor)))`` (see ``sarslide.chips.composites`` for the
decision). ``composite_values`` is the one function that computes it, for whole scenes
(lazily on dask chunks) and for gathered chips alike, so both give bit-identical
values; ``log10_mean`` is its fast path for the log10 mean.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Literal

import numpy as np

Reducer = Literal["mean", "median", "mean_exact"]


def log10_floored(values: np.ndarray, floor: float) -> np.ndarray:
    """``log10(max(values, floor))`` in float32; NaN stays NaN."""
    values = np.asarray(values, dtype=np.float32)
    return np.log10(np.maximum(values, np.float32(floor)))


def reduce_acquisitions(values: np.ndarray, reducer: Reducer, *, axis: int = 0) -> np.ndarray:
    """Pixel-wise mean or median over ``axis``, skipping NaN; NaN where all are NaN.

    The mean adds acquisitions one at a time in float32, so the result of a pixel does
    not depend on the shape of the array it sits in (scene or chip).
    """
    values = np.moveaxis(np.asarray(values, dtype=np.float32), axis, 0)
    if reducer == "median":
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "All-NaN slice", RuntimeWarning)
            return np.nanmedian(values, axis=0).astype(np.float32, copy=False)
    if reducer not in ("mean", "mean_exact"):
        raise ValueError(f"Invalid {reducer=}. Must be 'mean', 'mean_exact' or 'median'.")
    total = np.zeros(values.shape[1:], dtype=np.float32)
    count = np.zeros(values.shape[1:], dtype=np.float32)
    for layer in values:
        valid = ~np.isnan(layer)
        total += np.where(valid, layer, np.float32(0))
        count += valid
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.divide(total, count, dtype=np.float32)


def _acquisitions(
    raw: np.ndarray | Sequence[np.ndarray], axis: int
) -> np.ndarray | Sequence[np.ndarray]:
    """The acquisitions of ``raw`` one by one: a sequence as given, an array split on ``axis``."""
    if isinstance(raw, list | tuple):
        return raw
    return np.moveaxis(np.asarray(raw), axis, 0)


_F32 = np.finfo(np.float32)
_LN10 = float(np.log(10.0))


def log10_mean(
    raw: np.ndarray | Sequence[np.ndarray],
    floor: float,
    *,
    axis: int = 0,
    tally: dict[str, int] | None = None,
) -> np.ndarray:
    """``mean(log10(max(raw, floor)))`` over ``axis`` as ``log10(product) / n``; float32.

    ``raw`` is an array with the acquisitions on ``axis``, or a sequence of
    equally shaped acquisition arrays (``axis`` is then ignored; nothing is stacked).

    One logarithm per pixel instead of one per acquisition (numpy's float32 ``log10``
    is not vectorised on AVX2; ``log`` is). The product is taken in float32 in a fixed
    order; pixels where it is not a normal float32 (a NaN acquisition, overflow,
    underflow) are redone in float64 skipping NaN acquisitions (NaN where all are NaN).
    Every step is pixel-wise, so a pixel's value does not depend on the array it sits
    in. Equals the mean of float32 logs to ~1e-7 (float32 rounding), not bit for bit.

    Args:
        tally: if given, ``n_floored`` (values below ``floor``) and ``n_nodata`` (NaN
            values) are added to it, counted in the same pass.
    """
    values = _acquisitions(raw, axis)
    n = len(values)
    floor32 = np.float32(floor)
    if n == 0:
        if isinstance(raw, list | tuple):
            raise ValueError("log10_mean needs at least one acquisition")
        return np.full(np.shape(values)[1:], np.nan, dtype=np.float32)
    product = np.empty(np.shape(values[0]), dtype=np.float32)
    n_floored = 0 if tally is None else int(np.count_nonzero(values[0] < floor32))
    np.maximum(values[0], floor32, out=product, casting="same_kind")  # NaN propagates
    layer = np.empty_like(product)
    with np.errstate(over="ignore", under="ignore", divide="ignore"):
        for acquisition in values[1:]:
            if tally is not None:
                n_floored += int(np.count_nonzero(acquisition < floor32))
            np.maximum(acquisition, floor32, out=layer, casting="same_kind")
            np.multiply(product, layer, out=product)
        # NaN, overflow and underflow are redone below; with every factor >= floor, the
        # product can only underflow if floor ** n does (never for the usual floor and k)
        low = product < _F32.tiny if float(floor32) ** n < _F32.tiny else None
        out = np.log(product, out=product)
        odd = ~np.isfinite(out)
        if low is not None:
            odd |= low
    out /= np.float32(n * _LN10)
    if odd.any():
        at_odd = np.stack([np.asarray(acquisition)[odd] for acquisition in values])
        picked = np.maximum(at_odd.astype(np.float64), float(floor))
        valid = ~np.isnan(picked)
        with np.errstate(invalid="ignore", divide="ignore"):
            exact = np.log(np.prod(np.where(valid, picked, 1.0), axis=0)) / (
                valid.sum(axis=0) * _LN10
            )
        out[odd] = exact
    if tally is not None:  # NaN only where the product is NaN: counted on those pixels
        n_nodata = int(np.count_nonzero(np.isnan(at_odd))) if odd.any() else 0
        tally["n_floored"] = tally.get("n_floored", 0) + n_floored
        tally["n_nodata"] = tally.get("n_nodata", 0) + n_nodata
    return out


def composite_values(
    raw: np.ndarray | Sequence[np.ndarray],
    *,
    log10: bool,
    floor: float,
    reducer: Reducer,
    axis: int = 0,
) -> np.ndarray:
    """The composite of raw acquisitions along ``axis``: optional floored log10, then reduce.

    ``raw`` may also be a sequence of equally shaped acquisitions (``axis`` ignored).

    The log10 ``mean`` goes through ``log10_mean`` (one log per pixel); ``mean_exact``
    takes one float32 log10 per acquisition, then the mean (as numpy and xarray do).
    """
    if log10 and reducer == "mean":
        return log10_mean(raw, floor, axis=axis)
    if isinstance(raw, list | tuple):
        stacked, axis = np.stack(raw), 0
    else:
        stacked = np.asarray(raw)
    values = log10_floored(stacked, floor) if log10 else stacked.astype(np.float32, copy=False)
    return reduce_acquisitions(values, reducer, axis=axis)
