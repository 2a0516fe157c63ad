"""Add the datacube's terrain variables to a Dataset holding a DEM."""

from __future__ import annotations

import xarray as xr

from sarslide.conventions import (
    COORD_SPATIAL_REF,
    VAR_DEM,
    VAR_DEM_ASPECT,
    VAR_DEM_CURVATURE,
    VAR_DEM_SLOPE,
    VARIABLES,
)
from sarslide.errors import CubeValidationError
from sarslide.terrain.derivatives import (
    Edges,
    Resolution,
    compute_aspect,
    compute_curvature,
    compute_slope,
)
from sarslide.terrain.kernels import Method


def add_terrain_variables(
    ds: xr.Dataset,
    *,
    method: Method = "horn",
    edges: Edges = "nan",
    resolution_m: Resolution = None,
) -> xr.Dataset:
    """Return a copy of ``ds`` with slope (radians), aspect (degrees) and curvature added.

    The variables are ``conventions.VAR_DEM_SLOPE``, ``VAR_DEM_ASPECT`` and
    ``VAR_DEM_CURVATURE``, computed from ``ds["dem"]`` and carrying the ``units`` and
    ``long_name`` of ``conventions.VARIABLES``. Existing variables of those names are
    replaced. Lazy (dask) DEMs give lazy variables. See ``compute_slope`` and
    friends for ``method``, ``edges`` and ``resolution_m``.
    """
    if VAR_DEM not in ds.data_vars:
        raise CubeValidationError(
            [
                f"missing variable {VAR_DEM!r} (have {sorted(map(str, ds.data_vars))}); "
                "add the elevation as ds['dem'] (y, x) in metres."
            ]
        )
    out = _promote_grid_mapping(ds)
    dem = out[VAR_DEM]
    derived = {
        VAR_DEM_SLOPE: compute_slope(
            dem, method=method, units="radians", edges=edges, resolution_m=resolution_m
        ),
        VAR_DEM_ASPECT: compute_aspect(dem, method=method, edges=edges, resolution_m=resolution_m),
        VAR_DEM_CURVATURE: compute_curvature(dem, edges=edges, resolution_m=resolution_m),
    }
    for name, da in derived.items():
        spec = VARIABLES[name]
        da.attrs["units"] = spec.units
        da.attrs["long_name"] = spec.long_name
        out[name] = da
    return out


def _promote_grid_mapping(ds: xr.Dataset) -> xr.Dataset:
    """Copy of ``ds`` with its grid-mapping variable as a coordinate, as rioxarray expects.

    A store written by rioxarray and reopened with ``xr.open_zarr`` may hold
    ``spatial_ref`` as a data variable, which hides the CRS from ``ds["dem"].rio.crs``.
    """
    dem = ds[VAR_DEM]
    name = dem.attrs.get("grid_mapping") or dem.encoding.get("grid_mapping") or COORD_SPATIAL_REF
    if name in ds.data_vars:
        return ds.set_coords(name)
    return ds.copy()
