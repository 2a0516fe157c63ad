"""What makes simulated events differ, and the four-event preset."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

from sarslide.chips.events import read_events_file
from sarslide.errors import ConfigError
from sarslide.simulate import EventCubeSpec
from sarslide.simulate.event_sets import FOUR_EVENTS, event_set_specs, write_event_set
from sarslide.simulate.spec import resolve_schedule
from sarslide.simulate.static_layers import simulate_static_layers


def test_missing_acquisitions_leave_gaps_and_keep_the_counts() -> None:
    spec = EventCubeSpec(height_px=32, width_px=32, timesteps=6, missing_acquisitions=(3,))
    schedule = resolve_schedule(spec)
    days = (schedule.times - schedule.times[0]).days.tolist()
    assert days == [0, 12, 24, 48, 60, 72]  # slot 3 missing, 3 before and 3 after
    assert schedule.times[2] < schedule.event_start < schedule.event_end <= schedule.times[3]
    # the event sits halfway across the 24-day gap (midnight after the midpoint)
    assert (schedule.event_start - schedule.times[2]).days == 12


def test_without_gaps_the_schedule_is_unchanged() -> None:
    plain = resolve_schedule(EventCubeSpec(height_px=32, width_px=32))
    assert (plain.times[1:] - plain.times[:-1]).days.tolist() == [12] * 7


def test_negative_gap_slot_is_refused() -> None:
    with pytest.raises(ValueError, match="missing_acquisitions"):
        EventCubeSpec(missing_acquisitions=(-1,))


def test_rougher_terrain_is_steeper_for_the_same_relief() -> None:
    slopes = [
        float(
            np.median(
                simulate_static_layers(
                    EventCubeSpec(height_px=128, width_px=128, terrain_spectral_exponent=e)
                )["dem_slope_radians"].values
            )
        )
        for e in (3.6, 5.0)
    ]
    assert slopes[0] > 1.2 * slopes[1]


def test_landslide_size_follows_the_median_length() -> None:
    def mean_area(median_m: float) -> float:
        spec = EventCubeSpec(
            height_px=160,
            width_px=160,
            landslide_median_length_m=median_m,
            landslide_length_range_m=(10.0, 1000.0),
            landslide_fraction=0.06,
        )
        labels = simulate_static_layers(spec)["landslides"].values
        _, count = ndimage.label(labels)
        return float(labels.sum()) / max(count, 1)

    assert mean_area(150.0) > 2.0 * mean_area(50.0)


def test_four_events_differ_in_what_makes_events_differ() -> None:
    specs = event_set_specs(size_px=64)
    assert list(specs) == list(FOUR_EVENTS) and len(specs) == 4
    for field in (
        "seed",
        "terrain_std_m",
        "terrain_spectral_exponent",
        "landslide_median_length_m",
        "landslide_fraction",
        "vegetation_fraction",
        "incidence_angle_deg",
        "equivalent_number_of_looks",
        "crs",
    ):
        assert len({getattr(s, field) for s in specs.values()}) >= 3, field
    assert len({s.orbit for s in specs.values()}) == 3
    assert sum(bool(s.missing_acquisitions) for s in specs.values()) >= 2
    assert all(s.height_px == s.width_px == 64 for s in specs.values())


def test_unknown_event_set_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="Unknown event set 'five'"):
        event_set_specs("five")


def test_write_event_set_writes_cubes_and_events_file_and_resumes(tiny_events: Path) -> None:
    events = read_events_file(tiny_events)
    assert [e["name"] for e in events] == list(FOUR_EVENTS)
    assert all(Path(e["cube"]).is_dir() for e in events)
    folder = tiny_events.parent
    stamp = (folder / "iburi.zarr").stat().st_mtime_ns
    write_event_set(folder, size_px=64)  # same specs: kept, not rewritten
    assert (folder / "iburi.zarr").stat().st_mtime_ns == stamp
    with pytest.raises(ConfigError, match="--overwrite"):
        write_event_set(folder, size_px=48)
