"""``DemoOutputs``: what ``run_demo`` wrote and measured, and its tables for the console."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.table import Table


@dataclass(frozen=True)
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
