"""Warps equal to gdalwarp's on real products across a UTM zone change.

The real OPERA bursts of ``tests/data/s1-rtc-opera-dists1-10SGD`` are in EPSG:32611;
west of 120 W a grid is UTM zone 10, rotated ~3.4 degrees against them (meridian
convergence). GDAL scales its resampling kernel by the destination size over the
source window it finds for the region (``ComputeSourceWindow``): ~0.94 here at 30 m,
so the bilinear kernel spans 1/0.94 source pixels. ``sources.warp`` fixes that scale
for the whole grid, the value ``gdalwarp`` finds when it warps the grid in one piece,
so that every chunk uses it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.warp import Resampling, reproject, transform_bounds

from sarslide.sources.warp import gdal_kernel_scale, warp_to_grid

DAY = Path(__file__).parents[1] / "data" / "s1-rtc-opera-dists1-10SGD" / "track137" / "2023-10-28"
ZONE_10 = "EPSG:32610"


def _grid(path: Path, resolution_m: float) -> tuple[Affine, tuple[int, int]]:
    """A zone-10 grid 1.2 km a side inside the burst (snapped to the pixel size)."""
    with rasterio.open(path) as src:
        west, _, _, north = transform_bounds(src.crs, ZONE_10, *src.bounds)
    left = np.floor(west / resolution_m) * resolution_m + 120
    top = np.floor(north / resolution_m) * resolution_m - 120
    side = int(1200 / resolution_m)
    return Affine(resolution_m, 0, left, 0, -resolution_m, top), (side, side)


def _gdalwarp_default(path: Path, transform: Affine, shape: tuple[int, int]) -> np.ndarray:
    """``gdalwarp -r bilinear`` onto the grid, as GDAL runs it (rasterio's reproject)."""
    out = np.full(shape, np.nan, dtype="float32")
    with rasterio.open(path) as src:
        reproject(
            rasterio.band(src, 1),
            out,
            dst_crs=ZONE_10,
            dst_transform=transform,
            dst_nodata=np.nan,
            resampling=Resampling.bilinear,
        )
    return out


def _assert_within_one_ulp(ours: np.ndarray, reference: np.ndarray) -> None:
    np.testing.assert_array_equal(np.isnan(ours), np.isnan(reference))
    finite = np.isfinite(ours)
    assert finite.any()
    np.testing.assert_array_max_ulp(ours[finite], reference[finite], maxulp=1)


@pytest.mark.parametrize("resolution_m", [30.0, 60.0, 10.0])
@pytest.mark.parametrize("burst", ["292321-IW1", "292321-IW2"])
def test_bilinear_equals_gdalwarp_defaults_across_a_zone_change(
    burst: str, resolution_m: float
) -> None:
    path = next(DAY.glob(f"*{burst}_*_VV.tif"))
    transform, shape = _grid(path, resolution_m)
    with rasterio.open(path) as src:
        scale = gdal_kernel_scale(src, ZONE_10, transform, shape)
        # gdalwarp's own transformer (approximate, -et 0.125), whole grid at once
        ours = warp_to_grid(
            src,
            dst_crs=ZONE_10,
            grid_transform=transform,
            grid_shape=shape,
            resampling="bilinear",
            tolerance_px=0.125,
        )
    if resolution_m >= 30:
        assert max(scale) < 0.95  # GDAL widens the kernel here: the case the old code missed
    _assert_within_one_ulp(ours, _gdalwarp_default(path, transform, shape))


def test_the_exact_warp_is_the_same_for_any_chunking() -> None:
    path = next(DAY.glob("*292321-IW1_*_VV.tif"))
    transform, shape = _grid(path, 30.0)
    options = {"dst_crs": ZONE_10, "grid_transform": transform, "grid_shape": shape}
    whole = warp_to_grid(path, resampling="bilinear", **options)
    rows = [
        warp_to_grid(path, resampling="bilinear", window=((r, min(r + 7, 40)), (0, 40)), **options)
        for r in range(0, 40, 7)
    ]
    np.testing.assert_array_equal(np.concatenate(rows), whole)


@pytest.mark.skipif(shutil.which("gdalwarp") is None, reason="the gdalwarp CLI is not installed")
def test_the_exact_warp_equals_gdalwarp_with_the_exact_transformer(tmp_path: Path) -> None:
    """``gdalwarp -r bilinear -et 0`` (GDAL's exact transformer), run as a program."""
    path = next(DAY.glob("*292321-IW1_*_VV.tif"))
    transform, (rows, cols) = _grid(path, 30.0)
    target = tmp_path / "gdalwarp.tif"
    bounds = [transform.c, transform.f - 30 * rows, transform.c + 30 * cols, transform.f]
    subprocess.run(
        [
            *("gdalwarp", "-q", "-r", "bilinear", "-et", "0", "-t_srs", ZONE_10, "-tr", "30", "30"),
            *("-te", *map(str, bounds), "-dstnodata", "nan", str(path), str(target)),
        ],
        check=True,
    )
    with rasterio.open(target) as src:
        reference = src.read(1)
    ours = warp_to_grid(
        path,
        dst_crs=ZONE_10,
        grid_transform=transform,
        grid_shape=(rows, cols),
        resampling="bilinear",
    )
    _assert_within_one_ulp(ours, reference)
