"""Where chips lie: each cube's CRS, pixel grid and event window (no torch, no torchgeo)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from affine import Affine
from pyproj import CRS

from sarslide import conventions as cv
from sarslide.chips import DataConfig, load_data_config, resolve_event_window
from sarslide.datacube import open_cube
from sarslide.errors import DataSelectionError


@dataclass(frozen=True)
class ChipGeoreference:
    """The grid chips of one cube were cut from, and the event they show."""

    crs: CRS
    transform: Affine
    event_start: pd.Timestamp
    event_end: pd.Timestamp

    @classmethod
    def from_cube(cls, cube: xr.Dataset, *, cfg: DataConfig | None = None) -> ChipGeoreference:
        """The CRS and grid of ``cube``; the event window as the chips resolved it."""
        if cube.rio.crs is None:
            raise DataSelectionError("The cube has no CRS; chips cannot be georeferenced.")
        window = resolve_event_window(
            cube,
            event_start=cfg.event_start if cfg else None,
            event_end=cfg.event_end if cfg else None,
            cube_name=cfg.cube if cfg else None,
        )
        return cls(
            CRS.from_user_input(cube.rio.crs.to_wkt()),
            grid_transform(cube),
            window.start,
            window.end,
        )

    def bounds(self, origin_px: np.ndarray, size_px: int) -> tuple[slice, slice, slice]:
        """torchgeo's ``GeoSlice`` of a chip: ``(x, y, t)`` slices, steps the resolution.

        x and y in the CRS's units (min to max), t the event window.
        """
        row, col = int(origin_px[0]), int(origin_px[1])
        x0, y0 = self.transform @ (col, row)
        x1, y1 = self.transform @ (col + size_px, row + size_px)
        return (
            slice(min(x0, x1), max(x0, x1), abs(self.transform.a)),
            slice(min(y0, y1), max(y0, y1), abs(self.transform.e)),
            slice(self.event_start, self.event_end),
        )


def grid_transform(cube: xr.Dataset) -> Affine:
    """The affine transform of the cube's pixel grid, from its x/y cell-centre coordinates."""
    x, y = cube[cv.DIM_X].values, cube[cv.DIM_Y].values
    if x.size < 2 or y.size < 2:
        raise DataSelectionError(f"The cube is {y.size} x {x.size} px: too small for a grid.")
    dx, dy = float(x[1] - x[0]), float(y[1] - y[0])
    return Affine(dx, 0.0, float(x[0]) - dx / 2, 0.0, dy, float(y[0]) - dy / 2)


def read_chip_georeferences(
    cfg: DataConfig | dict[str, Any], *, cube: xr.Dataset | None = None
) -> list[ChipGeoreference]:
    """One georeference per event of ``cfg`` (one for a single cube), in ``events`` order.

    Args:
        cfg: the data config the chips were built from.
        cube: the single cube, when the chips were built from one in memory.
    """
    data = load_data_config(cfg)
    if not data.events:
        if cube is None and data.cube is None:
            raise DataSelectionError("The data config names no cube; give 'cube' or 'events'.")
        opened = cube if cube is not None else open_cube(str(data.cube))
        return [ChipGeoreference.from_cube(opened, cfg=data)]
    return [
        ChipGeoreference.from_cube(open_cube(event.cube), cfg=data.for_event(event.name))
        for event in data.events
    ]
