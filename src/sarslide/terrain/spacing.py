"""Pixel spacing in metres of a (y, x) raster, from its coordinates and CRS.

Projected CRS: the coordinate steps, converted to metres with the CRS axis unit.
Geographic CRS (EPSG:4326 ...): one east-west and one north-south spacing per row,
from the latitude and the CRS ellipsoid (prime-vertical and meridional radii of
curvature), so slopes are never computed on degrees.
No CRS: coordinates are taken as metres, unless they look like longitude/latitude,
which is refused (write a CRS or pass ``resolution_m``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr
from numpy.typing import NDArray
from pyproj import CRS

from sarslide.conventions import DIM_X, DIM_Y
from sarslide.errors import CrsError, RasterGridError

logger = logging.getLogger(__name__)

# A no-CRS grid whose steps are at most this and whose coordinates fit in lon/lat
# ranges is taken for degrees and refused.
GEOGRAPHIC_LOOKING_MAX_STEP: float = 0.1
MAX_ABS_LATITUDE_DEG: float = 89.9


@dataclass(frozen=True)
class PixelSpacing:
    """Signed spacing in metres: ``x_m`` towards increasing x, ``y_m`` towards increasing y.

    Each is a float, or a ``(ny, 1)`` float64 array (one value per row) for geographic grids.
    """

    x_m: float | NDArray[np.float64]
    y_m: float | NDArray[np.float64]

    @property
    def per_row(self) -> bool:
        return isinstance(self.x_m, np.ndarray)


def resolve_pixel_spacing(
    dem: xr.DataArray, resolution_m: float | tuple[float, float] | None = None
) -> PixelSpacing:
    """Return the signed metric pixel spacing of ``dem``.

    Args:
        dem: a (y, x) raster with 1-D ``x`` and ``y`` coordinates (rioxarray style).
        resolution_m: pixel size in metres, ``size`` or ``(size_x, size_y)``; overrides
            coordinates and CRS. Signs come from the coordinates' order when present,
            otherwise a north-up raster is assumed.

    Raises:
        CrsError: geographic-looking coordinates without a CRS, latitudes at the pole.
        RasterGridError: missing or irregular coordinates.
    """
    steps = _coordinate_steps(dem)
    if resolution_m is not None:
        size_x, size_y = _parse_resolution(resolution_m)
        sign_x, sign_y = (1.0, -1.0) if steps is None else np.sign(steps)
        return PixelSpacing(float(sign_x * size_x), float(sign_y * size_y))
    if steps is None:
        raise RasterGridError(
            f"The DEM has no 1-D '{DIM_X}'/'{DIM_Y}' coordinates (coords: {list(dem.coords)}), "
            "so its pixel size is unknown. Assign coordinates (e.g. open it with "
            "rioxarray.open_rasterio) or pass resolution_m=<pixel size in metres>."
        )
    step_x, step_y = steps
    crs = _read_crs(dem)
    if crs is None:
        if _looks_geographic(dem, step_x, step_y):
            raise CrsError(
                "The DEM has no CRS and its coordinates look like longitude/latitude "
                f"(steps {step_x:g}, {step_y:g}); a slope on degrees would be wrong. "
                "Write the CRS with dem.rio.write_crs('EPSG:4326') (converted to metres "
                "per row) or reproject to a metric CRS, or pass resolution_m=..."
            )
        logger.warning(
            "DEM has no CRS; taking its coordinate steps (%g, %g) as metres.", step_x, step_y
        )
        return PixelSpacing(float(step_x), float(step_y))
    if crs.is_geographic:
        return _geographic_spacing(dem[DIM_Y].values, step_x, step_y, crs)
    factor_x, factor_y = (axis.unit_conversion_factor for axis in crs.axis_info[:2])
    return PixelSpacing(float(step_x * factor_x), float(step_y * factor_y))


def _parse_resolution(resolution_m: float | tuple[float, float]) -> tuple[float, float]:
    try:
        sizes = np.broadcast_to(np.asarray(resolution_m, dtype=np.float64), (2,))
    except (TypeError, ValueError):
        sizes = np.array([np.nan])
    if sizes.shape != (2,) or not np.all(np.isfinite(sizes) & (sizes > 0)):
        raise RasterGridError(
            f"Invalid {resolution_m=}; give a positive pixel size in metres or a pair "
            "(size_x, size_y)."
        )
    return float(sizes[0]), float(sizes[1])


def _coordinate_steps(dem: xr.DataArray) -> tuple[float, float] | None:
    if DIM_X not in dem.coords or DIM_Y not in dem.coords:
        return None
    steps = []
    for dim in (DIM_X, DIM_Y):
        values = np.asarray(dem[dim].values, dtype=np.float64)
        if values.ndim != 1 or values.size < 2:
            return None
        diffs = np.diff(values)
        step = float(diffs[0])
        if (
            not np.all(np.isfinite(diffs))
            or step == 0
            or not np.allclose(diffs, step, rtol=1e-6, atol=0)
        ):
            raise RasterGridError(
                f"The DEM's '{dim}' coordinate is not a regular grid (steps from "
                f"{diffs.min():g} to {diffs.max():g}); resample it to a regular grid first."
            )
        steps.append(step)
    return steps[0], steps[1]


def _read_crs(dem: xr.DataArray) -> CRS | None:
    try:
        crs = dem.rio.crs
    except Exception as err:  # rioxarray raises several types on broken metadata
        raise CrsError(
            f"The DEM's CRS could not be read ({err}); write one with dem.rio.write_crs(...)."
        ) from err
    return None if crs is None else CRS.from_user_input(crs)


def _looks_geographic(dem: xr.DataArray, step_x: float, step_y: float) -> bool:
    x = dem[DIM_X].values
    y = dem[DIM_Y].values
    small_steps = max(abs(step_x), abs(step_y)) <= GEOGRAPHIC_LOOKING_MAX_STEP
    in_range = bool(np.all(np.abs(x) <= 360) and np.all(np.abs(y) <= 90))
    return small_steps and in_range


def _geographic_spacing(
    lat_deg: NDArray[np.floating], step_lon_deg: float, step_lat_deg: float, crs: CRS
) -> PixelSpacing:
    lat = np.asarray(lat_deg, dtype=np.float64)
    if np.any(np.abs(lat) > MAX_ABS_LATITUDE_DEG):
        raise CrsError(
            f"The DEM is in geographic CRS {crs.name!r} and reaches latitude "
            f"{np.abs(lat).max():.3f} deg; east-west spacing vanishes at the pole. "
            "Reproject it to a polar stereographic CRS first (dem.rio.reproject('EPSG:3413'))."
        )
    ellipsoid = crs.ellipsoid
    if ellipsoid is None:
        raise CrsError(f"The geographic CRS {crs.name!r} has no ellipsoid; cannot convert to m.")
    a = ellipsoid.semi_major_metre
    inv_f = ellipsoid.inverse_flattening
    flattening = 0.0 if not inv_f else 1.0 / inv_f
    e2 = flattening * (2 - flattening)
    phi = np.radians(lat)
    w2 = 1 - e2 * np.sin(phi) ** 2
    prime_vertical_m = a / np.sqrt(w2)
    meridional_m = a * (1 - e2) / w2**1.5
    x_m = prime_vertical_m * np.cos(phi) * np.radians(step_lon_deg)
    y_m = meridional_m * np.radians(step_lat_deg)
    logger.info(
        "DEM in geographic CRS %s: converting degrees to metres per row "
        "(east-west %.2f-%.2f m, north-south %.2f m).",
        crs.name, np.abs(x_m).min(), np.abs(x_m).max(), np.abs(y_m).mean(),
    )  # fmt: skip
    return PixelSpacing(x_m[:, None], y_m[:, None])
