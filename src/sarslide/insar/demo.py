"""The ISSLIDE demo: simulate a small dataset, train the five baselines briefly, compare.

Sizes are chosen so the whole chain runs in minutes on 2 CPU cores. Six simulated
zones: five to train and validate on (spatial diversity matters more than epochs: with
two training zones a U-Net learns their few crop layouts and reaches test F1 ~0.5,
with five ~0.7 for the same compute), Queyras held out for test. The three small
U-Nets get a few hundred Adam steps and clearly learn; FCN-ResNet50 and
DeepLabV3-ResNet50 (~35-40 M parameters, ~10x the CPU time per step) only get a few
steps, which shows the pipeline runs for them, not what they can reach (the paper
trains 300-600 epochs on 4,821 patches).
"""

from __future__ import annotations

import logging
from pathlib import Path

from sarslide.devices import resolve_device, resolve_precision
from sarslide.errors import OutputExistsError
from sarslide.insar.config import ISSLIDE_MODELS, IsslideDemoConfig, IsslideRunConfig
from sarslide.insar.patches import extract_patches
from sarslide.insar.results import IsslideOutputs
from sarslide.insar.run import run_isslide
from sarslide.insar.simulate import SimulationConfig, simulate_isslide_raw
from sarslide.models.engines import resolve_engine
from sarslide.output_dirs import prepare_output_dir

logger = logging.getLogger(__name__)


DEMO_ZONES = ("vanoise", "ecrins", "queyras", "belledonne", "mercantour", "maurienne")
DEMO_TEST_ZONE = "queyras"


def demo_simulation_config(*, fast: bool = False, seed: int = 0) -> SimulationConfig:
    """The simulated dataset of the demo (six zones; ``fast``: smaller scenes)."""
    return SimulationConfig(
        zones=DEMO_ZONES,
        size_px=128 if fast else 160,
        n_dates=6 if fast else 7,
        moves_per_zone=8,
        seed=seed,
    )


def demo_patch_size_px(*, fast: bool = False) -> int:
    """Patch side of the demo (ISSLIDE uses 100; 48 keeps the fast demo within minutes)."""
    return 48 if fast else 64


def demo_run_config(cfg: IsslideDemoConfig) -> IsslideRunConfig:
    """Training settings of the demo (``fast``: fewer epochs and heavy-model steps).

    ``cfg.device``/``cfg.precision`` decide where training and evaluation run (``auto``:
    the GPU when one is usable, else the CPU).
    """
    out = Path(cfg.output_dir)
    return IsslideRunConfig(
        ready_dir=str(out / "ready"),
        output_dir=str(out / "runs"),
        models=list(ISSLIDE_MODELS),
        test_zones=[DEMO_TEST_ZONE],
        val_fraction=0.25,
        batch_size=8,
        max_epochs=7 if cfg.fast else 12,
        lr=1e-3,
        heavy_max_epochs=1 if cfg.fast else 2,
        heavy_limit_train_batches=4 if cfg.fast else 12,
        seed=cfg.seed,
        device=cfg.device,
        precision=cfg.precision,
        engine=cfg.engine,
        num_threads=cfg.num_threads,
    )


def run_isslide_demo(
    cfg: IsslideDemoConfig, *, progress: bool = False, overwrite: bool = False
) -> IsslideOutputs:
    """simulate -> patches -> train five models -> test table + figure, in ``cfg.output_dir``.

    ``cfg.num_threads``: torch CPU threads (default 2; 0 = auto from the load, see
    ``choose_torch_threads``).
    ``cfg.device``/``cfg.precision``: where training and evaluation run, checked first;
    ``cfg.engine``: what predicts the test patches (``insar.engine``).
    ``overwrite``: replace a previous demo folder (never one the demo did not write).

    Raises:
        ConfigError / DeviceError: the device is not on this machine or the precision
            does not fit it (nothing written).
        OutputExistsError: the folder is not empty and ``overwrite`` is False.
    """
    device = resolve_device(cfg.device)
    resolve_engine(cfg.engine, device, onnx_file=False, precision=cfg.precision)
    resolve_precision(cfg.precision, device)
    out = Path(cfg.output_dir)
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise OutputExistsError(
            f"{out} is not empty; pass --overwrite to replace a previous demo output, or "
            "choose a new folder."
        )
    prepare_output_dir(out, overwrite=True)
    simulate_isslide_raw(
        out / "raw", demo_simulation_config(fast=cfg.fast, seed=cfg.seed), progress=progress
    )
    extract_patches(
        out / "raw", out / "ready", size_px=demo_patch_size_px(fast=cfg.fast), progress=progress
    )
    outputs = run_isslide(demo_run_config(cfg), progress=progress)
    logger.info("demo outputs: %s", {k: str(v) for k, v in outputs.items()})
    return outputs
