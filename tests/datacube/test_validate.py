from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from sarslide import conventions as cv
from sarslide.datacube import validate_cube
from sarslide.errors import CubeValidationError
from tests.factories import make_minimal_cube


def test_valid_cube_passes(minimal_cube: xr.Dataset) -> None:
    assert validate_cube(minimal_cube, task="detection") is minimal_cube


def test_reports_every_problem_at_once() -> None:
    cube = make_minimal_cube(crs=None).drop_vars(cv.VAR_VV)
    cube = cube.assign_coords({cv.DIM_TIMESTEP: cube[cv.DIM_TIMESTEP].values[::-1]})
    with pytest.raises(CubeValidationError) as info:
        validate_cube(cube, task="detection")
    message = str(info.value)
    assert len(info.value.problems) == 3
    assert "missing variable(s) ['vv']" in message
    assert "no CRS" in message and "write_crs" in message
    assert "not strictly increasing" in message


def test_geographic_crs_refused_unless_allowed() -> None:
    cube = make_minimal_cube(crs="EPSG:4326")
    with pytest.raises(CubeValidationError, match=r"geographic.*projected CRS in metres"):
        validate_cube(cube)
    validate_cube(cube, allow_geographic=True)


def test_wrong_dims_and_dtype() -> None:
    cube = make_minimal_cube()
    cube[cv.VAR_DEM] = cube[cv.VAR_DEM].expand_dims(band=[1]).astype("int16")
    with pytest.raises(CubeValidationError) as info:
        validate_cube(cube)
    assert "variable 'dem' has dims" in str(info.value)
    assert "dtype int16" in str(info.value)


def test_non_finite_and_irregular_coords() -> None:
    cube = make_minimal_cube()
    x = cube[cv.DIM_X].values.copy()
    x[3] = np.nan
    y = cube[cv.DIM_Y].values.copy()
    y[5] += 3.0
    with pytest.raises(CubeValidationError) as info:
        validate_cube(cube.assign_coords(x=x, y=y))
    assert "'x' has non-finite" in str(info.value)
    assert "'y' is not regularly spaced" in str(info.value)


def test_bad_orbit_and_event_window() -> None:
    cube = make_minimal_cube()
    cube = cube.assign_coords({cv.COORD_ORBIT_STATE: (cv.DIM_TIMESTEP, ["asc"] * 4)})
    cube.attrs[cv.ATTR_EVENT_START] = "2018-09-07"
    cube.attrs[cv.ATTR_EVENT_END] = "2018-09-05"
    with pytest.raises(CubeValidationError) as info:
        validate_cube(cube)
    assert "['asc']" in str(info.value)
    assert "ends" in str(info.value)


def test_unknown_task_lists_valid_ones(minimal_cube: xr.Dataset) -> None:
    with pytest.raises(CubeValidationError, match="Must be one of"):
        validate_cube(minimal_cube, task="segmentation")
