"""The pixel size a run trains at, and whether its data is simulated: both recorded in
its checkpoints (the model card shows them).

``train --events`` refuses events whose cubes differ in pixel size by more than
``RESOLUTION_TOLERANCE`` (a model cannot learn one texture scale from both), before
anything is chipped.
"""

from __future__ import annotations

from typing import Any

import xarray as xr

from sarslide import conventions as cv
from sarslide.chips import DataConfig
from sarslide.datacube import open_cube
from sarslide.datacube.resolution import (
    METADATA_KEY,
    GridResolution,
    cube_resolution,
    resolution_mismatch,
)
from sarslide.errors import ConfigError
from sarslide.models.training_cube import record_simulated


def record_training_grid(data: DataConfig, cube: xr.Dataset | None = None) -> dict[str, Any]:
    """The checkpoint metadata on the training cube(s), each opened once: pixel size
    (:func:`training_resolution`) and whether the data is simulated (``training_simulated``:
    a bool for one cube, per event with a summary all / none / some for several).

    Raises:
        ConfigError: the events' cubes differ in pixel size by more than 10 %.
    """
    cubes = _open_training_cubes(data, cube)
    simulated = {name: cv.is_simulated(ds.attrs) for name, ds in cubes.items()}
    flags = simulated if data.events else next(iter(simulated.values()))
    return {**_resolution_record(data, cubes), **record_simulated(flags)}


def training_resolution(data: DataConfig, cube: xr.Dataset | None = None) -> dict[str, Any]:
    """``{"training_resolution": {...}}`` for the checkpoint metadata ({} without a CRS).

    Raises:
        ConfigError: the events' cubes differ in pixel size by more than 10 %.
    """
    return _resolution_record(data, _open_training_cubes(data, cube))


def _open_training_cubes(data: DataConfig, cube: xr.Dataset | None) -> dict[str, xr.Dataset]:
    """The training cube(s) by event name (one cube: the name "")."""
    if not data.events:
        return {"": cube if cube is not None else open_cube(str(data.cube), validate=False)}
    return {event.name: open_cube(event.cube, validate=False) for event in data.events}


def _resolution_record(data: DataConfig, cubes: dict[str, xr.Dataset]) -> dict[str, Any]:
    if not data.events:
        found = cube_resolution(next(iter(cubes.values())))
        return {METADATA_KEY: found.to_dict()} if found is not None else {}
    found_by_event: dict[str, GridResolution] = {}
    for name, ds in cubes.items():
        resolution = cube_resolution(ds)
        if resolution is not None:
            found_by_event[name] = resolution
    if not found_by_event:
        return {}
    first_name, first = next(iter(found_by_event.items()))
    apart = {
        name: r for name, r in found_by_event.items() if resolution_mismatch(first, r) is not None
    }
    if apart:
        listed = ", ".join(f"{name}: {r.describe()}" for name, r in found_by_event.items())
        raise ConfigError(
            f"The events have different pixel sizes ({listed}); a model trains at one. "
            f"Rebuild {', '.join(sorted(apart))} at {first.pixel_size:g} {first.unit} (as "
            f"{first_name}; cube build --resolution-m) or train them separately."
        )
    return {METADATA_KEY: first.to_dict()}
