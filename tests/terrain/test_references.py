"""Terrain derivatives against real GDAL, RichDEM and SAGA outputs on real DEMs.

Data: tests/data/dem-svalbard-xdem (xdem-data, 20 m, EPSG:25833) and a crop of
tests/data/dem-ecuador-spdatalarge (spDataLarge ta.tif, 10 m, EPSG:32717); see
tests/data/ATTRIBUTION.md. Tolerances are float32 ulps of the reference's largest
value (``ulps * eps32 * max|reference|``), never a bound tuned on one machine: float32
arithmetic of a few dozen operations differs by a few such ulps between CPUs (FMA,
AVX-512, operation order); docs/terrain.md lists the differences reached.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import rioxarray
import xarray as xr

from sarslide.terrain import (
    compute_aspect,
    compute_curvature,
    compute_plan_curvature,
    compute_profile_curvature,
    compute_slope,
)

# rioxarray 0.19 with affine 3 warns inside open_rasterio; not ours to fix.
pytestmark = pytest.mark.filterwarnings(
    "ignore:Use `@` matmul instead of `\\*` mul operator:PendingDeprecationWarning"
)

DATA = Path(__file__).parents[1] / "data"
SVALBARD = DATA / "dem-svalbard-xdem"
ECUADOR = DATA / "dem-ecuador-spdatalarge" / "ta_crop.tif"
# RichDEM's outputs on this crop are wrong on the first two rows (slope ~86 deg at the
# top edge, a jump of ~190 in curvature on row 1), so they are compared inside a
# two-cell frame.
RICHDEM_INTERIOR = (slice(2, -2), slice(2, -2))
# Same formula, float32 on both sides: reached <= 2 such ulps; 16 leaves any CPU room.
SAME_FORMULA_ULPS = 16.0
# GDAL's Horn evaluates its float32 gradient in another order (reached 34 ulps on slope,
# 67 on aspect, which is ill-conditioned on near-flat cells): a wider, stated margin.
GDAL_HORN_SLOPE_ULPS, GDAL_HORN_ASPECT_ULPS = 256.0, 512.0
EPS32 = float(np.finfo(np.float32).eps)


def read_band(path: Path, band: int = 1) -> xr.DataArray:
    da = rioxarray.open_rasterio(path).sel(band=band, drop=True)
    assert isinstance(da, xr.DataArray)
    return da


def read_reference(path: Path) -> np.ndarray:
    """Reference values as float64 with their nodata (-9999 GDAL, -99999 RichDEM) as NaN."""
    ref = read_band(path)
    values = ref.values.astype(np.float64)
    values[values == ref.rio.nodata] = np.nan
    return values


def angle_difference_deg(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs((a - b + 180) % 360 - 180)


def assert_matches(
    ours: np.ndarray, theirs: np.ndarray, *, ulps: float, min_cells: int,
    diff: Callable[[np.ndarray, np.ndarray], np.ndarray] = lambda a, b: np.abs(a - b),
) -> None:  # fmt: skip
    """Every cell within ``ulps`` float32 ulps of the reference's largest magnitude."""
    ours = np.asarray(ours, dtype=np.float64)
    both = np.isfinite(ours) & np.isfinite(theirs)
    assert both.sum() >= min_cells
    # Nodata never becomes data: every cell we compute, the reference computed too.
    assert not np.any(np.isfinite(ours) & ~np.isfinite(theirs))
    tolerance = ulps * EPS32 * float(np.abs(theirs[both]).max())
    worst = float(diff(ours, theirs)[both].max())
    assert worst <= tolerance, f"{worst:.3g} > {ulps} ulps ({tolerance:.3g})"


@pytest.fixture(scope="module")
def svalbard_dem() -> xr.DataArray:
    return read_band(SVALBARD / "dem.tif").load()


@pytest.fixture(scope="module")
def ecuador() -> dict[str, xr.DataArray]:
    bands = rioxarray.open_rasterio(ECUADOR).load()
    assert isinstance(bands, xr.DataArray)
    names = bands.attrs["long_name"]
    return {name: bands.sel(band=i + 1, drop=True) for i, name in enumerate(names)}


@pytest.mark.parametrize(
    ("method", "suffix", "slope_ulps", "aspect_ulps"),
    [
        ("horn", "Horn", GDAL_HORN_SLOPE_ULPS, GDAL_HORN_ASPECT_ULPS),
        ("zevenbergen_thorne", "Zevenberg", SAME_FORMULA_ULPS, SAME_FORMULA_ULPS),
    ],
)
def test_slope_and_aspect_match_gdaldem(
    svalbard_dem: xr.DataArray, method: str, suffix: str, slope_ulps: float, aspect_ulps: float
) -> None:
    slope = compute_slope(svalbard_dem, method=method, units="degrees")  # type: ignore[arg-type]
    aspect = compute_aspect(svalbard_dem, method=method)  # type: ignore[arg-type]
    ref_slope = read_reference(SVALBARD / "gdal" / f"slope_{suffix}.tif")
    ref_aspect = read_reference(SVALBARD / "gdal" / f"aspect_{suffix}.tif")
    assert_matches(slope.values, ref_slope, ulps=slope_ulps, min_cells=2300)
    assert_matches(
        aspect.values, ref_aspect, ulps=aspect_ulps, min_cells=2300, diff=angle_difference_deg
    )


@pytest.mark.parametrize(
    ("method", "suffix", "slope_ulps", "aspect_ulps"),
    [
        ("horn", "Horn", GDAL_HORN_SLOPE_ULPS, GDAL_HORN_ASPECT_ULPS),
        ("zevenbergen_thorne", "Zevenberg", SAME_FORMULA_ULPS, SAME_FORMULA_ULPS),
    ],
)
def test_nodata_cells_are_gdaldems(
    svalbard_dem: xr.DataArray, method: str, suffix: str, slope_ulps: float, aspect_ulps: float
) -> None:
    """gdaldem run on this DEM as shipped (NaN row and column declared nodata): every
    cell whose 3x3 window holds nodata is nodata, and the one-cell border; ours the same."""
    slope = compute_slope(svalbard_dem, method=method, units="degrees")  # type: ignore[arg-type]
    aspect = compute_aspect(svalbard_dem, method=method)  # type: ignore[arg-type]
    ref_slope = read_reference(SVALBARD / "gdal-nodata" / f"slope_{suffix}.tif")
    ref_aspect = read_reference(SVALBARD / "gdal-nodata" / f"aspect_{suffix}.tif")
    np.testing.assert_array_equal(np.isnan(slope.values), np.isnan(ref_slope))
    assert np.isnan(ref_slope).sum() == 303  # 204 border cells + 99 next to the NaN row/column
    assert_matches(slope.values, ref_slope, ulps=slope_ulps, min_cells=2397)
    assert_matches(
        aspect.values, ref_aspect, ulps=aspect_ulps, min_cells=2300, diff=angle_difference_deg
    )
    # aspect is also nodata on flat cells in gdaldem (its -9999); the rest agrees
    assert not np.any(np.isnan(aspect.values) & np.isfinite(ref_aspect))


@pytest.mark.parametrize(
    ("name", "compute"),
    [
        ("curvature", compute_curvature),
        ("planform_curvature", compute_plan_curvature),
        ("profile_curvature", compute_profile_curvature),
        ("slope_Horn", lambda dem: compute_slope(dem, units="degrees")),
    ],
)
def test_curvatures_and_slope_match_richdem(
    svalbard_dem: xr.DataArray, name: str, compute: Callable[..., xr.DataArray]
) -> None:
    ours = compute(svalbard_dem).values[RICHDEM_INTERIOR]
    ref = read_reference(SVALBARD / "richdem" / f"{name}.tif")[RICHDEM_INTERIOR]
    assert_matches(ours, ref, ulps=SAME_FORMULA_ULPS, min_cells=2000)


def test_aspect_matches_richdem(svalbard_dem: xr.DataArray) -> None:
    ours = compute_aspect(svalbard_dem).values[RICHDEM_INTERIOR]
    ref = read_reference(SVALBARD / "richdem" / "aspect_Horn.tif")[RICHDEM_INTERIOR]
    assert_matches(ours, ref, ulps=SAME_FORMULA_ULPS, min_cells=2000, diff=angle_difference_deg)


def test_zevenbergen_thorne_slope_and_curvatures_match_saga(
    ecuador: dict[str, xr.DataArray],
) -> None:
    dem = ecuador["elev"]
    assert np.isnan(dem.values).sum() > 100  # the crop holds SAGA's nodata corner
    slope = compute_slope(dem, method="zevenbergen_thorne", units="degrees")
    plan = compute_plan_curvature(dem, convention="saga")
    profile = compute_profile_curvature(dem, convention="saga")
    for ours, ref in ((slope, "slope"), (plan, "cplan"), (profile, "cprof")):
        assert_matches(ours.values, ecuador[ref].values, ulps=SAME_FORMULA_ULPS, min_cells=8000)


def test_dask_path_matches_references_too(svalbard_dem: xr.DataArray) -> None:
    lazy = compute_slope(svalbard_dem.chunk({"y": 16, "x": 16}), units="degrees")
    eager = compute_slope(svalbard_dem, units="degrees")
    np.testing.assert_array_equal(lazy.values, eager.values)
