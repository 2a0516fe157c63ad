from __future__ import annotations

import dask.array as da
import numpy as np
import pytest

from sarslide.errors import RasterGridError
from sarslide.terrain import (
    compute_aspect,
    compute_curvature,
    compute_plan_curvature,
    compute_profile_curvature,
    compute_slope,
)
from tests.terrain.helpers import make_dem, make_plane, make_rough_dem

ALL_FUNCTIONS = [
    compute_slope,
    compute_aspect,
    compute_curvature,
    compute_plan_curvature,
    compute_profile_curvature,
]


@pytest.mark.parametrize("method", ["horn", "zevenbergen_thorne"])
def test_slope_of_plane_is_exact_in_every_unit(method: str) -> None:
    dem = make_plane(0.3, -0.4)  # gradient magnitude 0.5
    tan = compute_slope(dem, method=method, units="riserun").values[1:-1, 1:-1]
    rad = compute_slope(dem, method=method).values[1:-1, 1:-1]
    deg = compute_slope(dem, method=method, units="degrees").values[1:-1, 1:-1]
    np.testing.assert_allclose(tan, 0.5, rtol=1e-12)
    np.testing.assert_allclose(rad, np.arctan(0.5), rtol=1e-12)
    np.testing.assert_allclose(deg, np.degrees(np.arctan(0.5)), rtol=1e-12)


@pytest.mark.parametrize(
    ("dzdx", "dzdy", "faces_deg"),
    [
        (0.0, -1.0, 0.0),  # falls towards north -> faces north
        (-1.0, 0.0, 90.0),  # falls towards east
        (0.0, 1.0, 180.0),
        (1.0, 0.0, 270.0),
        (-1.0, -1.0, 45.0),  # north-east
    ],
)
@pytest.mark.parametrize("spacing_y_m", [-10.0, 10.0])  # north-up and south-up rasters
def test_aspect_is_the_direction_the_slope_faces(
    dzdx: float, dzdy: float, faces_deg: float, spacing_y_m: float
) -> None:
    dem = make_plane(dzdx, dzdy, spacing_y_m=spacing_y_m)
    aspect = compute_aspect(dem).values[1:-1, 1:-1]
    np.testing.assert_allclose(aspect, faces_deg, atol=1e-9)


def test_aspect_of_flat_cells_is_flat_value() -> None:
    dem = make_plane(0.0, 0.0)
    assert np.all(compute_aspect(dem).values[1:-1, 1:-1] == -1.0)
    assert np.all(np.isnan(compute_aspect(dem, flat_value=np.nan).values))


def test_non_square_pixels_use_both_spacings() -> None:
    dem = make_plane(0.2, 0.1, spacing_x_m=30.0, spacing_y_m=-10.0)
    tan = compute_slope(dem, units="riserun").values[1:-1, 1:-1]
    np.testing.assert_allclose(tan, np.hypot(0.2, 0.1), rtol=1e-12)
    expected_aspect = np.degrees(np.arctan2(-0.2, -0.1)) % 360
    np.testing.assert_allclose(compute_aspect(dem).values[1:-1, 1:-1], expected_aspect)


def test_curvature_of_paraboloid() -> None:
    # z = 0.01 x^2 + 0.03 y^2: D = 0.01, E = 0.03 -> -2 (D + E) * 100 = -8 (concave)
    dem = make_dem(np.zeros((9, 9)))
    x = dem["x"] - dem["x"][4]
    y = dem["y"] - dem["y"][4]
    bowl = (0.01 * x**2 + 0.03 * y**2).transpose("y", "x")
    curvature = compute_curvature(bowl).values[1:-1, 1:-1]
    np.testing.assert_allclose(curvature, -8.0, rtol=1e-9)
    assert np.all(compute_curvature(-bowl).values[1:-1, 1:-1] > 0)  # dome is convex


def test_plan_and_profile_curvature_are_zero_on_planes_and_flats() -> None:
    for dem in (make_plane(0.3, 0.1), make_plane(0.0, 0.0)):
        np.testing.assert_allclose(compute_plan_curvature(dem).values[1:-1, 1:-1], 0, atol=1e-9)
        np.testing.assert_allclose(compute_profile_curvature(dem).values[1:-1, 1:-1], 0, atol=1e-9)


def test_curvature_signs_on_a_slope_steepening_downhill() -> None:
    # East-facing slope steepening downhill (convex profile, flow accelerates):
    # z = 100 - 0.001 x^2 for x > 0. RichDEM: total > 0 (convex), profile < 0.
    dem = make_dem(np.zeros((7, 9)))
    x = dem["x"] - dem["x"][0] + 50.0
    z = (100.0 - 0.001 * x**2 + 0 * dem["y"]).transpose("y", "x")
    prof = compute_profile_curvature(z).values[1:-1, 1:-1]
    total = compute_curvature(z).values[1:-1, 1:-1]
    np.testing.assert_allclose(total, 0.2, rtol=1e-6)
    np.testing.assert_allclose(prof, -0.2, rtol=1e-6)
    np.testing.assert_allclose(compute_plan_curvature(z).values[1:-1, 1:-1], 0, atol=1e-9)


@pytest.mark.parametrize("fn", ALL_FUNCTIONS)
def test_nan_spreads_to_its_3x3_window_and_border_is_nan(fn) -> None:  # type: ignore[no-untyped-def]
    dem = make_rough_dem(12, 13)
    dem[5, 6] = np.nan
    out = fn(dem).values
    assert np.all(np.isnan(out[4:7, 5:8]))
    assert np.isnan(out[0]).all() and np.isnan(out[-1]).all()
    assert np.isnan(out[:, 0]).all() and np.isnan(out[:, -1]).all()
    inner = np.ones(out.shape, bool)
    inner[[0, -1], :] = inner[:, [0, -1]] = False
    inner[4:7, 5:8] = False
    assert np.isfinite(out[inner]).all()


def test_fill_value_nodata_is_treated_as_nodata() -> None:
    dem = make_rough_dem(10, 10)
    with_nan = dem.copy()
    with_nan[3, 3] = np.nan
    with_fill = dem.copy()
    with_fill[3, 3] = -9999.0
    with_fill = with_fill.rio.write_nodata(-9999.0)
    np.testing.assert_array_equal(compute_slope(with_fill).values, compute_slope(with_nan).values)


def test_integer_dem_is_promoted_to_float() -> None:
    dem = make_plane(0.5, 0.0).round().astype(np.int16)
    out = compute_slope(dem, units="riserun")
    assert out.dtype == np.float32
    assert np.isfinite(out.values[1:-1, 1:-1]).all()


@pytest.mark.parametrize("fn", ALL_FUNCTIONS)
def test_extend_edges_gives_values_everywhere_and_is_exact_on_planes(fn) -> None:  # type: ignore[no-untyped-def]
    plane = make_plane(0.3, -0.2)
    inner = fn(plane).values[1:-1, 1:-1]
    extended = fn(plane, edges="extend").values
    assert np.isfinite(extended).all()
    np.testing.assert_allclose(extended, np.median(inner), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("edges", ["nan", "extend"])
@pytest.mark.parametrize("fn", ALL_FUNCTIONS)
def test_dask_is_lazy_and_identical_to_numpy(fn, edges: str) -> None:  # type: ignore[no-untyped-def]
    dem = make_rough_dem(37, 41)
    dem[8, 9] = np.nan  # nodata on a chunk corner
    dem[20, 3] = np.nan
    eager = fn(dem, edges=edges)
    lazy = fn(dem.chunk({"y": 8, "x": 9}), edges=edges)
    assert isinstance(lazy.data, da.Array)
    assert lazy.chunks == ((8, 8, 8, 8, 5), (9, 9, 9, 9, 5))
    np.testing.assert_array_equal(lazy.values, eager.values)


def test_output_keeps_coords_crs_and_has_units() -> None:
    dem = make_rough_dem()
    out = compute_slope(dem, units="degrees")
    assert out.rio.crs == dem.rio.crs
    np.testing.assert_array_equal(out["x"], dem["x"])
    assert out.attrs["units"] == "degrees" and out.attrs["long_name"] == "terrain slope"
    assert compute_aspect(dem).attrs["units"] == "degrees"
    assert compute_curvature(dem).attrs["units"] == "1/(100 m)"


def test_bad_dims_size_and_choices_raise_clear_errors() -> None:
    dem = make_rough_dem()
    with pytest.raises(RasterGridError, match="squeeze"):
        compute_slope(dem.expand_dims(band=[1]))
    with pytest.raises(RasterGridError, match="3x3"):
        compute_slope(dem[:2, :5])
    with pytest.raises(ValueError, match="method='sobel'"):
        compute_slope(dem, method="sobel")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="units='percent'"):
        compute_slope(dem, units="percent")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="edges='wrap'"):
        compute_curvature(dem, edges="wrap")  # type: ignore[arg-type]
    with pytest.raises(RasterGridError, match="Dataset"):
        compute_slope(dem.to_dataset())  # type: ignore[arg-type]


@pytest.mark.parametrize("fn", ALL_FUNCTIONS)
def test_row_strips_give_the_same_values_as_one_pass(fn, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from sarslide.terrain import derivatives

    dem = make_rough_dem(37, 41)
    dem[8, 9] = np.nan  # on a strip boundary (strips of 8 rows below)
    dem[15, 20] = np.nan
    one_pass = fn(dem).values
    monkeypatch.setattr(derivatives, "STRIP_CELLS", 1)
    np.testing.assert_array_equal(fn(dem).values, one_pass)
