"""``report.md``: what respond found and made, readable without any tool."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sarslide.atomic import write_text_atomic
from sarslide.inference.outputs import PredictionOutputs
from sarslide.respond.acquisitions import AcquisitionPlan, Pass
from sarslide.respond.checks import ModelSettings
from sarslide.respond.config import RespondConfig


def write_respond_report(
    path: Path,
    cfg: RespondConfig,
    model: ModelSettings,
    plan: AcquisitionPlan,
    state: dict[str, Any],
    outputs: PredictionOutputs,
) -> Path:
    """Write the Markdown report of one response (atomically) and return its path."""
    run = _read_json(outputs.config_json)
    metrics = _read_json(outputs.metrics_json) if outputs.metrics_json else {}
    title = cfg.event_name or f"event of {plan.event_start:%Y-%m-%d}"
    lines = [
        f"# Landslide response: {title}",
        "",
        f"- AOI: `{cfg.aoi}`",
        f"- event window (UTC): {plan.event_start:%Y-%m-%d %H:%M} .. "
        f"{plan.event_end:%Y-%m-%d %H:%M}",
        f"- {model.describe()}",
        f"- backscatter: {cfg.source_label}; DEM: "
        + (" ".join(cfg.dem) if cfg.dem else f"{cfg.dem_collection!r} at {cfg.stac_url}"),
        "",
        "## Acquisitions",
        "",
        *(f"- {line}" for line in plan.describe()),
        "",
        "| side | date (UTC) | orbit | relative orbit | items |",
        "|---|---|---|---|---|",
        *_rows("before", plan.before),
        *_rows("inside (unused)", plan.inside),
        *_rows("after", plan.after),
        "",
        "## Outputs",
        "",
        "- `cube.zarr`: the datacube of these acquisitions (`cube.build.json`: its build log)",
        f"- `map/`: {run.get('n_polygons', '?')} landslide polygons at threshold "
        f"{float(run.get('threshold', model.threshold)):.3f}; open `map/report.html`, "
        "`map/landslides.gpkg`, `map/probability.tif`",
        "- `respond.json`: the request, the plan and the steps (a rerun resumes from it)",
    ]
    if metrics:
        lines += [
            "",
            "## Against the given labels",
            "",
            f"AUPRC {metrics['auprc']:.3f} (positive rate {metrics['positive_rate']:.3f}), "
            f"F1 {metrics['f1']:.3f}, IoU {metrics['iou']:.3f} at threshold "
            f"{metrics['threshold']:.3f}.",
        ]
    steps = state.get("steps", {})
    if steps:
        lines += ["", "## Steps", ""]
        lines += [f"- {name}: {json.dumps(values, default=str)}" for name, values in steps.items()]
    return write_text_atomic(path, "\n".join(lines) + "\n")


def _rows(side: str, passes: list[Pass]) -> list[str]:
    return [
        f"| {side} | {p.time:%Y-%m-%d %H:%M} | {p.orbit_state} | {p.relative_orbit} | "
        f"{len(p.item_ids)} |"
        for p in passes
    ]


def _read_json(path: Path | None) -> dict[str, Any]:
    if path is None or not path.exists():
        return {}
    values = json.loads(path.read_text())
    return values if isinstance(values, dict) else {}
