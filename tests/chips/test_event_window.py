"""Timestep selection by timestamp, relative to the event window (defect 5)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sarslide.chips import resolve_event_window, select_event_timesteps
from sarslide.errors import DataSelectionError
from tests.factories import make_minimal_cube

TIMES = pd.to_datetime(
    [
        "2018-08-12T20:40",
        "2018-08-24T20:40",
        "2018-09-05T08:40",  # same day, before 18:08
        "2018-09-05T20:40",  # same day, after the quake: inside the window
        "2018-09-06T08:40",  # inside
        "2018-09-07T08:40",
        "2018-09-17T20:40",
        "2018-09-29T20:40",
    ]
)
START, END = "2018-09-05T18:08", "2018-09-07T00:00"


def test_event_day_acquisition_before_the_event_hour_counts_as_before() -> None:
    before, after = select_event_timesteps(TIMES, START, END, 3)
    assert before.tolist() == [0, 1, 2]  # includes the last pre-event acquisition
    assert after.tolist() == [5, 6, 7]


def test_acquisitions_inside_the_window_are_excluded_and_nearest_are_taken() -> None:
    before, after = select_event_timesteps(TIMES, START, END, 1)
    assert before.tolist() == [2]  # the nearest before, not skipped
    assert after.tolist() == [5]
    assert 3 not in before and 4 not in after


def test_selection_ignores_input_order() -> None:
    order = np.array([7, 2, 0, 5, 3, 1, 6, 4])
    before, after = select_event_timesteps(TIMES[order], START, END, 2)
    assert sorted(TIMES[order][before]) == list(TIMES[[1, 2]])
    assert sorted(TIMES[order][after]) == list(TIMES[[5, 6]])


def test_orbit_filter() -> None:
    states = [
        "descending",
        "descending",
        "ascending",
        "descending",
        "ascending",
        "ascending",
        "descending",
        "descending",
    ]
    before, after = select_event_timesteps(
        TIMES, START, END, 2, orbit_states=states, orbit="descending"
    )
    assert before.tolist() == [0, 1]
    assert after.tolist() == [6, 7]
    before, _ = select_event_timesteps(
        TIMES, START, END, 1, orbit_states=[s[0] for s in states], orbit="ascending"
    )
    assert before.tolist() == [2]


def test_k_too_large_names_how_many_exist_on_each_side() -> None:
    with pytest.raises(
        DataSelectionError, match=r"3 before and 3 after \(2 inside.*timesteps_k <= 3"
    ):
        select_event_timesteps(TIMES, START, END, 4)


def test_no_acquisition_on_one_side_never_suggests_k_le_0() -> None:
    late_start = TIMES[-1] + pd.Timedelta(days=1)
    with pytest.raises(DataSelectionError) as caught:
        select_event_timesteps(TIMES, late_start, late_start + pd.Timedelta(days=1), 1)
    message = str(caught.value)
    assert "timesteps_k <= 0" not in message
    assert "0 after" in message and "check the event dates" in message


def test_orbit_without_coordinate_is_a_clear_error() -> None:
    with pytest.raises(DataSelectionError, match="no 'sat:orbit_state'"):
        select_event_timesteps(TIMES, START, END, 1, orbit="ascending")


def test_timezone_aware_window_is_compared_in_utc() -> None:
    # 2018-09-06T03:08+09:00 == 2018-09-05T18:08Z
    before, _ = select_event_timesteps(
        TIMES, pd.Timestamp("2018-09-06T03:08", tz="Asia/Tokyo"), END, 3
    )
    assert before.tolist() == [0, 1, 2]


def test_event_window_from_config_attrs_or_known_table() -> None:
    cube = make_minimal_cube()
    window = resolve_event_window(cube)
    assert window.source == "cube attributes" and str(window.start) == "2018-08-20 00:00:00"
    window = resolve_event_window(cube, event_start="2018-08-19", event_end="2018-08-22")
    assert window.source == "config"
    cube.attrs.clear()
    window = resolve_event_window(cube, cube_name="/data/hokkaido_japan.zarr/")
    assert str(window.start) == "2018-09-05 18:08:00" and "hokkaido" in window.source
    assert resolve_event_window(cube, cube_name="Puerto-Rico.zarr").start.year == 2017
    with pytest.raises(DataSelectionError, match="Set event_start and event_end"):
        resolve_event_window(cube, cube_name="somewhere.zarr")
