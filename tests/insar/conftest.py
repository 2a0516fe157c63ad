"""A tiny simulated ISSLIDE dataset shared by the insar tests (built once per session)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sarslide.insar.patches import extract_patches
from sarslide.insar.simulate import SimulationConfig, simulate_isslide_raw

TINY = SimulationConfig(
    zones=("vanoise", "ecrins", "queyras"),
    size_px=48,
    n_dates=4,
    delays_days=(6, 12),
    moves_per_zone=2,
    decoys_per_zone=1,
    seed=6,
)


@pytest.fixture(scope="session")
def tiny_raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("isslide") / "raw"
    simulate_isslide_raw(root, TINY)
    return root


@pytest.fixture(scope="session")
def tiny_ready(tiny_raw: Path) -> Path:
    out = tiny_raw.parent / "ready"
    extract_patches(tiny_raw, out, size_px=32)
    return out
