"""Orbit-state spellings: the published cubes store 'a'/'d', STAC says 'ascending'.

The paper's code selects with ``ds['sat:orbit_state'] == 'd'``, so the Zenodo cubes
and the stores sarslide writes hold single letters; STAC items hold full words; other tools
write 'ASC'/'DESC' or bytes. ``open_cube`` normalises the coordinate in memory to the
full lowercase words (``conventions.ORBIT_STATES``); the store is never rewritten.
``write_cube`` stores them as the published cubes do, 'a'/'d' (``datacube.dialect``).
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import xarray as xr

from sarslide import conventions as cv

ORBIT_SPELLINGS: Final[dict[str, str]] = {
    "a": cv.ORBIT_ASCENDING,
    "asc": cv.ORBIT_ASCENDING,
    "ascending": cv.ORBIT_ASCENDING,
    "d": cv.ORBIT_DESCENDING,
    "desc": cv.ORBIT_DESCENDING,
    "descending": cv.ORBIT_DESCENDING,
}
ACCEPTED_TEXT: Final = "a/asc/ascending or d/desc/descending (any case, str or bytes)"


def normalise_orbit_state(value: Any) -> str:
    """One orbit state in any accepted spelling -> 'ascending' or 'descending'.

    Raises:
        ValueError: the value is not an accepted spelling (the message lists them).
    """
    text = value.decode("utf-8", "replace") if isinstance(value, (bytes, np.bytes_)) else value
    key = str(text).strip().lower()
    if key not in ORBIT_SPELLINGS:
        raise ValueError(f"orbit state {text!r} is not one of {ACCEPTED_TEXT}")
    return ORBIT_SPELLINGS[key]


def unknown_orbit_states(values: Any) -> list[str]:
    """The values (as text) that are no accepted spelling."""
    unknown = set()
    for value in np.asarray(values).ravel():
        try:
            normalise_orbit_state(value)
        except ValueError:
            unknown.add(
                value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
            )
    return sorted(unknown)


def normalise_orbit_coord(ds: xr.Dataset) -> xr.Dataset:
    """``ds`` with its orbit-state coordinate spelled 'ascending'/'descending' (a new
    object; nothing is written). Left as it is when a value is unknown: validation
    reports it."""
    if cv.COORD_ORBIT_STATE not in ds.coords:
        return ds
    coord = ds[cv.COORD_ORBIT_STATE]
    values = np.asarray(coord.values)
    if unknown_orbit_states(values):
        return ds
    words = np.array([normalise_orbit_state(v) for v in values.ravel()], dtype=object)
    normalised = words.reshape(values.shape).astype(str)
    if values.dtype == normalised.dtype and np.array_equal(values, normalised):
        return ds
    return ds.assign_coords({cv.COORD_ORBIT_STATE: coord.variable.copy(data=normalised)})
