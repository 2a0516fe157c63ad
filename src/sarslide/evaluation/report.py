"""Evaluation outputs: ``metrics.json``, ``summary.md`` and the PR-curve PNG."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sarslide.atomic import write_json_atomic, write_text_atomic
from sarslide.metrics.undefined import mark_undefined
from sarslide.plotting.curves import plot_pr_curves

if TYPE_CHECKING:  # evaluate imports this module
    from sarslide.evaluation.evaluate import EvaluationResult

ROWS = (
    ("AUPRC", "auprc"),
    ("baseline AUPRC (positive rate)", "baseline_auprc"),
    ("AUROC", "auroc"),
    ("F1", "f1"),
    ("precision", "precision"),
    ("recall", "recall"),
    ("IoU", "iou"),
)


def format_summary_markdown(result: EvaluationResult) -> str:
    """A markdown table: rows are metrics, columns the chips and the whole region."""
    columns = [("chips", result.chips)]
    if result.region is not None:
        columns.append(("whole region", result.region))
    method = result.split_method
    header = "| metric | " + " | ".join(
        f"{result.split} {name} ({method} split)" for name, _ in columns
    )
    lines = [
        f"# Evaluation of `{result.model_name}` on the {result.split} split ({method})",
        "",
        f"- checkpoint: `{result.checkpoint}`",
        f"- channels: {', '.join(result.channel_names)}",
        f"- threshold: {result.threshold:.4f} (chosen on {result.threshold_source}; "
        "applied unchanged here)",
    ]
    if result.val_chips_auprc is not None:
        lines.append(f"- validation chips AUPRC ({method} split): {result.val_chips_auprc:.4f}")
    lines += ["", header + " |", "|---" * (len(columns) + 1) + "|"]
    for label, key in ROWS:
        cells = " | ".join(f"{getattr(m, key):.4f}" for _, m in columns)
        lines.append(f"| {label} | {cells} |")
    counts = " | ".join(f"{m.n_pixels:,} px ({m.n_positive:,} landslide)" for _, m in columns)
    lines.append(f"| pixels | {counts} |")
    for note in result.notes:
        lines.append(f"\nNote: {note}")
    return "\n".join(lines) + "\n"


def write_report(
    result: EvaluationResult,
    curves: Mapping[str, Any],
    baselines: Mapping[str, float],
    out_dir: Path,
) -> None:
    """Write ``metrics.json``, ``summary.md`` and ``pr_curve.png`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    png = plot_pr_curves(
        curves,
        baselines,
        out_dir / "pr_curve.png",
        title=f"{result.model_name}: {result.split} ({result.split_method} split)",
    )
    result.paths = {
        "metrics_json": str(out_dir / "metrics.json"),
        "summary_md": str(out_dir / "summary.md"),
        "pr_curve_png": str(png),
    }
    write_json_atomic(out_dir / "metrics.json", mark_undefined(result.to_dict()))
    write_text_atomic(out_dir / "summary.md", format_summary_markdown(result))
