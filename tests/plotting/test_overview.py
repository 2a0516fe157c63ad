from __future__ import annotations

from pathlib import Path

import pytest
import xarray as xr

from sarslide import conventions as cv
from sarslide.errors import CubeValidationError, DataSelectionError
from sarslide.plotting.overview import plot_event_overview, select_event_sides
from sarslide.simulate import simulate_event_cube
from tests.factories import make_minimal_cube


@pytest.fixture(scope="module")
def cube() -> xr.Dataset:
    return simulate_event_cube(height_px=48, width_px=48, timesteps=6, nodata_fraction=0.01)


def test_overview_png_is_written(tmp_path: Path, cube: xr.Dataset) -> None:
    path = plot_event_overview(cube, tmp_path / "out" / "overview.png", k=2, dpi=40)
    assert path.exists() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(path.parent.glob(".*partial*"))


def test_event_sides_are_chosen_by_timestamp_nearest_the_window(cube: xr.Dataset) -> None:
    assert select_event_sides(cube, k=1) == ([2], [3])
    assert select_event_sides(cube, k=3) == ([0, 1, 2], [3, 4, 5])
    with pytest.raises(DataSelectionError, match="3 before and 3 after"):
        select_event_sides(cube, k=4)


def test_overview_names_what_is_missing(tmp_path: Path) -> None:
    real_like = make_minimal_cube()
    with pytest.raises(CubeValidationError, match="dem"):
        plot_event_overview(real_like.drop_vars(cv.VAR_DEM), tmp_path / "x.png")
    no_window = real_like.copy()
    no_window.attrs = {}
    with pytest.raises(CubeValidationError, match="event_start"):
        plot_event_overview(no_window, tmp_path / "x.png")
