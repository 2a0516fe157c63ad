"""Tiny training fixtures: a random cube, a tiny config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from tests.factories import make_minimal_cube

torch.set_num_threads(1)


@pytest.fixture
def tiny_cube() -> Any:
    return make_minimal_cube(height=64, width=64, timesteps=4, seed=3)


@pytest.fixture
def tiny_config_values(tmp_path: Path) -> dict[str, Any]:
    return {
        "data": {
            "cube": "in-memory",
            "timesteps_k": 1,
            "chip_size_px": 16,
            "positive_only": False,
            "split": "random",
        },
        "model": {"name": "unet-tiny", "kwargs": {"base_filters": 4, "depth": 2}},
        "optim": {"plateau_patience": 0},
        "trainer": {"max_epochs": 1, "batch_size": 4, "accelerator": "cpu", "seed": 1},
        "output_dir": str(tmp_path / "run"),
    }
