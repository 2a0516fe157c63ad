"""Shared fixtures: tiny seeded cubes, threads limited for a 2-core machine."""

from __future__ import annotations

import os

import pytest
import xarray as xr

os.environ.setdefault("OMP_NUM_THREADS", "2")

from tests.factories import make_minimal_cube


@pytest.fixture
def minimal_cube() -> xr.Dataset:
    return make_minimal_cube()
