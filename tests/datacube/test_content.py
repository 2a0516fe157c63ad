"""Backscatter in dB, all zeros or all NaN is refused at open, with the fix."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sarslide import conventions as cv
from sarslide.datacube import open_cube, write_cube
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
