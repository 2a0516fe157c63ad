"""Check a dataset against the datacube contract, reporting every problem at once."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr

from sarslide import conventions as cv
from sarslide.crs_text import format_crs
from sarslide.datacube.orbit import ACCEPTED_TEXT, unknown_orbit_states
from sarslide.errors import CubeValidationError

# Fewest pixels along y and x: the pixel size is the step between two coordinates.
MIN_SIZE_PX = 2


def validate_cube(
    ds: xr.Dataset,
    *,
    task: str = "any",
    required_vars: Iterable[str] = (),
    allow_geographic: bool = False,
    source: str | None = None,
) -> xr.Dataset:
    """Check ``ds`` against the datacube contract and return it unchanged.

    Args:
        ds: the datacube.
        task: one of ``conventions.TASK_REQUIREMENTS`` ("any", "detection", "mapping",
            "terrain", "insar"): names the variables the caller cannot do without.
        required_vars: further variables the caller needs (e.g. the channels of a model).
        allow_geographic: accept a lat/lon CRS (never for terrain or metric work).
        source: where the cube came from, quoted in the error.

    Raises:
        CubeValidationError: listing every problem found, each with how to fix it.
    """
    if task not in cv.TASK_REQUIREMENTS:
        raise CubeValidationError(
            [f"Invalid {task=}. Must be one of {sorted(cv.TASK_REQUIREMENTS)}."], source=source
        )
    problems: list[str] = []
    required = dict.fromkeys([*cv.TASK_REQUIREMENTS[task], *required_vars])
    missing = [name for name in required if name not in ds.data_vars]
    if missing:
        problems.append(
            f"missing variable(s) {missing} (needed for task {task!r}); the cube has "
            f"{sorted(map(str, ds.data_vars))}. Rebuild or simulate a cube that has them, "
            "or choose channels the cube offers."
        )
    problems += _check_all_nodata(ds, [name for name in required if name in ds.data_vars])
    problems += _check_variable_dims(ds)
    problems += _check_spatial_coords(ds)
    problems += _check_crs(ds, allow_geographic=allow_geographic)
    problems += _check_time(ds)
    problems += _check_event_window(ds)
    if problems:
        raise CubeValidationError(problems, source=source)
    return ds


def _check_all_nodata(ds: xr.Dataset, names: list[str]) -> list[str]:
    """Required float variables without a single finite value (e.g. a DEM that missed
    the AOI). Reads chunk by chunk and stops at the first finite value: one chunk per
    variable for a usable cube."""
    empty = [name for name in names if not _has_finite_value(ds[name])]
    if not empty:
        return []
    return [
        f"variable(s) {empty} are entirely nodata (NaN everywhere); a source did not "
        "cover the cube's area (e.g. a DEM over another place). Rebuild the cube with "
        "sources that cover the AOI."
    ]


def _has_finite_value(da: xr.DataArray) -> bool:
    if not np.issubdtype(da.dtype, np.floating) or da.size == 0:
        return True  # integers have no NaN: nothing to judge by
    data = da.data
    if not hasattr(data, "blocks"):
        return bool(np.isfinite(np.asarray(data)).any())
    blocks = data.blocks
    indices = list(np.ndindex(*blocks.shape))
    middle = len(indices) // 2  # the middle of the scene first: edges are often nodata
    for index in [indices[middle], *indices[:middle], *indices[middle + 1 :]]:
        if np.isfinite(np.asarray(blocks[index].compute())).any():
            return True
    return False


def _check_variable_dims(ds: xr.Dataset) -> list[str]:
    problems = []
    for name, spec in cv.VARIABLES.items():
        if name not in ds.data_vars:
            continue
        dims = ds[name].dims
        if set(dims) != set(spec.dims):
            problems.append(
                f"variable {name!r} has dims {dims}; the contract says {spec.dims}. "
                f"Transpose or rename dimensions (e.g. ds.rename(band='{cv.DIM_TIMESTEP}'))."
            )
        if spec.kind == "float" and not np.issubdtype(ds[name].dtype, np.floating):
            problems.append(
                f"variable {name!r} has dtype {ds[name].dtype}; expected a float dtype "
                "(NaN marks nodata). Cast it with .astype('float32')."
            )
    return problems


def _check_spatial_coords(ds: xr.Dataset) -> list[str]:
    problems = []
    for dim in cv.SPATIAL_DIMS:
        if dim not in ds.dims:
            problems.append(
                f"dimension {dim!r} is missing (dims are {dict(ds.sizes)}); spatial dims "
                f"must be named {cv.SPATIAL_DIMS}."
            )
            continue
        if dim not in ds.coords:
            problems.append(f"dimension {dim!r} has no coordinate; assign map coordinates.")
            continue
        values = np.asarray(ds[dim].values, dtype="float64")
        if not np.all(np.isfinite(values)):
            problems.append(f"coordinate {dim!r} has non-finite values (NaN or inf).")
        elif values.size < MIN_SIZE_PX:
            problems.append(
                f"dimension {dim!r} has {values.size} pixel(s); a cube needs at least "
                f"{MIN_SIZE_PX} along each of {cv.SPATIAL_DIMS} (the pixel size comes from "
                "the coordinates). Use a larger area."
            )
        elif values.size > 1:
            steps = np.diff(values)
            if not (np.all(steps > 0) or np.all(steps < 0)):
                problems.append(
                    f"coordinate {dim!r} is not strictly monotonic; sort it with "
                    f"ds.sortby('{dim}')."
                )
            elif not np.allclose(steps, steps[0], rtol=1e-6, atol=1e-9):
                problems.append(
                    f"coordinate {dim!r} is not regularly spaced (steps from {steps.min()} "
                    f"to {steps.max()}); regrid onto a regular grid."
                )
    return problems


def _check_crs(ds: xr.Dataset, *, allow_geographic: bool) -> list[str]:
    try:
        crs = ds.rio.crs
    except Exception as err:  # rioxarray raises several types on broken metadata
        return [f"the CRS could not be read ({err}); write one with ds.rio.write_crs(...)."]
    if crs is None:
        return [
            "no CRS found (no 'spatial_ref' coordinate with 'crs_wkt'); write one with "
            "ds.rio.write_crs('EPSG:32654') (the cube's projected CRS)."
        ]
    if crs.is_geographic and not allow_geographic:
        return [
            f"the CRS {format_crs(crs)} is geographic (degrees); sarslide needs a projected "
            "CRS in metres. Reproject with ds.rio.reproject(ds.rio.estimate_utm_crs())."
        ]
    return []


def _check_time(ds: xr.Dataset) -> list[str]:
    problems = []
    if cv.DIM_TIMESTEP in ds.dims:
        if cv.DIM_TIMESTEP not in ds.coords:
            problems.append(f"dimension {cv.DIM_TIMESTEP!r} has no datetime coordinate.")
        else:
            times = ds[cv.DIM_TIMESTEP].values
            if not np.issubdtype(times.dtype, np.datetime64):
                problems.append(
                    f"coordinate {cv.DIM_TIMESTEP!r} has dtype {times.dtype}; expected "
                    "datetime64 acquisition times."
                )
            elif np.any(np.isnat(times)):
                problems.append(f"coordinate {cv.DIM_TIMESTEP!r} has missing times (NaT).")
            elif times.size > 1 and not np.all(np.diff(times) > np.timedelta64(0)):
                problems.append(
                    f"coordinate {cv.DIM_TIMESTEP!r} is not strictly increasing; sort with "
                    f"ds.sortby('{cv.DIM_TIMESTEP}') and drop duplicate acquisitions."
                )
        if cv.COORD_ORBIT_STATE in ds.coords:
            unknown = unknown_orbit_states(ds[cv.COORD_ORBIT_STATE].values)
            if unknown:
                problems.append(
                    f"coordinate {cv.COORD_ORBIT_STATE!r} has values {unknown}; accepted: "
                    f"{ACCEPTED_TEXT}. Fix the store's coordinate (or drop it)."
                )
    return problems


def _check_event_window(ds: xr.Dataset) -> list[str]:
    problems = []
    parsed = {}
    for key in (cv.ATTR_EVENT_START, cv.ATTR_EVENT_END):
        if key in ds.attrs:
            try:
                parsed[key] = pd.Timestamp(ds.attrs[key])
            except (ValueError, TypeError):
                problems.append(
                    f"attribute {key!r}={ds.attrs[key]!r} is not a date; use ISO 8601 "
                    "such as '2018-09-05T18:08:00'."
                )
    if len(parsed) == 2 and parsed[cv.ATTR_EVENT_END] < parsed[cv.ATTR_EVENT_START]:
        problems.append(
            f"event window ends ({ds.attrs[cv.ATTR_EVENT_END]}) before it starts "
            f"({ds.attrs[cv.ATTR_EVENT_START]})."
        )
    return problems
