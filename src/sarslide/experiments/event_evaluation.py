"""Evaluate a checkpoint trained on several events: per event and pooled, with baselines.

For each event that has pixels in the evaluated split: the model's metrics on the
event's chips and on every pixel of its split region (with ``leave_one_event_out``
the held-out event's region is its whole scene), the positive rate (a random score's
AUPRC) and the log-ratio baseline on the same pixels. Pooled: the same over all
events' pixels together. The log-ratio sign (``auto``) is chosen on the validation
regions of the events that have one, like the model's threshold: never on the
evaluated pixels.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from sarslide import conventions as cv
from sarslide.atomic import write_text_atomic
from sarslide.chips import DataConfig, make_composites
from sarslide.chips.chipping import ChipArrays, to_binary_labels
from sarslide.chips.events import build_event_chip_splits
from sarslide.chips.log_ratio import SIGNS, compute_log_ratio_score
from sarslide.chips.splits import SplitPlan
from sarslide.datacube import open_cube
from sarslide.errors import DataSelectionError
from sarslide.evaluation.config import CONFIG_FILENAME, EvaluateConfig
from sarslide.evaluation.report import describe_engine
from sarslide.experiments.config import LogRatioSettings
from sarslide.inference.config import TilingOptions
from sarslide.metrics import (
    SplitMetrics,
    compute_auprc,
    compute_auroc,
    compute_split_metrics,
    select_valid,
)
from sarslide.ownership import check_folder_reusable, check_not_input, hold_lock, write_manifest

logger = logging.getLogger(__name__)

POOLED = "pooled"


@dataclass
class EventScores:
    """Labels and scores of one event on one split: model and log ratio, chips and region."""

    chips: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # y, model p, log ratio
    region: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None


@dataclass
class EventEvaluation:
    """Per-event and pooled metrics of one checkpoint on one split."""

    checkpoint: str
    split: str
    split_method: str
    held_out_event: str | None
    threshold: float
    log_ratio_sign: str
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)  # event or 'pooled'
    engine: dict[str, Any] = field(default_factory=dict)  # what ran: engine, device, precision
    # the whole-region pass's tiling (tile, overlap, margin px) and tiles per event
    region_tiling: dict[str, Any] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def evaluate_events(
    cfg: EvaluateConfig,
    *,
    log_ratio: LogRatioSettings | None = None,
    progress: bool = False,
) -> EventEvaluation:
    """Evaluate a multi-event checkpoint per event and pooled; write ``metrics.json``,
    ``summary.md`` and the resolved ``config.yaml`` into ``cfg.output_path``.

    The output folder is checked and marked as ``evaluate_checkpoint`` does it: it must
    be new, empty or an earlier ``sarslide evaluate`` output (``.sarslide-output.json``),
    hold none of the inputs (checkpoint, every event's cube), and is locked while written.

    Args:
        cfg: the checkpoint (its data config has ``events``), split, output folder,
            whole-region switch; the model runs on its device, precision and engine,
            the region pass with its tiling (as ``sarslide predict``).
        log_ratio: the baseline's settings (default: VV+VH, sign chosen on validation,
            slope > 10°).
        progress: progress bars.

    Raises:
        DataSelectionError: the checkpoint was trained on one cube, or channels differ.
        OutputExistsError: the output folder holds files ``evaluate`` did not write, or
            an input. OutputBusyError: another process writes it. DeviceError:
            ``device`` is not on this machine. ConfigError: a tile size ``predict``
            refuses.
    """
    # torch only where a model runs: transfer imports this module for its baselines
    from sarslide.devices import resolve_device
    from sarslide.evaluation.evaluate import EVALUATE_COMMAND, cap_region_overlap
    from sarslide.models.engines import load_inference_model

    checkpoint, split, out = cfg.checkpoint, cfg.split, cfg.output_path
    check_folder_reusable(out, EVALUATE_COMMAND, inputs=[checkpoint])
    model = load_inference_model(
        checkpoint, engine=cfg.engine, device=resolve_device(cfg.device), precision=cfg.precision
    )
    tiling = cap_region_overlap(cfg).to_tiling(size_multiple_px=model.size_multiple_px)
    if cfg.whole_region:  # the tiles predict refuses are refused here too, before any cube
        tiling.check()
    bundle = model.bundle
    data, _ = bundle.chip_inputs()
    if not data.events:
        raise DataSelectionError(
            f"{str(checkpoint)!r} was trained on one cube; evaluate it with "
            "sarslide.evaluate (sarslide evaluate), which scores both kinds."
        )
    cube_names = {name: str(data.for_event(name).cube) for name in data.event_names}
    check_not_input(out, cube_names.values())
    settings = log_ratio or LogRatioSettings()
    cubes = {name: open_cube(path) for name, path in cube_names.items()}
    splits = build_event_chip_splits(data, cubes=cubes, progress=progress)
    if splits.channel_names != bundle.channel_names:
        raise DataSelectionError(
            f"Chips have channels {splits.channel_names}; the model expects {bundle.channel_names}."
        )
    ratio = {name: log_ratio_scene(cubes[name], data.for_event(name), settings) for name in cubes}
    labels = {name: read_labels(cube) for name, cube in cubes.items()}
    sign = choose_log_ratio_sign(ratio, labels, splits.event_plans, settings)
    scores: dict[str, EventScores] = {}
    tiles: dict[str, int] = {}
    for name, cube in cubes.items():
        score = ratio[name][sign]
        chips = splits.event_chips(split, name)
        entry = EventScores()
        if len(chips):
            p = predict_chips(model, bundle, chips)
            entry.chips = _valid(chips.labels, p, cut_windows(score, chips))
        mask = splits.event_plans[name].region_mask(split, score.shape)
        if cfg.whole_region and mask.any():
            event_bundle = dataclasses.replace(bundle, data_config=data.for_event(name))
            probability = predict_scene(model, event_bundle, cube, options=cfg, progress=progress)
            entry.region = _valid(labels[name][mask], probability[mask], score[mask])
            tiles[name] = tiling.plan(*probability.shape).n_tiles
        scores[name] = entry
    result = EventEvaluation(
        checkpoint=str(checkpoint),
        split=split,
        split_method=splits.split,
        held_out_event=data.held_out_event,
        threshold=bundle.threshold,
        log_ratio_sign=sign,
        rows=summarise_scores(scores, bundle.threshold, data.held_out_event),
        engine=model.describe(),
        region_tiling=_describe_tiling(tiling, tiles) if tiles else {},
    )
    with hold_lock(out, EVALUATE_COMMAND):
        check_folder_reusable(out, EVALUATE_COMMAND)
        out.mkdir(parents=True, exist_ok=True)
        resolved = cfg.model_copy(update={"output_dir": str(out)})
        result.paths["config_yaml"] = str(resolved.write_yaml(out / CONFIG_FILENAME))
        write_event_report(result, out)
        write_manifest(out, EVALUATE_COMMAND)
    return result


def _describe_tiling(tiling: Any, tiles: dict[str, int]) -> dict[str, Any]:
    sizes = ("tile_size_px", "overlap_px", "margin_px")
    return {**{key: getattr(tiling, key) for key in sizes}, "tiles": tiles}


def predict_chips(model: Any, bundle: Any, chips: ChipArrays) -> np.ndarray:
    """Model probabilities on chips (standardised with the checkpoint's statistics).

    ``model``: an ``InferenceModel`` (``sarslide.models.engines``).
    """
    x = bundle.chip_inputs()[1].apply(chips.inputs)
    return np.asarray(model.predict(x))


def predict_scene(
    model: Any,
    bundle: Any,
    cube: xr.Dataset,
    *,
    options: TilingOptions | None = None,
    progress: bool,
) -> np.ndarray:
    """Probability over a whole event scene (NaN at nodata); ``options``: the tiling
    (default ``TilingOptions()``), as ``evaluate``'s region pass uses it."""
    # torch only where a model runs: transfer imports this module for its baselines
    from sarslide.evaluation.evaluate import predict_region

    return predict_region(model, cube, bundle=bundle, options=options, progress=progress)


def read_labels(cube: xr.Dataset) -> np.ndarray:
    """The cube's landslide labels as bool ``(y, x)``."""
    return to_binary_labels(cube[cv.VAR_LANDSLIDES].transpose(*cv.SPATIAL_DIMS).values) > 0


def log_ratio_scene(
    cube: xr.Dataset, data: DataConfig, settings: LogRatioSettings
) -> dict[str, np.ndarray]:
    """The log-ratio score of every pixel of one event, for each sign."""
    pols = settings.polarisations.split("+")
    scene = make_composites(cube, data, variables=tuple(pols))
    layers = {str(name): scene[name].values for name in scene.data_vars}
    slope = cube[cv.VAR_DEM_SLOPE].transpose(*cv.SPATIAL_DIMS).values
    return {
        sign: compute_log_ratio_score(
            layers,
            polarisations=settings.polarisations,
            sign=sign,
            slope_rad=slope if settings.slope_min_deg is not None else None,
            slope_min_deg=settings.slope_min_deg,
        )
        for sign in SIGNS
    }


def choose_log_ratio_sign(
    ratio: dict[str, dict[str, np.ndarray]],
    labels: dict[str, np.ndarray],
    plans: dict[str, SplitPlan],
    settings: LogRatioSettings,
) -> str:
    """``settings.sign``, or with ``auto`` the sign of best AUPRC on the pooled
    validation regions (of the training events only, with leave-one-event-out)."""
    if settings.sign != "auto":
        return settings.sign
    best, best_auprc = SIGNS[0], -1.0
    for sign in SIGNS:
        ys, ps = [], []
        for name, plan in plans.items():
            score = ratio[name][sign]
            mask = plan.region_mask("val", score.shape)
            if mask.any():
                ys.append(labels[name][mask])
                ps.append(score[mask])
        if not ys:
            return "abs"
        auprc = compute_auprc(*select_valid(np.concatenate(ys), np.concatenate(ps)))
        if auprc > best_auprc:
            best, best_auprc = sign, auprc
    logger.info("log-ratio sign chosen on validation regions: %s", best)
    return best


def cut_windows(score: np.ndarray, chips: ChipArrays) -> np.ndarray:
    """The score under each chip's footprint, ``(n, H, W)``."""
    size = chips.size_px
    return np.stack([score[r : r + size, c : c + size] for r, c in chips.origins_px.tolist()])


def _valid(
    labels: np.ndarray, p: np.ndarray, ratio: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = np.asarray(labels).reshape(-1) > 0
    p = np.asarray(p, dtype=np.float32).reshape(-1)
    r = np.asarray(ratio, dtype=np.float32).reshape(-1)
    keep = np.isfinite(p) & np.isfinite(r)
    return y[keep], p[keep], r[keep]


def summarise_scores(
    scores: dict[str, EventScores], threshold: float, held_out: str | None
) -> dict[str, dict[str, Any]]:
    """One row per event and a pooled row: model metrics, positive rate, log ratio."""
    rows: dict[str, dict[str, Any]] = {}
    for name, entry in scores.items():
        if entry.chips is None and entry.region is None:
            continue
        role = "held out" if name == held_out else ("trained on" if held_out else "split")
        rows[name] = {"role": role, **_score_row(entry, threshold)}
    pooled = EventScores(
        chips=_concat([e.chips for e in scores.values()]),
        region=_concat([e.region for e in scores.values()]),
    )
    rows[POOLED] = {"role": "all events", **_score_row(pooled, threshold)}
    return rows


def _concat(
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray] | None],
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    present = [p for p in parts if p is not None]
    if not present:
        return None
    return (
        np.concatenate([p[0] for p in present]),
        np.concatenate([p[1] for p in present]),
        np.concatenate([p[2] for p in present]),
    )


def _score_row(entry: EventScores, threshold: float) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for where, values in (("chips", entry.chips), ("region", entry.region)):
        if values is None:
            row[where] = None
            continue
        y, p, ratio = values
        metrics: SplitMetrics = compute_split_metrics(y, p, threshold=threshold)
        row[where] = {
            **metrics.to_dict(),
            "log_ratio_auprc": compute_auprc(y, ratio),
            "log_ratio_auroc": compute_auroc(y, ratio),
        }
    return row


def format_event_markdown(result: EventEvaluation) -> str:
    """The per-event table: AUPRC of the model, positive rate, log ratio; chips and region."""
    lines = [
        f"# {result.split} split ({result.split_method}), per event and pooled",
        "",
        f"Checkpoint `{result.checkpoint}`; threshold {result.threshold:.4f} (validation); "
        f"log-ratio sign `{result.log_ratio_sign}` (validation regions).",
        "",
        f"Ran on {describe_engine(result.engine)}."
        + (_tiling_sentence(result.region_tiling) if result.region_tiling else ""),
        "",
        "| event | role | where | pixels | positive rate | AUPRC | log-ratio AUPRC | AUROC | F1 |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, row in result.rows.items():
        for where in ("chips", "region"):
            m = row.get(where)
            if not m:
                continue
            lines.append(
                f"| {name} | {row['role']} | {where} | {m['n_pixels']} | "
                f"{m['baseline_auprc']:.3f} | {m['auprc']:.3f} | {m['log_ratio_auprc']:.3f} | "
                f"{m['auroc']:.3f} | {m['f1']:.3f} |"
            )
    return "\n".join(lines) + "\n"


def _tiling_sentence(tiling: dict[str, Any]) -> str:
    per_event = ", ".join(f"{name} {n}" for name, n in tiling["tiles"].items())
    return (
        f" Whole regions in tiles of {tiling['tile_size_px']} px, overlap "
        f"{tiling['overlap_px']} px ({per_event} tiles)."
    )


def write_event_report(result: EventEvaluation, out: Path) -> dict[str, str]:
    """``metrics.json`` and ``summary.md`` in ``out``; their paths go first in
    ``result.paths`` (files written before them, such as ``config.yaml``, are kept)."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "metrics_json": str(out / "metrics.json"),
        "summary_md": str(out / "summary.md"),
        **result.paths,
    }
    result.paths = paths
    write_text_atomic(out / "metrics.json", json.dumps(result.to_dict(), indent=2, default=float))
    write_text_atomic(out / "summary.md", format_event_markdown(result))
    return paths
