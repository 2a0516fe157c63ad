from __future__ import annotations

import dask.array as da
import numpy as np
import pytest
import xarray as xr

from sarslide import conventions as cv
from sarslide.errors import CubeValidationError
from sarslide.terrain import add_terrain_variables, compute_aspect, compute_slope
from tests.terrain.helpers import make_rough_dem


def test_adds_the_three_contract_variables_with_contract_attrs() -> None:
    dem = make_rough_dem()
    ds = xr.Dataset({cv.VAR_DEM: dem, "other": dem * 0})
    out = add_terrain_variables(ds)
    for name in (cv.VAR_DEM_SLOPE, cv.VAR_DEM_ASPECT, cv.VAR_DEM_CURVATURE):
        spec = cv.VARIABLES[name]
        assert out[name].dims == spec.dims
        assert out[name].attrs["units"] == spec.units
        assert out[name].attrs["long_name"] == spec.long_name
    assert "other" in out and cv.VAR_DEM_SLOPE not in ds  # input untouched
    np.testing.assert_array_equal(out[cv.VAR_DEM_SLOPE].values, compute_slope(dem).values)
    np.testing.assert_array_equal(out[cv.VAR_DEM_ASPECT].values, compute_aspect(dem).values)
    assert out.rio.crs == dem.rio.crs


def test_method_and_edges_are_passed_through_and_dask_stays_lazy() -> None:
    dem = make_rough_dem().chunk({"y": 10, "x": 10})
    out = add_terrain_variables(xr.Dataset({cv.VAR_DEM: dem}), method="zevenbergen_thorne",
                                edges="extend")  # fmt: skip
    slope = out[cv.VAR_DEM_SLOPE]
    assert isinstance(slope.data, da.Array)
    expected = compute_slope(dem.compute(), method="zevenbergen_thorne", edges="extend")
    np.testing.assert_array_equal(slope.values, expected.values)
    assert np.isfinite(slope.values).all()


def test_missing_dem_names_the_variable() -> None:
    with pytest.raises(CubeValidationError, match="'dem'"):
        add_terrain_variables(xr.Dataset({"elevation": make_rough_dem()}))


def test_crs_survives_a_zarr_round_trip_with_spatial_ref_as_data_variable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    dem = make_rough_dem()
    xr.Dataset({cv.VAR_DEM: dem}).to_zarr(tmp_path / "dem.zarr", zarr_format=2)
    ds = xr.open_zarr(tmp_path / "dem.zarr")
    out = add_terrain_variables(ds)
    assert out[cv.VAR_DEM_SLOPE].rio.crs == dem.rio.crs
    np.testing.assert_array_equal(out[cv.VAR_DEM_SLOPE].values, compute_slope(dem).values)
