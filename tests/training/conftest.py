"""Tiny training fixtures: a random cube, a tiny config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from tests.factories import make_tiny_train_config, make_tiny_training_cube

torch.set_num_threads(1)


@pytest.fixture
def tiny_cube() -> Any:
    return make_tiny_training_cube()


@pytest.fixture
def tiny_config_values(tmp_path: Path) -> dict[str, Any]:
    values = make_tiny_train_config("in-memory", tmp_path / "run")
    values["optim"] = {"plateau_patience": 0}
    return values
