"""One viewing geometry by default: orbit 'auto' on a two-orbit simulated cube."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from sarslide import conventions as cv
from sarslide.chips import DataConfig
from sarslide.chips.composites import make_composites, selection_from_config
from sarslide.chips.orbit_choice import resolve_data_orbit
from sarslide.errors import DataSelectionError
from sarslide.simulate.event_cube import simulate_event_cube


@pytest.fixture(scope="module")
def two_orbits() -> xr.Dataset:
    """Ascending and descending passes alternate: before a d a d a | after d a d a d a."""
    return simulate_event_cube(
        height_px=32, width_px=32, timesteps_before=5, timesteps_after=6, orbit="both", seed=3
    )


def states_of(cube: xr.Dataset, indices: np.ndarray) -> set[str]:
    return {str(s)[0] for s in cube[cv.COORD_ORBIT_STATE].values[indices]}


def config(**changes: object) -> DataConfig:
    return DataConfig.model_validate({"cube": "mem", "timesteps_k": 2, **changes})


def test_auto_takes_the_orbit_with_most_acquisitions_on_both_sides(two_orbits) -> None:  # type: ignore[no-untyped-def]
    states = [str(s)[0] for s in two_orbits[cv.COORD_ORBIT_STATE].values]
    assert states[:5] == ["a", "d", "a", "d", "a"]  # ascending: 3 before, 3 after
    selection = selection_from_config(two_orbits, config())  # the default: auto
    assert states_of(two_orbits, selection.before) == {"a"}
    assert states_of(two_orbits, selection.after) == {"a"}
    assert selection.to_attrs(two_orbits)["orbit_state"] == "ascending"
    assert resolve_data_orbit(config(), two_orbits).orbit == "ascending"
    mixed = selection_from_config(two_orbits, config(orbit="any"))
    assert states_of(two_orbits, mixed.before) == {"a", "d"}  # what the old default did
    legacy = selection_from_config(two_orbits, config(orbit=None))  # old checkpoints
    assert np.array_equal(legacy.before, mixed.before)
    descending = selection_from_config(two_orbits, config(orbit="descending"))
    assert states_of(two_orbits, np.r_[descending.before, descending.after]) == {"d"}


def test_too_few_of_the_chosen_orbit_names_orbit_any(two_orbits) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(DataSelectionError, match="orbit: any"):
        selection_from_config(two_orbits, config(timesteps_k=4))
    selection_from_config(two_orbits, config(timesteps_k=4, orbit="any"))  # mixing: 5 before


def test_one_geometry_cube_is_used_as_before(two_orbits) -> None:  # type: ignore[no-untyped-def]
    ascending = two_orbits.isel(timestep=[0, 2, 4, 6, 8, 10])
    auto = make_composites(ascending, config())
    mixed = make_composites(ascending, config(orbit="any"))
    for name in auto.data_vars:
        np.testing.assert_array_equal(auto[name].values, mixed[name].values)
    no_coordinate = two_orbits.drop_vars(cv.COORD_ORBIT_STATE)
    assert resolve_data_orbit(config(), no_coordinate).orbit == "any"


def test_auto_keeps_one_relative_orbit_of_a_direction(two_orbits) -> None:  # type: ignore[no-untyped-def]
    """Two descending tracks: the one with more acquisitions on both sides is used."""
    descending = two_orbits.isel(timestep=[1, 3, 5, 7, 9])  # 2 before, 3 after
    tracks = np.array([46, 119, 46, 46, 119])  # track 46: 1 before / 2 after; 119: 1 / 1
    cube = descending.assign_coords({cv.COORD_RELATIVE_ORBIT: (cv.DIM_TIMESTEP, tracks)})
    selection = selection_from_config(cube, config(timesteps_k=1))
    used = np.r_[selection.before, selection.after]
    assert set(tracks[used]) == {46}
    assert selection.to_attrs(cube)["relative_orbit"] == 46


def test_every_simulated_event_holds_k4_in_one_geometry(tiny_events) -> None:  # type: ignore[no-untyped-def]
    """The transfer study's k = 4 on one orbit (farmland alternates both orbits)."""
    from sarslide.chips.events import read_events_file
    from sarslide.datacube import open_cube

    for event in read_events_file(tiny_events):
        cube = open_cube(event["cube"])
        selection = selection_from_config(cube, config(timesteps_k=4))
        used = np.r_[selection.before, selection.after]
        assert len(states_of(cube, used)) == 1, event["name"]
