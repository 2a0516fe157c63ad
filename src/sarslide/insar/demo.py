"""The ISSLIDE demo: simulate a small dataset, train the five baselines briefly, compare.

Sizes are chosen so the whole chain runs in minutes on 2 CPU cores; the numbers it
prints say that the pipeline works end to end, not how good the models can get
(the paper trains 300-600 epochs on 4,821 patches).
"""

from __future__ import annotations

import logging
from pathlib import Path

from sarslide.errors import OutputExistsError
from sarslide.insar.patches import extract_patches
from sarslide.insar.run import ISSLIDE_MODELS, IsslideRunConfig, run_isslide
from sarslide.insar.simulate import SimulationConfig, simulate_isslide_raw

logger = logging.getLogger(__name__)


def demo_run_config(out_dir: str | Path, *, fast: bool = False, seed: int = 0) -> IsslideRunConfig:
    """Training settings of the demo (``fast``: fewer patches, epochs and batches)."""
    out = Path(out_dir)
    return IsslideRunConfig(
        ready_dir=str(out / "ready"),
        output_dir=str(out / "runs"),
        models=list(ISSLIDE_MODELS),
        test_zones=["queyras"],
        val_fraction=0.25,
        batch_size=8,
        max_epochs=4 if fast else 10,
        lr=1e-3,
        heavy_max_epochs=1 if fast else 2,
        heavy_limit_train_batches=2 if fast else 5,
        max_patches_per_split=40 if fast else None,
        seed=seed,
        accelerator="cpu",
    )


def run_isslide_demo(
    out_dir: str | Path, *, fast: bool = False, seed: int = 0, progress: bool = False
) -> dict[str, Path]:
    """simulate -> patches -> train five models -> test table + figure, under ``out_dir``."""
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        raise OutputExistsError(f"{out} is not empty; the demo writes into a new folder.")
    sim = SimulationConfig(size_px=128 if fast else 160, n_dates=5 if fast else 6, seed=seed)
    simulate_isslide_raw(out / "raw", sim, progress=progress)
    extract_patches(out / "raw", out / "ready", size_px=64 if fast else 100, progress=progress)
    outputs = run_isslide(demo_run_config(out, fast=fast, seed=seed), progress=progress)
    logger.info("demo outputs: %s", {k: str(v) for k, v in outputs.items()})
    return outputs
