"""Shared fixtures: tiny seeded cubes, threads limited for a 2-core machine."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import xarray as xr
from click.testing import Result

os.environ.setdefault("OMP_NUM_THREADS", "2")

from tests.factories import make_minimal_cube


@pytest.fixture
def minimal_cube() -> xr.Dataset:
    return make_minimal_cube()


@pytest.fixture(scope="session")
def tiny_events(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The four-event preset at 64 x 64 px (SIMULATED): its events.yaml, built once."""
    from sarslide.simulate.event_sets import write_event_set

    return write_event_set(tmp_path_factory.mktemp("events") / "four", size_px=64)


def tiny_events_data(events_file: Path, **changes: object) -> dict[str, object]:
    """A data config over the tiny events: 16 px chips, 32 px blocks, no buffer, k = 2."""
    from sarslide.chips.events import read_events_file

    return {
        "events": read_events_file(events_file),
        "channels": "vv+vh",
        "timesteps_k": 2,
        "chip_size_px": 16,
        "positive_only": False,
        "split_fractions": [0.5, 0.25, 0.25],
        "split_block_px": 32,
        "split_buffer_px": 0,
        **changes,
    }


def train_tiny_leave_one_event_out(
    events_file: Path, run: Path, held_out: str = "monsoon"
) -> Result:
    """``sarslide train quick --events ... --held-out HELD_OUT`` on the tiny events: one
    epoch of unet-tiny, two batches; the CLI's result (the run folder is ``run``)."""
    import json

    from typer.testing import CliRunner

    from sarslide.cli.main import app

    sets = [
        f"--set=data.{k}={json.dumps(v)}"
        for k, v in tiny_events_data(events_file).items()
        if k != "events"
    ]
    args = ["train", "quick", "--events", str(events_file), "--held-out", held_out]
    args += ["-o", str(run), "--model", "unet-tiny", "--epochs", "1", "--accelerator", "cpu"]
    args += [*sets, "--set=trainer.limit_train_batches=2", "--no-progress"]
    return CliRunner().invoke(app, args)
