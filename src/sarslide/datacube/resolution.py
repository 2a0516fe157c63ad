"""A cube's pixel size, recorded by training and checked wherever a model meets a cube.

A model learns textures at one pixel size: a model trained at 10 m sees speckle at
10 m and nothing at 30 m. ``sarslide train`` stores the training cube's pixel size and
CRS kind in the checkpoint (``training_resolution``); predict and respond refuse a cube
whose pixel size differs by more than ``RESOLUTION_TOLERANCE`` (unless asked to only
warn), and ``train --events`` refuses events of different pixel sizes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr

from sarslide.errors import DataSelectionError

logger = logging.getLogger(__name__)

RESOLUTION_TOLERANCE = 0.10  # relative difference of pixel size refused by default
METADATA_KEY = "training_resolution"


@dataclass(frozen=True)
class GridResolution:
    """The pixel size of a grid (mean of x and y) and the kind of its CRS."""

    pixel_size: float
    unit: str  # "m" (projected) or "deg" (geographic)
    crs_kind: str  # "projected", "geographic" or "unknown"

    def to_dict(self) -> dict[str, Any]:
        return {"pixel_size": self.pixel_size, "unit": self.unit, "crs_kind": self.crs_kind}

    @classmethod
    def from_dict(cls, values: Any) -> GridResolution | None:
        """The record ``to_dict`` wrote; None when absent or unreadable (older models)."""
        try:
            return cls(float(values["pixel_size"]), str(values["unit"]), str(values["crs_kind"]))
        except (KeyError, TypeError, ValueError):
            return None

    def describe(self) -> str:
        return f"{self.pixel_size:g} {self.unit} ({self.crs_kind} CRS)"


def cube_resolution(ds: xr.Dataset) -> GridResolution | None:
    """The cube's pixel size from its CRS and transform (None without a CRS)."""
    crs = ds.rio.crs
    if crs is None:
        return None
    res_x, res_y = ds.rio.resolution()
    size = (abs(float(res_x)) + abs(float(res_y))) / 2
    if crs.is_projected:
        return GridResolution(size, "m", "projected")
    if crs.is_geographic:
        return GridResolution(size, "deg", "geographic")
    return GridResolution(size, "?", "unknown")


def resolution_mismatch(trained: GridResolution, cube: GridResolution) -> str | None:
    """Why ``cube`` is not at the training resolution (None when within the tolerance)."""
    if trained.unit != cube.unit:
        return (
            f"the model was trained on a {trained.describe()} grid, the cube is {cube.describe()}"
        )
    if abs(cube.pixel_size - trained.pixel_size) <= RESOLUTION_TOLERANCE * trained.pixel_size:
        return None
    return (
        f"the model was trained at {trained.pixel_size:g} {trained.unit} pixels and the cube "
        f"has {cube.pixel_size:g} {cube.unit} (more than {RESOLUTION_TOLERANCE:.0%} apart)"
    )


def check_model_resolution(record: Any, ds: xr.Dataset, *, allow_mismatch: bool, fix: str) -> None:
    """Refuse (or, with ``allow_mismatch``, warn about) a cube at another pixel size.

    Args:
        record: the checkpoint's ``training_resolution`` (absent in older models: no check).
        ds: the cube to map.
        allow_mismatch: warn instead of refusing.
        fix: how to get a cube at the model's resolution (named in the message).

    Raises:
        DataSelectionError: the pixel sizes differ by more than 10 % and no
            ``allow_mismatch``.
    """
    trained = GridResolution.from_dict(record) if record is not None else None
    found = cube_resolution(ds)
    if trained is None or found is None:
        return
    problem = resolution_mismatch(trained, found)
    if problem is None:
        return
    if allow_mismatch:
        logger.warning(
            "resolution mismatch: %s; mapping anyway (--allow-resolution-mismatch)", problem
        )
        return
    raise DataSelectionError(
        f"Resolution mismatch: {problem}; its map would be speckle or nothing. {fix}, or "
        "pass --allow-resolution-mismatch to map anyway."
    )
