"""Small simulated cubes shared by the simulator's tests (built once per module)."""

from __future__ import annotations

import pytest
import xarray as xr

from sarslide.simulate import simulate_event_cube


@pytest.fixture(scope="package")
def small_cube() -> xr.Dataset:
    """96 x 96 px, 6 acquisitions (3 before, 3 after), seed 3."""
    return simulate_event_cube(height_px=96, width_px=96, timesteps=6, seed=3)


@pytest.fixture(scope="package")
def calibration_cube() -> xr.Dataset:
    """The default settings on a 160 x 160 grid: for value-range checks."""
    return simulate_event_cube(height_px=160, width_px=160, seed=1)
