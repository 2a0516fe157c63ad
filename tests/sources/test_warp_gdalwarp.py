"""Warps equal to gdalwarp's on real products across a UTM zone change.

The real OPERA bursts of ``tests/data/s1-rtc-opera-dists1-10SGD`` are in EPSG:32611;
west of 120 W a grid is UTM zone 10, rotated ~3.4 degrees against them (meridian
convergence). GDAL scales its resampling kernel by the destination size over the
source window it finds for the region (``ComputeSourceWindow``): ~0.94 here at 30 m,
so the bilinear kernel spans 1/0.94 source pixels. ``sources.warp`` fixes that scale
for the whole grid, the value ``gdalwarp`` finds when it warps the grid in one piece,
so that every chunk uses it. GDAL's approximate transformer (``-et 0.125``) interpolates
source positions along each row it warps; the warped VRT's blocks span the whole grid
width, so every row is the grid's whole row, as when ``gdalwarp`` warps the grid in one
piece, whatever the chunking.
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
    """A zone-10 grid 1.2 km a side inside the burst (snapped to the pixel size; wider
    than rasterio's 512-px warped-VRT blocks below 2.4 m)."""
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


@pytest.mark.parametrize("resolution_m", [30.0, 60.0, 10.0, 2.0])
@pytest.mark.parametrize("burst", ["292321-IW1", "292321-IW2"])
def test_bilinear_equals_gdalwarp_defaults_across_a_zone_change(
    burst: str, resolution_m: float
) -> None:
    path = next(DAY.glob(f"*{burst}_*_VV.tif"))
    transform, shape = _grid(path, resolution_m)
    with rasterio.open(path) as src:
        scale = gdal_kernel_scale(src, ZONE_10, transform, shape)
        ours = warp_to_grid(
            src, dst_crs=ZONE_10, grid_transform=transform, grid_shape=shape, resampling="bilinear"
        )
    if resolution_m >= 30:
        assert max(scale) < 0.95  # GDAL widens the kernel here: the case the old code missed
    _assert_within_one_ulp(ours, _gdalwarp_default(path, transform, shape))


@pytest.mark.parametrize(("resolution_m", "tolerance_px"), [(30.0, 0.125), (2.0, 0.125), (30.0, 0)])
def test_the_warp_is_the_same_for_any_chunking(resolution_m: float, tolerance_px: float) -> None:
    """Windows of 7 rows, and tiles narrower than the grid (the 2 m grid is 600 px wide:
    warped as 512-px blocks, as rasterio's WarpedVRT does, ~98 % of its pixels differ)."""
    path = next(DAY.glob("*292321-IW1_*_VV.tif"))
    transform, (rows, cols) = _grid(path, resolution_m)
    options = {"dst_crs": ZONE_10, "grid_transform": transform, "grid_shape": (rows, cols)}
    whole = warp_to_grid(path, resampling="bilinear", tolerance_px=tolerance_px, **options)
    step = 7 if rows < 100 else 256
    tiles = np.full_like(whole, -1.0)
    for r in range(0, rows, step):
        for c in range(0, cols, max(step, cols // 3)):
            window = ((r, min(r + step, rows)), (c, min(c + max(step, cols // 3), cols)))
            tiles[r : window[0][1], c : window[1][1]] = warp_to_grid(
                path, resampling="bilinear", tolerance_px=tolerance_px, window=window, **options
            )
    np.testing.assert_array_equal(tiles, whole)


@pytest.mark.skipif(shutil.which("gdalwarp") is None, reason="the gdalwarp CLI is not installed")
@pytest.mark.parametrize(("options", "tolerance_px"), [((), 0.125), (("-et", "0"), 0)])
def test_the_warp_equals_the_gdalwarp_program(
    tmp_path: Path, options: tuple[str, ...], tolerance_px: float
) -> None:
    """``gdalwarp -r bilinear`` (GDAL's defaults) and ``-et 0`` (the exact transformer),
    run as a program (gdal-bin 3.6.2 here; rasterio's GDAL is 3.10)."""
    path = next(DAY.glob("*292321-IW1_*_VV.tif"))
    transform, (rows, cols) = _grid(path, 30.0)
    target = tmp_path / "gdalwarp.tif"
    bounds = [transform.c, transform.f - 30 * rows, transform.c + 30 * cols, transform.f]
    subprocess.run(
        [
            *("gdalwarp", "-q", "-r", "bilinear", *options, "-t_srs", ZONE_10, "-tr", "30", "30"),
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
        tolerance_px=tolerance_px,
    )
    _assert_within_one_ulp(ours, reference)


def test_a_built_cube_equals_gdalwarp_defaults_for_any_chunk_px(tmp_path: Path) -> None:
    """``cube build`` of one real burst (4 dates, EPSG:32611) onto a zone-10 grid at 10 m:
    VV and VH equal ``gdalwarp -r bilinear`` (reproject) within 1 ulp, chunks of 32 px
    (3 column chunks, not the grid's whole rows) and 1024 px giving the same cube."""
    from sarslide import conventions as cv
    from sarslide.datacube import open_cube
    from sarslide.sources.build import build_cube
    from sarslide.sources.config import BuildConfig

    products = tmp_path / "products"
    products.mkdir()
    for path in DAY.parent.rglob("*292321-IW1_*.tif"):
        shutil.copy(path, products / path.name)
    cubes = []
    for chunk_px in (32, 1024):
        cfg = BuildConfig.from_options(
            rtc=[str(products)],
            dem="none",
            aoi="-120.727,34.580,-120.717,34.588",
            resolution_m=10,
            chunk_px=chunk_px,
            event_start="2023-10-20",
            event_end="2023-10-20",
        )
        build_cube(cfg, tmp_path / f"cube{chunk_px}.zarr", progress=False)
        cubes.append(open_cube(tmp_path / f"cube{chunk_px}.zarr"))
    small, large = cubes
    assert small.sizes["x"] > 2 * 32
    for var, pol in ((cv.VAR_VV, "VV"), (cv.VAR_VH, "VH")):
        np.testing.assert_array_equal(small[var].values, large[var].values)
        grid = small[var].rio.transform(), small[var].shape[1:]
        for step, day in enumerate(sorted(p.name for p in DAY.parent.iterdir())):
            path = next(products.glob(f"*_{day.replace('-', '')}T*_{pol}.tif"))
            reference = _gdalwarp_default(path, *grid)
            _assert_within_one_ulp(small[var].isel({cv.DIM_TIMESTEP: step}).values, reference)
