"""``report.md``: what respond found and made, readable without any tool."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pystac

from sarslide.atomic import write_text_atomic
from sarslide.datacube import open_cube
from sarslide.inference.geotiff import grid_from_cube
from sarslide.inference.output_paths import PredictionOutputs
from sarslide.inference.stac_collection import Area, write_collection
from sarslide.inference.stac_item import AssetKind, footprint_lonlat
from sarslide.response.acquisitions import AcquisitionPlan, Pass
from sarslide.response.checks import ModelSettings
from sarslide.response.config import RespondConfig


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
        "- `collection.json`: STAC Collection of the response (links `map/item.json`)",
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


# Files of a response folder described as collection assets.
RESPOND_ASSETS = {
    "report.md": AssetKind("report", "text/markdown", ("metadata",), "Response report"),
    "respond.json": AssetKind(
        "state", pystac.MediaType.JSON, ("metadata",), "Request, plan and steps"
    ),
    "respond.yaml": AssetKind(
        "config", "application/yaml", ("metadata",), "Resolved request (--config reruns it)"
    ),
}


def write_respond_collection(
    folder: Path, cfg: RespondConfig, plan: AcquisitionPlan, outputs: PredictionOutputs
) -> Path:
    """``collection.json``: the response as a STAC Collection, its map as an Item."""
    title = cfg.event_name or f"event of {plan.event_start:%Y-%m-%d}"
    items = [outputs.item_json] if outputs.item_json and outputs.item_json.is_file() else []
    areas = []
    if not items:  # a map kept from before maps had an Item: the cube gives the extent
        grid = grid_from_cube(open_cube(folder / "cube.zarr", validate=False))
        window = (plan.event_start, plan.event_end)
        areas.append(Area(footprint_lonlat(grid).bounds, window))
    return write_collection(
        folder,
        name=f"respond-{title}",
        title=f"Landslide response: {title}",
        description=(
            f"Landslide map of {title} from Sentinel-1 backscatter before and after the "
            f"event window {plan.event_start:%Y-%m-%d %H:%M} .. "
            f"{plan.event_end:%Y-%m-%d %H:%M} UTC, made by sarslide respond."
        ),
        areas=areas,
        items=items,
        assets=RESPOND_ASSETS,
        cubes=[folder / "cube.zarr"],
    )


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
