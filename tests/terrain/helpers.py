"""Tiny seeded DEMs for terrain tests."""

from __future__ import annotations

import numpy as np
import rioxarray  # noqa: F401  (registers the .rio accessor)
import xarray as xr

PROJECTED_CRS = "EPSG:32633"


def make_dem(
    values: np.ndarray,
    *,
    spacing_x_m: float = 10.0,
    spacing_y_m: float = -10.0,
    crs: str | None = PROJECTED_CRS,
) -> xr.DataArray:
    """Wrap ``values`` as a (y, x) DEM with signed spacings and an optional CRS."""
    ny, nx = values.shape
    dem = xr.DataArray(
        values,
        dims=("y", "x"),
        coords={
            "y": 7_000_000.0 + spacing_y_m * np.arange(ny),
            "x": 500_000.0 + spacing_x_m * np.arange(nx),
        },
        name="dem",
    )
    return dem if crs is None else dem.rio.write_crs(crs)


def make_rough_dem(ny: int = 37, nx: int = 41, seed: int = 0) -> xr.DataArray:
    """A rough float32 surface around 1000 m (cumulative-sum random walk)."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(ny, nx)).cumsum(0).cumsum(1) * 3 + 1000
    return make_dem(z.astype(np.float32), spacing_x_m=12.0, spacing_y_m=-10.0)


def make_plane(
    dzdx: float,
    dzdy: float,
    *,
    ny: int = 9,
    nx: int = 11,
    spacing_x_m: float = 10.0,
    spacing_y_m: float = -10.0,
) -> xr.DataArray:
    """A plane rising ``dzdx`` per metre eastwards and ``dzdy`` per metre northwards."""
    dem = make_dem(np.zeros((ny, nx)), spacing_x_m=spacing_x_m, spacing_y_m=spacing_y_m)
    x = dem["x"] - dem["x"][0]
    y = dem["y"] - dem["y"][0]
    return (100.0 + dzdx * x + dzdy * y).transpose("y", "x").rio.write_crs(PROJECTED_CRS)
