"""The main job on the embedded default data: simulate, train, evaluate, map.

``run_demo`` chains the library's steps on the simulated default event cube:

1. simulate the default event cube and write it (``cube.zarr``) with an overview PNG;
2. train a small U-Net with the ``quick`` preset (spatial split);
3. evaluate it on the test chips and the whole test region;
4. predict the whole scene: probability and binary GeoTIFFs, polygons, quicklook,
   error map, metrics and ``report.html``.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field
from rich.table import Table

from sarslide.config import ConfigModel

logger = logging.getLogger(__name__)

# 1024 px (10 km at 10 m): the spatial split then leaves a test region of tens of
# chips; at 512 px it held 3 chips and its metrics were noise.
DEMO_SIZE_PX = 1024
DEMO_MIN_SIZE_PX = 256  # 2 x 2 split blocks of the quick preset (128 px)


# What the demo writes, in order (path in its folder, what it is): a rerun into an
# interrupted demo's folder says which of them it holds.
DEMO_STEPS = (
    ("cube.zarr", "the simulated cube"),
    ("run/checkpoints/best.ckpt", "the trained model"),
    ("evaluation/metrics.json", "the evaluation"),
    ("map/report.html", "the map"),
)


class DemoConfig(ConfigModel):
    """Settings of ``sarslide demo`` (the steps' own configs are written in their folders)."""

    config_label: ClassVar[str] = "demo config"

    output_dir: str = Field(default="demo-output", description="Folder for everything.")
    size_px: int = Field(
        default=DEMO_SIZE_PX,
        ge=DEMO_MIN_SIZE_PX,
        description="Side of the simulated scene (px); at least 256, so that the quick "
        "preset's spatial split (blocks of 128 px) leaves chips for validation and test.",
    )
    epochs: int | None = Field(
        default=None, ge=1, description="Training epochs; null: the quick preset's."
    )
    seed: int = Field(default=0, description="Seed of simulation, split and training.")


@dataclass
class DemoOutputs:
    """Where ``run_demo`` wrote everything, and what it measured."""

    directory: Path
    cube: Path
    overview_png: Path
    run_dir: Path
    checkpoint: Path
    training_curve_png: Path
    evaluation_dir: Path
    evaluation: dict[str, Any]
    prediction_dir: Path
    report_html: Path
    step_seconds: dict[str, float]

    def to_tables(self) -> list[Table]:
        """The test metrics and the outputs' paths, as ``sarslide demo`` prints them."""
        metrics = Table(
            title="test metrics (spatial split; threshold chosen on validation; "
            "[95 % block bootstrap interval])"
        )
        for column in ("evaluated on", "AUPRC", "baseline AUPRC", "AUROC", "F1", "IoU"):
            metrics.add_column(column)
        for key in ("chips", "region"):
            block = self.evaluation.get(key)
            if block:
                metrics.add_row(
                    block["evaluated_on"],
                    *(
                        _with_interval(block, m)
                        for m in ("auprc", "baseline_auprc", "auroc", "f1", "iou")
                    ),
                )
        where = Table(title="outputs", show_header=False)
        where.add_row("datacube", str(self.cube))
        where.add_row("overview figure", str(self.overview_png))
        where.add_row("training run", str(self.run_dir))
        where.add_row("training curve", str(self.training_curve_png))
        where.add_row("evaluation", str(self.evaluation_dir))
        where.add_row("landslide map", str(self.prediction_dir))
        where.add_row("report", str(self.report_html))
        return [metrics, where]


def _with_interval(block: dict[str, Any], metric: str) -> str:
    """``0.851 [0.796, 0.892]``: the value and its bootstrap interval where there is one."""
    text = f"{block.get(metric, float('nan')):.3f}"
    bounds = (block.get("intervals") or {}).get(metric)
    if bounds and None not in bounds:
        text += f" [{bounds[0]:.3f}, {bounds[1]:.3f}]"
    return text


def run_demo(
    output_dir: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    epochs: int | None = None,
    size_px: int | None = None,
    seed: int = 0,
    progress: bool = True,
) -> DemoOutputs:
    """Run the whole chain on the simulated default cube; return the output paths.

    Args:
        output_dir: folder for everything (refused if it exists, unless ``overwrite``).
        overwrite: replace a previous demo output folder.
        epochs: training epochs (default: the ``quick`` preset's).
        size_px: side of the simulated scene in pixels (default ``DEMO_SIZE_PX``).
        seed: seed of the simulation, the split and the training.
        progress: progress bars.
    """
    # imported when the demo runs: `sarslide demo --help` reads only DemoConfig
    from sarslide.datacube import write_cube
    from sarslide.evaluation.config import EvaluateConfig
    from sarslide.evaluation.evaluate import evaluate_checkpoint
    from sarslide.inference.config import PredictConfig
    from sarslide.inference.outputs import predict_to_directory
    from sarslide.output_dirs import mark_output_complete, prepare_output_dir
    from sarslide.plotting.overview import plot_event_overview
    from sarslide.simulate import simulate_event_cube
    from sarslide.training.config import load_train_config
    from sarslide.training.run import train

    root = Path(output_dir).expanduser().resolve()
    prepare_output_dir(root, overwrite=overwrite, steps=DEMO_STEPS)
    seconds: dict[str, float] = {}

    start = time.perf_counter()
    side_px = DEMO_SIZE_PX if size_px is None else size_px
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
    if epochs is not None:
        settings.append(f"trainer.max_epochs={epochs}")
    cfg = load_train_config("quick", overrides=settings)
    run = train(cfg, progress=progress)
    seconds["train"] = time.perf_counter() - start

    start = time.perf_counter()
    evaluation = evaluate_checkpoint(
        EvaluateConfig(
            checkpoint=str(run.best_checkpoint),
            cube=str(cube_path),
            output_dir=str(root / "evaluation"),
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
