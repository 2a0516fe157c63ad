"""The pixel size a run trains at: recorded in its checkpoints, the same for every event.

``train --events`` refuses events whose cubes differ in pixel size by more than
``RESOLUTION_TOLERANCE`` (a model cannot learn one texture scale from both), before
anything is chipped.
"""

from __future__ import annotations

from typing import Any

import xarray as xr

from sarslide.chips import DataConfig
from sarslide.datacube import open_cube
from sarslide.datacube.resolution import (
    METADATA_KEY,
    GridResolution,
    cube_resolution,
    resolution_mismatch,
)
from sarslide.errors import ConfigError


def training_resolution(data: DataConfig, cube: xr.Dataset | None = None) -> dict[str, Any]:
    """``{"training_resolution": {...}}`` for the checkpoint metadata ({} without a CRS).

    Raises:
        ConfigError: the events' cubes differ in pixel size by more than 10 %.
    """
    if not data.events:
        ds = cube if cube is not None else open_cube(str(data.cube), validate=False)
        found = cube_resolution(ds)
        return {METADATA_KEY: found.to_dict()} if found is not None else {}
    found_by_event: dict[str, GridResolution] = {}
    for event in data.events:
        resolution = cube_resolution(open_cube(event.cube, validate=False))
        if resolution is not None:
            found_by_event[event.name] = resolution
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
