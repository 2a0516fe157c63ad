"""``run_demo(cfg) -> DemoOutputs``: the main job on the simulated default cube.

``run_demo`` chains the library's steps on the simulated default event cube:

1. simulate the default event cube and write it (``cube.zarr``) with an overview PNG;
2. train a small U-Net with the ``quick`` preset (spatial split);
3. evaluate it on the test chips and the whole test region;
4. predict the whole scene: probability and binary GeoTIFFs, polygons, quicklook,
   error map, metrics and ``report.html``.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from sarslide.datacube import write_cube
from sarslide.demo.config import DemoConfig
from sarslide.demo.outputs import DemoOutputs
from sarslide.evaluation.config import EvaluateConfig
from sarslide.evaluation.evaluate import evaluate_checkpoint
from sarslide.inference.config import PredictConfig
from sarslide.inference.outputs import predict_to_directory
from sarslide.output_dirs import mark_output_complete, prepare_output_dir
from sarslide.plotting.overview import plot_event_overview
from sarslide.simulate import simulate_event_cube
from sarslide.training.config import load_train_config
from sarslide.training.run import train

logger = logging.getLogger(__name__)

# What the demo writes, in order (path in its folder, what it is): a rerun into an
# interrupted demo's folder says which of them it holds.
DEMO_STEPS = (
    ("cube.zarr", "the simulated cube"),
    ("run/checkpoints/best.ckpt", "the trained model"),
    ("evaluation/metrics.json", "the evaluation"),
    ("map/report.html", "the map"),
)


def run_demo(cfg: DemoConfig, *, overwrite: bool = False, progress: bool = True) -> DemoOutputs:
    """Run the whole chain on the simulated default cube; return the output paths.

    Args:
        cfg: the folder for everything (refused if it exists, unless ``overwrite``),
            the scene's side, the training epochs and the seed of the simulation, the
            split and the training.
        overwrite: replace a previous demo output folder.
        progress: progress bars.
    """
    root = Path(cfg.output_dir).expanduser().resolve()
    prepare_output_dir(root, overwrite=overwrite, steps=DEMO_STEPS)
    seconds: dict[str, float] = {}

    start = time.perf_counter()
    side_px, seed = cfg.size_px, cfg.seed
    overrides: dict[str, Any] = {"seed": seed, "height_px": side_px, "width_px": side_px}
    cube = simulate_event_cube(progress=progress, **overrides)
    cube_path = write_cube(cube, root / "cube.zarr", progress=progress)
    overview = plot_event_overview(cube, root / "figures" / "event_overview.png", k=1)
    seconds["simulate"] = time.perf_counter() - start
    logger.info("simulated cube written to %s", cube_path)

    start = time.perf_counter()
    settings = [
        f"data.cube={cube_path}",
        f"data.seed={seed}",
        f"trainer.seed={seed}",
        f"output_dir={root / 'run'}",
    ]
    if cfg.epochs is not None:
        settings.append(f"trainer.max_epochs={cfg.epochs}")
    run = train(load_train_config("quick", overrides=settings), progress=progress)
    seconds["train"] = time.perf_counter() - start

    start = time.perf_counter()
    evaluation = evaluate_checkpoint(
        EvaluateConfig(
            checkpoint=str(run.best_checkpoint),
            cube=str(cube_path),
            output_dir=str(root / "evaluation"),
            # the demo's numbers are a reference: fp32 on every CPU (auto would score in
            # bf16 where the CPU has bf16 units and the training check passed); the map
            # below shows the fast path
            precision="fp32",
        ),
        progress=progress,
    )
    seconds["evaluate"] = time.perf_counter() - start

    start = time.perf_counter()
    prediction = predict_to_directory(
        PredictConfig(
            checkpoint=str(run.best_checkpoint), cube=str(cube_path), output_dir=str(root / "map")
        ),
        progress=progress,
    )
    seconds["predict"] = time.perf_counter() - start

    mark_output_complete(root)
    return DemoOutputs(
        directory=root,
        cube=cube_path,
        overview_png=overview,
        run_dir=run.run_dir,
        checkpoint=run.best_checkpoint,
        training_curve_png=run.curve_png,
        evaluation_dir=root / "evaluation",
        evaluation=evaluation.to_dict(),
        prediction_dir=prediction.directory,
        report_html=prediction.report_html,
        step_seconds=seconds,
    )
