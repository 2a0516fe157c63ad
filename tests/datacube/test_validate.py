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
    # issue 11: 'asc' is now an accepted spelling; an unknown value is still refused,
    # with the accepted spellings listed
    cube = make_minimal_cube()
    states = ["asc", "sideways", "D", "north"]
    cube = cube.assign_coords({cv.COORD_ORBIT_STATE: (cv.DIM_TIMESTEP, states)})
    cube.attrs[cv.ATTR_EVENT_START] = "2018-09-07"
    cube.attrs[cv.ATTR_EVENT_END] = "2018-09-05"
    with pytest.raises(CubeValidationError) as info:
        validate_cube(cube)
    assert "['north', 'sideways']" in str(info.value)
    assert "a/asc/ascending or d/desc/descending" in str(info.value)
    assert "ends" in str(info.value)


@pytest.mark.parametrize(
    "states",
    [
        ["a", "d", "a", "d"],
        ["asc", "desc", "ASC", "DESC"],
        ["Ascending", "descending", "ASCENDING", "Descending"],
        [b"a", b"d", b"A", b"D"],
    ],
)
def test_every_orbit_spelling_validates_and_opens_normalised(states, tmp_path) -> None:
    from sarslide.datacube import open_cube, write_cube

    cube = make_minimal_cube()
    values = np.array(states)  # bytes stay bytes (dtype S), text stays text
    cube = cube.assign_coords({cv.COORD_ORBIT_STATE: (cv.DIM_TIMESTEP, values)})
    validate_cube(cube)
    write_cube(cube, tmp_path / "c.zarr")
    opened = open_cube(tmp_path / "c.zarr")
    words = ["ascending", "descending", "ascending", "descending"]
    assert list(opened[cv.COORD_ORBIT_STATE].values) == words
    # the store spells them as the published cubes do (datacube.dialect)
    import zarr

    stored = zarr.open_group(str(tmp_path / "c.zarr"), mode="r")[cv.COORD_ORBIT_STATE][:]
    assert [str(v) for v in stored] == ["a", "d", "a", "d"]


def test_unknown_task_lists_valid_ones(minimal_cube: xr.Dataset) -> None:
    with pytest.raises(CubeValidationError, match="Must be one of"):
        validate_cube(minimal_cube, task="segmentation")


def test_a_one_pixel_cube_is_refused_with_the_minimum() -> None:
    with pytest.raises(CubeValidationError, match=r"'y' has 1 pixel\(s\).*at least 2"):
        validate_cube(make_minimal_cube(height=1, width=1))
