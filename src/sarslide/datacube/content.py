"""Is the backscatter usable? Linear power, not dB, not all zeros, not all nodata.

A cube of backscatter in dB (negative values), of zeros or of NaN passes every check
of the contract and gives a garbage map or model. ``check_backscatter_values`` reads a
few chunks (middle of the time series first, until enough valid pixels are seen) and
refuses such a cube with the fix. ``open_cube`` runs it on every store it opens; the
chips layer runs it on a cube it is given (in memory, or opened elsewhere), where a
variable ``open_cube`` already checked (the same dask array) is not read again.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import xarray as xr

from sarslide import conventions as cv
from sarslide.datacube.integrity import looks_like_decode_error
from sarslide.errors import CubeContentError

logger = logging.getLogger(__name__)

SAMPLE_VALUES = 50_000  # valid pixels read per variable before deciding
DB_NEGATIVE_SHARE = 0.25  # linear power is >= 0; dB of power below 1 is negative
# Dask names of the arrays found usable. A dask name identifies the computation that
# gives the data: any change to the data (a dB conversion, a selection) is a new name.
_CHECKED_ARRAYS: list[str] = []
_MAX_REMEMBERED = 64


def sample_valid_values(array: xr.DataArray, *, wanted: int = SAMPLE_VALUES) -> np.ndarray:
    """Finite values of ``array`` from as few chunks as give ``wanted`` of them.

    Chunks are read from the middle of the array outwards (a masked first or last
    timestep costs nothing more); an all-NaN array is read whole (its chunks are
    usually not stored at all, so that is cheap too).
    """
    data: Any = array.data
    if not hasattr(data, "blocks"):  # numpy: already in memory
        values = np.asarray(data).ravel()
        finite: np.ndarray = values[np.isfinite(values)]
        return finite
    blocks = list(np.ndindex(*data.numblocks))
    middle = len(blocks) // 2
    order = sorted(range(len(blocks)), key=lambda i: abs(i - middle))
    found: list[np.ndarray] = []
    total = 0
    for i in order:
        try:
            block = np.asarray(data.blocks[blocks[i]].compute()).ravel()
        except Exception as err:
            if not looks_like_decode_error(err):
                raise
            continue  # a corrupt chunk: named when it is read (datacube.integrity)
        block = block[np.isfinite(block)]
        found.append(block)
        total += block.size
        if total >= wanted:
            break
    return np.concatenate(found) if found else np.empty(0, dtype=data.dtype)


def check_backscatter_values(
    ds: xr.Dataset, *, source: str | None = None, skip_checked: bool = False
) -> None:
    """Refuse VV/VH backscatter in dB, all zeros, or all nodata.

    Args:
        ds: the cube (lazy or in memory).
        source: the store's path or URL, named in the error.
        skip_checked: do not read again a variable an earlier call found usable (the
            same dask array); in-memory (numpy) variables are always checked.

    Raises:
        CubeContentError: saying which variable, what was seen, and the fix.
    """
    where = f" in {source!r}" if source else ""
    for name in (cv.VAR_VV, cv.VAR_VH):
        if name not in ds.data_vars:
            continue
        key = _dask_name(ds[name])
        if skip_checked and key is not None and key in _CHECKED_ARRAYS:
            continue  # checked when opened: not read again
        _check_values(name, sample_valid_values(ds[name]), where)
        if key is not None:
            _CHECKED_ARRAYS.append(key)
            del _CHECKED_ARRAYS[:-_MAX_REMEMBERED]


def looks_like_decibels(values: np.ndarray) -> bool:
    """Whether valid backscatter ``values`` are in dB rather than linear power: more
    than ``DB_NEGATIVE_SHARE`` of them negative. The one rule for cubes and products."""
    return values.size > 0 and float(np.mean(values < 0)) > DB_NEGATIVE_SHARE


def _dask_name(array: xr.DataArray) -> str | None:
    data: Any = array.data
    return str(data.name) if hasattr(data, "blocks") else None  # numpy: no name, always read


def _check_values(name: str, values: np.ndarray, where: str) -> None:
    if values.size == 0:
        raise CubeContentError(
            f"{name!r}{where} is all nodata (every pixel NaN): there is nothing to "
            "train on or map. Check the scene's footprint and the build's date range."
        )
    if not np.any(values):
        raise CubeContentError(
            f"{name!r}{where} is all zeros: not backscatter (zeros usually mark "
            "nodata). Set nodata to NaN (ds[name].where(ds[name] != 0)) or rebuild it."
        )
    if looks_like_decibels(values):
        negative = float(np.mean(values < 0))
        median = float(np.median(values))
        raise CubeContentError(
            f"{name!r}{where} looks like backscatter in dB ({negative:.0%} of the "
            f"sampled pixels are negative, median {median:.1f}); sarslide needs linear "
            f"power (>= 0). Convert it: ds['{name}'] = 10 ** (ds['{name}'] / 10)."
        )
