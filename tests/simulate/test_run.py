"""``sarslide.simulate_cube(spec) -> SimulateResult``: the cube in memory, its spec, its share."""

from __future__ import annotations

import dataclasses

import pytest
import xarray as xr

import sarslide
from sarslide.errors import ConfigError
from sarslide.simulate import EventCubeSpec, SimulateResult, simulate_event_cube


def test_simulate_cube_holds_the_cube_its_spec_and_the_drawn_share() -> None:
    spec = EventCubeSpec(height_px=48, width_px=40, timesteps=4)
    result = sarslide.simulate_cube(spec, seed=3, landslide_fraction=0.1)
    assert isinstance(result, SimulateResult)
    assert (result.spec.height_px, result.spec.seed, result.spec.landslide_fraction) == (
        48,
        3,
        0.1,
    )
    # the same arrays and attributes as the function it wraps, with the same settings
    expected = simulate_event_cube(spec, seed=3, landslide_fraction=0.1)
    xr.testing.assert_identical(result.cube, expected)
    assert result.cube.attrs["simulation_spec"] == result.spec.model_dump_json()
    drawn = float((expected["landslides"] > 0).mean())
    assert result.landslide_fraction == pytest.approx(drawn, rel=1e-12) and drawn > 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.landslide_fraction = 0.0  # type: ignore[misc]


def test_simulate_cube_refuses_an_unknown_field() -> None:
    with pytest.raises(ConfigError, match="unknown key 'heigth_px'"):
        sarslide.simulate_cube(heigth_px=64)
