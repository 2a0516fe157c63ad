"""``sarslide demo``: the main job on the embedded (simulated) default cube."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from sarslide.cli import options as opt
from sarslide.cli.apps import app
from sarslide.cli.config_flags import ConfigFlags, ConfigRequest, config_command
from sarslide.cli.console import console
from sarslide.output_checks import check_output_location

DEMO = ConfigFlags("sarslide.demo:DemoConfig", "output_dir epochs size_px:--size seed")


@config_command(app, "demo", DEMO)
def demo_command(
    request: ConfigRequest,
    overwrite: bool = opt.overwrite_option("Replace a previous demo output."),
    progress: bool = opt.progress_option(),
) -> None:
    """Simulate the default event cube, train a small U-Net, evaluate, map the scene."""
    # imported when the command runs (see sarslide.cli)
    from sarslide.demo import run_demo

    cfg = request.load()
    check_output_location(Path(cfg.output_dir))
    console.rule("sarslide demo (SIMULATED data)")
    outputs = run_demo(
        cfg.output_dir,
        overwrite=overwrite,
        epochs=cfg.epochs,
        size_px=cfg.size_px,
        seed=cfg.seed,
        progress=progress,
    )
    metrics = Table(title="test metrics (spatial split; threshold chosen on validation)")
    for column in ("evaluated on", "AUPRC", "baseline AUPRC", "AUROC", "F1", "IoU"):
        metrics.add_column(column)
    for key in ("chips", "region"):
        block = outputs.evaluation.get(key)
        if block:
            metrics.add_row(
                block["evaluated_on"],
                *(
                    f"{block.get(m, float('nan')):.3f}"
                    for m in ("auprc", "baseline_auprc", "auroc", "f1", "iou")
                ),
            )
    console.print(metrics)
    where = Table(title="outputs", show_header=False)
    where.add_row("datacube", str(outputs.cube))
    where.add_row("overview figure", str(outputs.overview_png))
    where.add_row("training run", str(outputs.run_dir))
    where.add_row("training curve", str(outputs.training_curve_png))
    where.add_row("evaluation", str(outputs.evaluation_dir))
    where.add_row("landslide map", str(outputs.prediction_dir))
    where.add_row("report", str(outputs.report_html))
    console.print(where)
    timing = ", ".join(f"{k} {v:.0f} s" for k, v in outputs.step_seconds.items())
    console.print(f"done in {sum(outputs.step_seconds.values()):.0f} s ({timing})")
