"""What a written cube holds so that the tools around it read it: the published dialect.

``write_cube`` passes every cube through ``to_published_dialect`` just before writing:

- the paper's loader (landslide-sar-unet ``datamodule.py``) selects acquisitions with
  ``ds['sat:orbit_state'] == 'd'`` and drops the ``timepair`` dimension by name, so the
  orbit state is stored as the published cubes spell it ('a'/'d') and a cube without
  InSAR still has a ``timepair`` dimension (length 0, with empty pair-date coordinates);
- CF-1.8: ``Conventions``, a ``grid_mapping`` on every (y, x) variable naming the
  ``spatial_ref`` grid mapping, ``standard_name``/``units``/``axis`` on x, y and the
  acquisition time;
- GDAL's Zarr driver: GDAL >= 3.9 reads the CF ``grid_mapping``; older GDAL (3.6 in
  Debian 12, QGIS LTR builds) reads only its own ``_CRS`` attribute, so each (y, x)
  variable carries ``_CRS = {"wkt": ...}`` too. GDAL derives the geotransform from the
  regularly spaced x/y coordinates.

Reading is unchanged: ``open_cube`` accepts every orbit spelling and normalises it in
memory to 'ascending'/'descending', and drops ``_CRS`` (the in-memory CRS is rioxarray's
``spatial_ref``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import xarray as xr
from pyproj import CRS

from sarslide import conventions as cv
from sarslide.datacube.orbit import normalise_orbit_state


def to_published_dialect(ds: xr.Dataset) -> xr.Dataset:
    """``ds`` as it is written: orbit letters, a ``timepair`` dimension, CF and GDAL
    attributes (a new object; ``ds`` is not modified)."""
    return add_cf_attributes(add_empty_timepair(spell_orbit_letters(ds)))


def spell_orbit_letters(ds: xr.Dataset) -> xr.Dataset:
    """The orbit-state coordinate spelled 'a'/'d' (``conventions.ORBIT_STORE_SPELLING``).

    Values must be accepted spellings (``validate_cube`` refuses others before a write).
    """
    if cv.COORD_ORBIT_STATE not in ds.coords:
        return ds
    coord = ds[cv.COORD_ORBIT_STATE]
    values = np.asarray(coord.values)
    letters = [cv.ORBIT_STORE_SPELLING[normalise_orbit_state(v)] for v in values.ravel()]
    spelled = np.array(letters, dtype="<U1").reshape(values.shape)
    return ds.assign_coords({cv.COORD_ORBIT_STATE: coord.variable.copy(data=spelled)})


def add_empty_timepair(ds: xr.Dataset) -> xr.Dataset:
    """A cube without InSAR pairs gets a ``timepair`` dimension of length 0 (index and
    empty pair start/end times), as the published cubes all have one."""
    if cv.DIM_TIMEPAIR in ds.dims:
        return ds
    empty_times = np.array([], dtype="datetime64[ns]")
    return ds.assign_coords(
        {
            cv.DIM_TIMEPAIR: np.arange(0, dtype=np.int64),
            cv.COORD_PAIR_START: (cv.DIM_TIMEPAIR, empty_times),
            cv.COORD_PAIR_END: (cv.DIM_TIMEPAIR, empty_times.copy()),
        }
    )


def add_cf_attributes(ds: xr.Dataset) -> xr.Dataset:
    """CF-1.8 and GDAL attributes: ``Conventions``, the axes' standard names and units,
    ``grid_mapping`` and ``_CRS`` on every (y, x) variable. Without a CRS only
    ``Conventions`` and the time axis are set."""
    out = ds.copy()
    out.attrs[cv.ATTR_CONVENTIONS] = cv.CF_CONVENTIONS
    if cv.DIM_TIMESTEP in out.coords:
        out[cv.DIM_TIMESTEP].attrs.update(
            standard_name="time", axis="T", long_name="acquisition start time"
        )
    crs = read_cube_crs(out)
    if crs is None:
        return out
    for dim, attrs in axis_attributes(crs).items():
        if dim in out.coords:
            out[dim].attrs.update(attrs)
    gdal_crs = {"wkt": crs.to_wkt()}
    for name in out.variables:
        if name in out.indexes or not set(cv.SPATIAL_DIMS) <= set(out[name].dims):
            continue
        out[name].encoding.pop(cv.ATTR_GRID_MAPPING, None)
        out[name].attrs[cv.ATTR_GRID_MAPPING] = cv.COORD_SPATIAL_REF
        out[name].attrs[cv.ATTR_GDAL_CRS] = gdal_crs
    return out


def read_cube_crs(ds: xr.Dataset) -> CRS | None:
    """The CRS held by the ``spatial_ref`` coordinate (``crs_wkt`` or GDAL's
    ``spatial_ref``), or None."""
    if cv.COORD_SPATIAL_REF not in ds.variables:
        return None
    attrs = ds[cv.COORD_SPATIAL_REF].attrs
    text = attrs.get("crs_wkt") or attrs.get("spatial_ref")
    return CRS.from_user_input(text) if text else None


def axis_attributes(crs: CRS) -> dict[str, dict[str, Any]]:
    """CF attributes of the x and y coordinates for ``crs`` (projected: metres or the
    CRS's unit; geographic: degrees east/north)."""
    if crs.is_geographic:
        return {
            cv.DIM_X: {
                "standard_name": "longitude",
                "long_name": "longitude",
                "units": "degrees_east",
                "axis": "X",
            },
            cv.DIM_Y: {
                "standard_name": "latitude",
                "long_name": "latitude",
                "units": "degrees_north",
                "axis": "Y",
            },
        }
    unit = crs.axis_info[0].unit_name if crs.axis_info else "metre"
    units = "m" if unit in {"metre", "meter"} else unit
    return {
        cv.DIM_X: {
            "standard_name": "projection_x_coordinate",
            "long_name": "x coordinate of projection (pixel centre)",
            "units": units,
            "axis": "X",
        },
        cv.DIM_Y: {
            "standard_name": "projection_y_coordinate",
            "long_name": "y coordinate of projection (pixel centre)",
            "units": units,
            "axis": "Y",
        },
    }


def drop_gdal_crs(ds: xr.Dataset) -> xr.Dataset:
    """``ds`` without the ``_CRS`` attributes written for GDAL (in place on a shallow
    copy; the CRS stays in ``spatial_ref``)."""
    holders = [name for name in ds.variables if cv.ATTR_GDAL_CRS in ds[name].attrs]
    if not holders:
        return ds
    out = ds.copy()
    for name in holders:
        out[name].attrs = {k: v for k, v in out[name].attrs.items() if k != cv.ATTR_GDAL_CRS}
    return out
