"""Evaluation outputs: ``metrics.json``, ``summary.md`` and the PR-curve PNG."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sarslide.atomic import write_json_atomic, write_text_atomic
from sarslide.evaluation.result import EvaluationResult
from sarslide.metrics.thresholds import SplitMetrics
from sarslide.metrics.undefined import mark_undefined
from sarslide.plotting.curves import plot_pr_curves

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
    if result.engine:
        lines.append(f"- ran on: {describe_engine(result.engine)}")
    if result.val_chips_auprc is not None:
        lines.append(f"- validation chips AUPRC ({method} split): {result.val_chips_auprc:.4f}")
    lines += ["", header + " |", "|---" * (len(columns) + 1) + "|"]
    for label, key in ROWS:
        cells = " | ".join(format_with_interval(m, key) for _, m in columns)
        lines.append(f"| {label} | {cells} |")
    counts = " | ".join(f"{m.n_pixels:,} px ({m.n_positive:,} landslide)" for _, m in columns)
    lines.append(f"| pixels | {counts} |")
    lines += ["", describe_intervals([m for _, m in columns])]
    for note in result.notes:
        lines.append(f"\nNote: {note}")
    return "\n".join(lines) + "\n"


def describe_engine(engine: Mapping[str, Any]) -> str:
    """``onnx 1.20.1 on cpu, precision fp32`` from an ``EngineRun.describe()`` record."""
    return (
        f"{engine.get('engine')} {engine.get('engine_version', '')} on {engine.get('device')}, "
        f"precision {engine.get('precision')}"
    ).replace("  ", " ")


def format_with_interval(metrics: SplitMetrics, key: str) -> str:
    """``0.7990 [0.7412, 0.8534]``: the value and its bootstrap interval when it has one."""
    value = f"{getattr(metrics, key):.4f}"
    bounds = (metrics.intervals or {}).get(key)
    if not bounds or None in bounds:
        return value
    return f"{value} [{bounds[0]:.4f}, {bounds[1]:.4f}]"


def describe_intervals(blocks: list[SplitMetrics]) -> str:
    """One sentence: what the bracketed intervals are and what they do not cover."""
    found = [m.intervals for m in blocks if m.intervals]
    if not found:
        return "No intervals: the evaluated set was empty."
    first = found[0]
    tiles = ", ".join(str(i["n_blocks"]) for i in found)
    return (
        f"[low, high]: {first['confidence']:.0%} spatial block bootstrap interval "
        f"({first['n_resamples']} resamples of {tiles} tiles of {first['tile_px']} px, "
        f"seed {first['seed']}): the sampling of the evaluated area, not the variance "
        "over training seeds (docs/training.md)."
    )


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
    result.paths.clear()  # the result is frozen; its paths dict is filled in place
    result.paths.update(
        {
            "metrics_json": str(out_dir / "metrics.json"),
            "summary_md": str(out_dir / "summary.md"),
            "pr_curve_png": str(png),
        }
    )
    write_json_atomic(out_dir / "metrics.json", mark_undefined(result.to_dict()))
    write_text_atomic(out_dir / "summary.md", format_summary_markdown(result))
