from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from sarslide import conventions as cv
from sarslide.datacube import open_cube, validate_cube, write_cube
from sarslide.errors import CubeNotFoundError, CubeValidationError, OutputExistsError
from tests.factories import make_minimal_cube


def test_write_then_open_round_trips_values_and_crs(tmp_path: Path) -> None:
    cube = make_minimal_cube()
    path = write_cube(cube, tmp_path / "cube.zarr")
    reopened = open_cube(path)
    assert reopened[cv.VAR_VV].chunks is not None  # lazy
    np.testing.assert_array_equal(reopened[cv.VAR_VV].values, cube[cv.VAR_VV].values)
    assert reopened.rio.crs == cube.rio.crs
    assert reopened[cv.VAR_DEM].rio.crs == cube.rio.crs  # spatial_ref is a coordinate
    assert list(reopened[cv.COORD_ORBIT_STATE].values) == ["ascending"] * 4
    # plain xarray opens it too (consolidated Zarr v2 like the Zenodo cubes)
    plain = xr.open_zarr(path)
    assert set(plain.data_vars) == set(cube.data_vars)
    assert (path / ".zmetadata").exists()


def test_write_zarr_v3_opens(tmp_path: Path) -> None:
    path = write_cube(make_minimal_cube(), tmp_path / "cube3.zarr", zarr_format=3)
    assert (path / "zarr.json").exists()
    assert open_cube(path).sizes[cv.DIM_TIMESTEP] == 4


def test_write_refuses_existing_unless_overwrite(tmp_path: Path) -> None:
    path = write_cube(make_minimal_cube(seed=1), tmp_path / "cube.zarr")
    with pytest.raises(OutputExistsError, match="overwrite"):
        write_cube(make_minimal_cube(seed=2), path)
    write_cube(make_minimal_cube(seed=2), path, overwrite=True)
    np.testing.assert_array_equal(
        open_cube(path)[cv.VAR_VV].values, make_minimal_cube(seed=2)[cv.VAR_VV].values
    )
    assert [p.name for p in tmp_path.iterdir()] == ["cube.zarr"]  # no temp folders left


def test_interrupted_write_leaves_no_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sarslide.datacube.io as io_module

    def explode(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(io_module, "compute_with_progress", explode)
    with pytest.raises(KeyboardInterrupt):
        write_cube(make_minimal_cube(), tmp_path / "cube.zarr")
    assert list(tmp_path.iterdir()) == []


def test_write_validates_first(tmp_path: Path) -> None:
    with pytest.raises(CubeValidationError, match="no CRS"):
        write_cube(make_minimal_cube(crs=None), tmp_path / "cube.zarr")
    assert list(tmp_path.iterdir()) == []


def test_open_missing_path_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(CubeNotFoundError, match=r"does not exist.*simulate"):
        open_cube(tmp_path / "nope.zarr")


def test_open_folder_that_is_not_zarr(tmp_path: Path) -> None:
    (tmp_path / "empty.zarr").mkdir()
    with pytest.raises((CubeNotFoundError, CubeValidationError), match=r"Zarr|truncated"):
        open_cube(tmp_path / "empty.zarr")


def test_open_truncated_store_is_detected(tmp_path: Path) -> None:
    path = write_cube(
        make_minimal_cube(height=40, width=40), tmp_path / "cube.zarr", chunks={"y": 16, "x": 16}
    )
    chunk_files = sorted(p for p in (path / cv.VAR_VV).iterdir() if not p.name.startswith("."))
    chunk_files[-1].unlink()
    with pytest.raises(CubeValidationError, match=r"truncated.*vv"):
        open_cube(path)


def test_open_store_missing_metadata_is_clear(tmp_path: Path) -> None:
    path = write_cube(make_minimal_cube(), tmp_path / "cube.zarr")
    (path / ".zmetadata").unlink()
    (path / ".zgroup").unlink()
    with pytest.raises((CubeNotFoundError, CubeValidationError)):
        open_cube(path)


def test_open_validates_task(tmp_path: Path) -> None:
    path = write_cube(make_minimal_cube().drop_vars(cv.VAR_VV), tmp_path / "novv.zarr")
    with pytest.raises(CubeValidationError, match=r"missing variable\(s\) \['vv'\]"):
        open_cube(path, task="detection")
    assert cv.VAR_VV not in open_cube(path)  # fine for a task that does not need it


def test_validate_accepts_extra_variables(minimal_cube: xr.Dataset) -> None:
    extra = minimal_cube.assign(
        old_landslides=minimal_cube[cv.VAR_LANDSLIDES], foo=minimal_cube[cv.VAR_DEM]
    )
    validate_cube(extra, task="detection")
