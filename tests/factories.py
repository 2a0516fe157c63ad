"""Tiny, seeded, georeferenced datacubes built at test time, and tiny training runs.

For tests of the contract and I/O. Tests that need realistic content use the
simulator (``sarslide.simulate``) instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
import yaml

from sarslide import conventions as cv
from sarslide.datacube import write_cube


def make_minimal_cube(
    *,
    height: int = 24,
    width: int = 32,
    timesteps: int = 4,
    seed: int = 0,
    crs: str | None = "EPSG:32654",
    resolution_m: float = 10.0,
) -> xr.Dataset:
    """A cube with every required variable, random values and a real UTM grid."""
    import rioxarray  # noqa: F401

    rng = np.random.default_rng(seed)
    times = pd.date_range("2018-08-01T20:40", periods=timesteps, freq="12D")
    y = 4_750_000.0 - resolution_m * (np.arange(height) + 0.5)
    x = 500_000.0 + resolution_m * (np.arange(width) + 0.5)
    shape3 = (timesteps, height, width)
    pairs = max(timesteps - 1, 1)
    ds = xr.Dataset(
        {
            cv.VAR_VV: (
                (cv.DIM_TIMESTEP, cv.DIM_Y, cv.DIM_X),
                rng.gamma(4, 0.05, shape3).astype("float32"),
            ),
            cv.VAR_VH: (
                (cv.DIM_TIMESTEP, cv.DIM_Y, cv.DIM_X),
                rng.gamma(4, 0.0125, shape3).astype("float32"),
            ),
            cv.VAR_DEM: (
                (cv.DIM_Y, cv.DIM_X),
                rng.uniform(100, 900, (height, width)).astype("float32"),
            ),
            cv.VAR_DEM_SLOPE: (
                (cv.DIM_Y, cv.DIM_X),
                rng.uniform(0, 1, (height, width)).astype("float32"),
            ),
            cv.VAR_DEM_ASPECT: (
                (cv.DIM_Y, cv.DIM_X),
                rng.uniform(0, 360, (height, width)).astype("float32"),
            ),
            cv.VAR_DEM_CURVATURE: (
                (cv.DIM_Y, cv.DIM_X),
                rng.normal(0, 1, (height, width)).astype("float32"),
            ),
            cv.VAR_LANDSLIDES: (
                (cv.DIM_Y, cv.DIM_X),
                (rng.random((height, width)) < 0.1).astype("uint8"),
            ),
            cv.VAR_COHERENCE: (
                (cv.DIM_TIMEPAIR, cv.DIM_Y, cv.DIM_X),
                rng.random((pairs, height, width)).astype("float32"),
            ),
            cv.VAR_INTERFEROGRAM: (
                (cv.DIM_TIMEPAIR, cv.DIM_Y, cv.DIM_X),
                rng.uniform(-np.pi, np.pi, (pairs, height, width)).astype("float32"),
            ),
        },
        coords={
            cv.DIM_TIMESTEP: times,
            cv.DIM_Y: y,
            cv.DIM_X: x,
            cv.COORD_ORBIT_STATE: (cv.DIM_TIMESTEP, np.array(["ascending"] * timesteps)),
            cv.DIM_TIMEPAIR: np.arange(pairs),
            cv.COORD_PAIR_START: (cv.DIM_TIMEPAIR, times[:pairs].values),
            cv.COORD_PAIR_END: (
                cv.DIM_TIMEPAIR,
                times[1 : pairs + 1].values if timesteps > 1 else times[:1].values,
            ),
        },
        attrs={
            cv.ATTR_EVENT_START: "2018-08-20T00:00:00",
            cv.ATTR_EVENT_END: "2018-08-21T00:00:00",
        },
    )
    if crs is not None:
        ds = ds.rio.write_crs(crs)
    return ds


def make_tiny_training_cube() -> xr.Dataset:
    """The 64 x 64 px, 4-timestep cube the training tests learn from."""
    return make_minimal_cube(height=64, width=64, timesteps=4, seed=3)


def make_tiny_train_config(cube: str, output_dir: Path, **trainer: Any) -> dict[str, Any]:
    """A training config that runs in seconds: 16 px chips, a 4-filter U-Net on the CPU,
    one thread, one epoch (``trainer`` overrides or adds trainer settings)."""
    return {
        "data": {
            "cube": cube,
            "timesteps_k": 1,
            "chip_size_px": 16,
            "positive_only": False,
            "split": "random",
        },
        "model": {"name": "unet-tiny", "kwargs": {"base_filters": 4, "depth": 2}},
        "trainer": {
            "max_epochs": 1,
            "batch_size": 4,
            "accelerator": "cpu",
            "seed": 1,
            "threads": 1,
            **trainer,
        },
        "output_dir": str(output_dir),
    }


def write_tiny_training_run(folder: Path, **trainer: Any) -> Path:
    """``folder/c.zarr`` (the tiny training cube) and ``folder/train.yaml`` training on it
    into ``folder/run``; returns the config's path (for ``sarslide train``)."""
    cube = write_cube(make_tiny_training_cube(), folder / "c.zarr")
    config = folder / "train.yaml"
    config.write_text(yaml.safe_dump(make_tiny_train_config(str(cube), folder / "run", **trainer)))
    return config
