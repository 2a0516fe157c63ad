"""Terrain derivatives of a (y, x) DEM DataArray: slope, aspect, curvatures.

numpy-backed input is computed at once; dask-backed input stays lazy and is
computed chunk by chunk with ``map_overlap`` (depth 1), giving bit-identical
results to the numpy path. Nodata (NaN, or the DEM's ``nodata``/``_FillValue``)
stays nodata (NaN), and so does every cell whose 3x3 window touches nodata, as
gdaldem does when the DEM declares its nodata (tested on the same DEM;
docs/terrain.md, "Nodata and edges", also for undeclared NaN). Edges: ``edges="nan"``
(default, as ``gdaldem`` without ``-compute_edges``) leaves the one-cell border NaN;
``edges="extend"`` extrapolates the DEM linearly by one cell (exact on planes) so
border cells get values.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, Literal

import dask.array as da
import numpy as np
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr

from sarslide.conventions import DIM_X, DIM_Y, SPATIAL_DIMS
from sarslide.errors import RasterGridError
from sarslide.terrain import kernels
from sarslide.terrain.kernels import METHODS, Method
from sarslide.terrain.spacing import PixelSpacing, resolve_pixel_spacing

SlopeUnits = Literal["radians", "degrees", "riserun"]
Edges = Literal["nan", "extend"]
CurvatureConvention = Literal["richdem", "saga"]
CURVATURE_CONVENTIONS: tuple[str, ...] = ("richdem", "saga")
SLOPE_UNITS: tuple[str, ...] = ("radians", "degrees", "riserun")
EDGES: tuple[str, ...] = ("nan", "extend")
Resolution = float | tuple[float, float] | None

# Cells per strip of rows handed to a kernel at once (temporaries of ~1 MiB stay in cache).
STRIP_CELLS = 2**18

# kernel(zp, spacing_x_m, spacing_y_m) -> interior
Kernel = Callable[..., np.ndarray]


def compute_slope(
    dem: xr.DataArray,
    *,
    method: Method = "horn",
    units: SlopeUnits = "radians",
    edges: Edges = "nan",
    resolution_m: Resolution = None,
) -> xr.DataArray:
    """Terrain slope, as ``gdaldem slope`` (Horn 1981 or Zevenbergen & Thorne 1987).

    Args:
        dem: (y, x) elevations in metres with x/y coordinates; numpy or dask backed.
        method: ``"horn"`` (3x3, GDAL default) or ``"zevenbergen_thorne"`` (4 neighbours).
        units: ``"radians"``, ``"degrees"`` or ``"riserun"`` (tangent of the slope).
        edges: ``"nan"`` leaves the one-cell border NaN, ``"extend"`` computes it.
        resolution_m: pixel size in metres overriding coordinates and CRS.

    Returns:
        Slope with the DEM's coords and CRS, attrs ``units`` and ``long_name``.
    """
    _check_choice("method", method, METHODS)
    _check_choice("units", units, SLOPE_UNITS)
    kernel = partial(kernels.compute_slope_tan, method=method)
    tan = _apply_kernel(dem, kernel, edges=edges, resolution_m=resolution_m)
    if units == "riserun":
        data, unit_attr = tan.data, "1"
    elif units == "degrees":
        data, unit_attr = np.degrees(np.arctan(tan.data)), "degrees"
    else:
        data, unit_attr = np.arctan(tan.data), "radians"
    return _finish(tan, data, unit_attr, "terrain slope", method=method)


def compute_aspect(
    dem: xr.DataArray,
    *,
    method: Method = "horn",
    flat_value: float = -1.0,
    edges: Edges = "nan",
    resolution_m: Resolution = None,
) -> xr.DataArray:
    """Aspect in degrees [0, 360), clockwise from north, the direction the slope faces.

    GDAL's ``gdaldem aspect`` convention (0 = north-facing, 90 = east-facing).
    Flat cells (zero gradient) get ``flat_value``: -1 by default (as RichDEM and
    xarray-spatial), outside [0, 360) so it is never mistaken for an azimuth; GDAL
    writes its nodata there (use ``flat_value=np.nan``) or 0 with ``-zero_for_flat``.
    Nodata stays NaN.
    """
    _check_choice("method", method, METHODS)
    kernel = partial(kernels.compute_aspect_deg, method=method, flat_value=flat_value)
    out = _apply_kernel(dem, kernel, edges=edges, resolution_m=resolution_m)
    return _finish(
        out,
        out.data,
        "degrees",
        "aspect, clockwise from north, direction the slope faces",
        method=method,
        flat_value=flat_value,
    )


def compute_curvature(
    dem: xr.DataArray, *, edges: Edges = "nan", resolution_m: Resolution = None
) -> xr.DataArray:
    """Total curvature ``-2 (D + E) * 100`` (Zevenbergen & Thorne 1987; RichDEM, ArcGIS).

    Units 1/(100 m); positive is convex (hill tops), negative concave (valleys).
    """
    out = _apply_kernel(
        dem, kernels.compute_total_curvature, edges=edges, resolution_m=resolution_m
    )
    return _finish(out, out.data, "1/(100 m)", "terrain curvature", method="zevenbergen_thorne")


def compute_plan_curvature(
    dem: xr.DataArray,
    *,
    convention: CurvatureConvention = "richdem",
    edges: Edges = "nan",
    resolution_m: Resolution = None,
) -> xr.DataArray:
    """Plan (planform) curvature from the Zevenbergen & Thorne (1987) surface.

    ``convention="richdem"`` (default, as RichDEM/ArcGIS), in 1/(100 m):
    ``-2 (D H^2 + E G^2 - F G H) / (G^2 + H^2) * 100``.
    ``convention="saga"`` (SAGA "Slope, Aspect, Curvature"), in 1/m:
    ``-(t p^2 + r q^2 - 2 s p q) / (p^2 + q^2)^1.5``. Both: 0 on flat cells.
    """
    _check_choice("convention", convention, CURVATURE_CONVENTIONS)
    kernel, units = (
        (kernels.compute_plan_curvature_richdem, "1/(100 m)")
        if convention == "richdem"
        else (kernels.compute_plan_curvature_saga, "1/m")
    )
    out = _apply_kernel(dem, kernel, edges=edges, resolution_m=resolution_m)
    return _finish(
        out, out.data, units, "planform curvature", method="zevenbergen_thorne",
        convention=convention,
    )  # fmt: skip


def compute_profile_curvature(
    dem: xr.DataArray,
    *,
    convention: CurvatureConvention = "richdem",
    edges: Edges = "nan",
    resolution_m: Resolution = None,
) -> xr.DataArray:
    """Profile curvature from the Zevenbergen & Thorne (1987) surface.

    ``convention="richdem"`` (default), in 1/(100 m):
    ``2 (D G^2 + E H^2 + F G H) / (G^2 + H^2) * 100``; negative where the slope
    steepens downhill (convex profile).
    ``convention="saga"``, in 1/m, OPPOSITE sign (positive where convex):
    ``-(r p^2 + t q^2 + 2 s p q) / ((p^2 + q^2) (1 + p^2 + q^2)^1.5)``.
    Both: 0 on flat cells.
    """
    _check_choice("convention", convention, CURVATURE_CONVENTIONS)
    kernel, units = (
        (kernels.compute_profile_curvature_richdem, "1/(100 m)")
        if convention == "richdem"
        else (kernels.compute_profile_curvature_saga, "1/m")
    )
    out = _apply_kernel(dem, kernel, edges=edges, resolution_m=resolution_m)
    return _finish(
        out, out.data, units, "profile curvature", method="zevenbergen_thorne",
        convention=convention,
    )  # fmt: skip


# --- machinery ------------------------------------------------------------------------


def _check_choice(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"Invalid {name}={value!r}. Must be one of {allowed}.")


def prepare_dem(dem: xr.DataArray) -> xr.DataArray:
    """Check dims and size; return float elevations with nodata as NaN (lazy if dask)."""
    if not isinstance(dem, xr.DataArray):
        raise RasterGridError(
            f"Expected an xarray.DataArray DEM, got {type(dem).__name__}; "
            "pass ds['dem'] rather than the Dataset."
        )
    if dem.dims != SPATIAL_DIMS:
        raise RasterGridError(
            f"The DEM must have dims {SPATIAL_DIMS}, got {dem.dims}. Select or squeeze extra "
            "dims (e.g. dem.squeeze('band', drop=True)) and rename to ('y', 'x')."
        )
    if dem.sizes[DIM_Y] < 3 or dem.sizes[DIM_X] < 3:
        raise RasterGridError(
            f"The DEM is {dem.sizes[DIM_Y]}x{dem.sizes[DIM_X]} px; a 3x3 window needs at "
            "least 3x3 px."
        )
    dtype = np.result_type(dem.dtype, np.float32)
    if not np.issubdtype(dtype, np.floating):
        raise RasterGridError(f"The DEM has non-numeric dtype {dem.dtype}.")
    nodata = _read_nodata(dem)
    z = dem.astype(dtype, copy=False)
    if nodata is not None and not np.isnan(nodata):
        z = z.where(z != nodata)
    return z


def _read_nodata(dem: xr.DataArray) -> float | None:
    try:
        nodata = dem.rio.nodata
    except Exception:  # malformed nodata metadata: fall back to attrs
        nodata = None
    if nodata is None:
        nodata = dem.attrs.get("_FillValue", dem.attrs.get("nodata"))
    return None if nodata is None else float(nodata)


def _apply_kernel(
    dem: xr.DataArray, kernel: Kernel, *, edges: Edges, resolution_m: Resolution
) -> xr.DataArray:
    _check_choice("edges", edges, EDGES)
    z = prepare_dem(dem)
    spacing = resolve_pixel_spacing(dem, resolution_m)
    data: Any
    if isinstance(z.data, da.Array):
        data = _apply_dask(z.data, kernel, spacing, edges)
    else:
        zp = _pad(np.asarray(z.data), np, edges)
        data = _run_kernel(kernel, zp, spacing.x_m, spacing.y_m)
    return z.copy(data=data)


def _pad(z: Any, xp: Any, edges: Edges) -> Any:
    """Pad one cell: NaN, or linear extrapolation ``2 edge - reflect`` (same in numpy/dask)."""
    if edges == "nan":
        return xp.pad(z, 1, mode="constant", constant_values=np.nan)
    return 2 * xp.pad(z, 1, mode="edge") - xp.pad(z, 1, mode="reflect")


def _apply_dask(z: da.Array, kernel: Kernel, spacing: PixelSpacing, edges: Edges) -> da.Array:
    zp = _pad(z, da, edges)
    if spacing.per_row:
        sx = np.pad(np.asarray(spacing.x_m)[:, 0], 1, mode="edge")[:, None]
        sy = np.pad(np.asarray(spacing.y_m)[:, 0], 1, mode="edge")[:, None]
        sx_b = da.broadcast_to(da.from_array(sx, chunks=(zp.chunks[0], (1,))), zp.shape, zp.chunks)
        sy_b = da.broadcast_to(da.from_array(sy, chunks=(zp.chunks[0], (1,))), zp.shape, zp.chunks)
        out = da.map_overlap(
            partial(_run_block_per_row, kernel),
            zp, sx_b, sy_b, depth=1, boundary="none", dtype=z.dtype, trim=True,
        )  # fmt: skip
    else:
        out = da.map_overlap(
            partial(_run_block, kernel, spacing.x_m, spacing.y_m),
            zp, depth=1, boundary="none", dtype=z.dtype, trim=True,
        )  # fmt: skip
    return out[1:-1, 1:-1]


def _run_kernel(kernel: Kernel, zp: np.ndarray, sx: Any, sy: Any) -> np.ndarray:
    """Run ``kernel`` on strips of rows so temporaries stay in cache; same values as one call."""
    ny, nx = zp.shape[0] - 2, zp.shape[1] - 2
    strip = max(8, STRIP_CELLS // max(nx, 1))
    if ny <= strip:
        return _run_kernel_once(kernel, zp, sx, sy)
    out = np.empty((ny, nx), dtype=zp.dtype)
    for start in range(0, ny, strip):
        stop = min(start + strip, ny)
        out[start:stop] = _run_kernel_once(
            kernel, zp[start : stop + 2], _rows(sx, start, stop), _rows(sy, start, stop)
        )
    return out


def _rows(spacing: Any, start: int, stop: int) -> Any:
    return spacing[start:stop] if np.ndim(spacing) == 2 else spacing


def _run_kernel_once(kernel: Kernel, zp: np.ndarray, sx: Any, sy: Any) -> np.ndarray:
    out = kernels.mask_nodata_windows(zp, kernel(zp, sx, sy))
    return out.astype(zp.dtype, copy=False)


def _run_block(kernel: Kernel, sx: Any, sy: Any, block: np.ndarray) -> np.ndarray:
    out = np.full(block.shape, np.nan, dtype=block.dtype)
    if block.shape[0] >= 3 and block.shape[1] >= 3:
        out[1:-1, 1:-1] = _run_kernel(kernel, block, sx, sy)
    return out


def _run_block_per_row(
    kernel: Kernel, block: np.ndarray, sx: np.ndarray, sy: np.ndarray
) -> np.ndarray:
    out = np.full(block.shape, np.nan, dtype=block.dtype)
    if block.shape[0] >= 3 and block.shape[1] >= 3:
        out[1:-1, 1:-1] = _run_kernel(kernel, block, sx[1:-1, :1], sy[1:-1, :1])
    return out


def _is_plain_attr(value: object) -> bool:
    return isinstance(value, str) or (isinstance(value, float) and bool(np.isfinite(value)))


def _finish(
    template: xr.DataArray, data: Any, units: str, long_name: str, **extra: object
) -> xr.DataArray:
    """Wrap ``data`` with the DEM's dims/coords (CRS included) and fresh attrs."""
    out = xr.DataArray(data, dims=template.dims, coords=template.coords, name=None)
    attrs: dict[str, Any] = {"units": units, "long_name": long_name}
    attrs.update({f"terrain_{k}": v for k, v in extra.items() if _is_plain_attr(v)})
    out.attrs = attrs
    grid_mapping = template.attrs.get("grid_mapping") or template.encoding.get("grid_mapping")
    if grid_mapping is not None:
        out.attrs["grid_mapping"] = grid_mapping
    return out
