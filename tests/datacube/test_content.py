"""Backscatter in dB, all zeros or all NaN is refused at open, with the fix, and by the
chips layer for a cube given in memory."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sarslide import conventions as cv
from sarslide.chips import DataConfig, build_chip_splits
from sarslide.datacube import content, open_cube, write_cube
from sarslide.errors import CubeContentError
from tests.factories import make_minimal_cube


def test_backscatter_in_db_is_refused_with_the_fix(tmp_path: Path) -> None:
    ds = make_minimal_cube()
    ds[cv.VAR_VV] = 10 * np.log10(ds[cv.VAR_VV])
    path = write_cube(ds, tmp_path / "db.zarr")
    with pytest.raises(CubeContentError, match=r"'vv'.*dB.*10 \*\* \(ds\['vv'\] / 10\)"):
        open_cube(path)


@pytest.mark.parametrize(("value", "words"), [(0.0, "all zeros"), (np.nan, "all nodata")])
def test_empty_backscatter_is_refused(tmp_path: Path, value: float, words: str) -> None:
    ds = make_minimal_cube()
    ds[cv.VAR_VH][:] = value
    path = write_cube(ds, tmp_path / "empty.zarr")
    with pytest.raises(CubeContentError, match=f"'vh'.*{words}"):
        open_cube(path)


def test_linear_cube_with_a_masked_timestep_opens(tmp_path: Path) -> None:
    ds = make_minimal_cube()
    ds[cv.VAR_VV][0] = np.nan
    assert open_cube(write_cube(ds, tmp_path / "ok.zarr")).sizes[cv.DIM_TIMESTEP] == 4


def test_cube_info_can_still_open_a_db_cube(tmp_path: Path) -> None:
    ds = make_minimal_cube()
    ds[cv.VAR_VV] = 10 * np.log10(ds[cv.VAR_VV])
    path = write_cube(ds, tmp_path / "db.zarr")
    assert cv.VAR_VV in open_cube(path, check_values=False)


@pytest.mark.parametrize("change", ["db", "zeros", "nan"])
def test_chips_refuse_an_in_memory_cube_as_open_cube_refuses_the_store(
    tmp_path: Path, change: str
) -> None:
    ds = make_minimal_cube()
    if change == "db":
        ds[cv.VAR_VV] = 10 * np.log10(ds[cv.VAR_VV])
    else:
        ds[cv.VAR_VV][:] = 0.0 if change == "zeros" else np.nan
    path = write_cube(ds, tmp_path / "bad.zarr")
    with pytest.raises(CubeContentError) as on_disk:
        open_cube(path)
    with pytest.raises(CubeContentError) as in_memory:
        build_chip_splits(DataConfig(cube="in-memory", timesteps_k=1), cube=ds)
    assert str(in_memory.value) == str(on_disk.value).replace(f" in {str(path)!r}", "")
    assert "\n" not in str(in_memory.value)


def test_chips_do_not_read_a_cube_open_cube_checked_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_cube(make_minimal_cube(), tmp_path / "ok.zarr")
    reads: list[str] = []
    sample = content.sample_valid_values
    monkeypatch.setattr(
        content, "sample_valid_values", lambda array: reads.append(array.name) or sample(array)
    )
    data = DataConfig(
        cube=str(path), timesteps_k=1, chip_size_px=8, positive_only=False, split="random"
    )
    cube = open_cube(path)
    assert reads == [cv.VAR_VV, cv.VAR_VH]
    build_chip_splits(data, cube=cube)
    assert reads == [cv.VAR_VV, cv.VAR_VH]
    # a changed variable is a new dask array: read again
    cube[cv.VAR_VH] = cube[cv.VAR_VH] * 2
    build_chip_splits(data, cube=cube)
    assert reads == [cv.VAR_VV, cv.VAR_VH, cv.VAR_VH]
