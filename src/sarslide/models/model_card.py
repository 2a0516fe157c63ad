"""The model card of an exported model: what it needs, how it was trained, how it scored.

One JSON document (``card_format`` ``sarslide-model-card/1``) that a program loads and
that :func:`render_model_card` turns into Markdown for a person. It is embedded in the
ONNX file (``metadata_props``, key ``sarslide_model_card``) and written beside it
(``model.json``, ``model.md``). Its ``checkpoint`` section is the checkpoint's own
model record (name, classes, options, metadata), so :func:`bundle_from_card` gives
the same :class:`~sarslide.models.checkpoints.ModelBundle` the checkpoint gives.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
from pyproj import CRS

from sarslide import __version__
from sarslide import conventions as cv
from sarslide.crs_text import format_crs
from sarslide.datacube import open_cube
from sarslide.errors import CheckpointError, SarslideError
from sarslide.models.checkpoints import METADATA_KEY, ModelBundle, bundle_from_hparams
from sarslide.models.training_cube import (
    SIMULATED_KEY,
    record_simulated,
    resolve_training_cube,
)

logger = logging.getLogger(__name__)

CARD_FORMAT = "sarslide-model-card/1"
_HPARAM_KEYS = ("model_name", "num_classes", "model_kwargs")
# Keys a checkpoint may carry about its training grid (filled where the run recorded them).
_GRID_KEYS = ("training_resolution", "training_grid", "resolution_m", "pixel_size_m", "crs")


def build_model_card(
    hparams: dict[str, Any],
    *,
    source: str,
    model_spec: dict[str, Any],
    evaluation: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The card of a checkpoint's ``hyper_parameters`` (see the module docstring).

    Args:
        hparams: the checkpoint's ``hyper_parameters``.
        source: the checkpoint path (recorded; resolves the training cube).
        model_spec: the exported graph's input/output description.
        evaluation: an evaluation's ``metrics.json`` (``sarslide evaluate``), if any.
    """
    bundle = bundle_from_hparams(hparams, source=source)
    data_config, normalisation = bundle.chip_inputs()
    extra = bundle.extra
    record = {key: hparams.get(key) for key in _HPARAM_KEYS}
    grid = _training_grid(bundle, data_config.cube, data_config.events)
    simulated = _training_simulated(bundle, data_config.cube, data_config.events, grid)
    record[METADATA_KEY] = hparams.get(METADATA_KEY) or {}
    return {
        "card_format": CARD_FORMAT,
        "sarslide_version": __version__,
        "trained_with_sarslide": extra.get("sarslide_version"),
        "exported_from": source,
        "exported_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "model": {
            "name": bundle.model_name,
            "num_classes": bundle.num_classes,
            "options": bundle.model_kwargs,
            **model_spec,
        },
        "channels": list(bundle.channel_names),
        "normalisation": normalisation.to_dict(),
        "composite": {
            "timesteps_k": data_config.timesteps_k,
            "reducer": data_config.reducer,
            "orbit": data_config.orbit,
            "log_floor": data_config.log_floor,
            "channels": data_config.channels,
        },
        "training_grid": grid,
        "threshold": {
            "value": bundle.threshold,
            "metric": extra.get("threshold_metric"),
            "validation_score": extra.get("threshold_val_score"),
            "source": extra.get("threshold_source"),
            "chosen_on": extra.get("threshold_chosen_on"),
        },
        "training_data": {
            **_training_data(bundle, data_config.cube, data_config.events),
            **simulated,
        },
        "metrics": _metrics(bundle, evaluation),
        "checkpoint": record,
    }


def bundle_from_card(card: dict[str, Any], *, source: str) -> ModelBundle:
    """The :class:`ModelBundle` a card was exported from.

    Raises:
        CheckpointError: not a sarslide model card.
    """
    if card.get("card_format") != CARD_FORMAT or "checkpoint" not in card:
        raise CheckpointError(
            f"{source!r} has no sarslide model card (card_format {card.get('card_format')!r}); "
            "export it with 'sarslide export CHECKPOINT -o model.onnx'."
        )
    bundle = bundle_from_hparams(dict(card["checkpoint"]), source=source)
    _check_card_agrees(card, bundle, source)
    return bundle


def _check_card_agrees(card: dict[str, Any], bundle: ModelBundle, source: str) -> None:
    """Refuse a card whose readable sections (channels, normalisation, composite k)
    say otherwise than its ``checkpoint`` record, which is what runs: a card edited by
    hand would describe one model and run another."""
    stats = bundle.normalisation.to_dict() if bundle.normalisation is not None else {}
    runs = {
        "channels": list(bundle.channel_names),
        "normalisation.mean": stats.get("mean"),
        "normalisation.std": stats.get("std"),
        "composite.timesteps_k": getattr(bundle.data_config, "timesteps_k", None),
    }
    shown = {
        "channels": card.get("channels"),
        "normalisation.mean": (card.get("normalisation") or {}).get("mean"),
        "normalisation.std": (card.get("normalisation") or {}).get("std"),
        "composite.timesteps_k": (card.get("composite") or {}).get("timesteps_k"),
    }
    for key, value in shown.items():
        if value is not None and value != runs[key]:
            raise CheckpointError(
                f"The model card of {source!r} contradicts itself: {key} is {value!r} but "
                f"its checkpoint record (what runs) has {runs[key]!r}; the card was edited. "
                "Export the checkpoint again with 'sarslide export CHECKPOINT -o model.onnx'."
            )


def parse_model_card(text: str, *, source: str) -> dict[str, Any]:
    """A card from its JSON text.

    Raises:
        CheckpointError: not JSON, or not a sarslide model card.
    """
    try:
        card = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"The model card of {source!r} is not JSON ({exc}).") from exc
    if not isinstance(card, dict):
        raise CheckpointError(f"The model card of {source!r} is not a JSON object.")
    bundle_from_card(card, source=source)  # checks it
    return card


def _training_grid(bundle: ModelBundle, cube: str | None, events: list[Any]) -> dict[str, Any]:
    """Pixel size and CRS kind of the training data: the checkpoint's record, else the cube's."""
    recorded = {k: bundle.extra[k] for k in _GRID_KEYS if k in bundle.extra}
    if recorded:
        return {"source": "checkpoint", **recorded}
    if events or not cube:
        return {"source": "unknown (trained on several events; the checkpoint has no record)"}
    try:
        ds = open_cube(resolve_training_cube(bundle.source, cube, bundle.extra), validate=False)
    except SarslideError as exc:
        return {"source": f"unknown (the training cube is not readable here: {exc})"}
    return {"source": "training cube", **describe_grid(ds)}


def _training_simulated(
    bundle: ModelBundle, cube: str | None, events: list[Any], grid: dict[str, Any]
) -> dict[str, Any]:
    """``simulated`` (and ``simulated_by_event``): the checkpoint's record (``sarslide
    train`` writes one), else the cube attributes when the cube(s) can be read here,
    else "unknown" with the reason. Pops the flag :func:`_training_grid` read."""
    read = grid.pop("simulated", None)
    record = bundle.extra.get(SIMULATED_KEY)
    if record is None:
        record = read if read is not None else _read_simulated(bundle, cube, events)
    if isinstance(record, dict):
        return {"simulated": record.get("summary"), "simulated_by_event": record.get("events")}
    return {"simulated": record}


def _read_simulated(bundle: ModelBundle, cube: str | None, events: list[Any]) -> Any:
    """An old checkpoint's (no record) training cube(s) read here, as ``record_simulated``."""
    if not events and not cube:
        return "unknown (the checkpoint names no training cube)"
    try:
        if not events:
            path = resolve_training_cube(bundle.source, str(cube), bundle.extra)
            return cv.is_simulated(open_cube(path, validate=False).attrs)
        flags = {e.name: cv.is_simulated(open_cube(e.cube, validate=False).attrs) for e in events}
    except SarslideError as exc:
        return f"unknown (the training cube is not readable here: {exc})"
    return record_simulated(flags)[SIMULATED_KEY]


def describe_grid(ds: Any) -> dict[str, Any]:
    """``pixel_size_m`` (x, y), ``crs`` and ``crs_kind`` (projected/geographic) of a cube."""
    ref = ds.coords.get(cv.COORD_SPATIAL_REF)
    wkt = ref.attrs.get("crs_wkt") if ref is not None else None
    crs = CRS.from_wkt(wkt) if wkt else None
    x = np.asarray(ds[cv.DIM_X].values[:2], dtype=np.float64)
    y = np.asarray(ds[cv.DIM_Y].values[:2], dtype=np.float64)
    size = [abs(float(x[1] - x[0])) if x.size > 1 else None]
    size.append(abs(float(y[1] - y[0])) if y.size > 1 else None)
    return {
        "pixel_size": size,
        "pixel_size_units": "m" if crs is not None and crs.is_projected else "CRS units",
        "crs": format_crs(crs),
        "crs_kind": "unknown"
        if crs is None
        else "geographic"
        if crs.is_geographic
        else "projected",
        "simulated": cv.is_simulated(ds.attrs),
    }


def _training_data(bundle: ModelBundle, cube: str | None, events: list[Any]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "cube": bundle.extra.get("cube_path") or cube,
        "events": [getattr(e, "name", str(e)) for e in events],
        "split_method": bundle.split_method,
        "chips": bundle.extra.get("chips"),
    }
    return {k: v for k, v in data.items() if v not in (None, [], {})}


def _metrics(bundle: ModelBundle, evaluation: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Every number with the split (and what) it was measured on."""
    metrics = []
    score = bundle.extra.get("threshold_val_score")
    if score is not None:
        metrics.append(
            {
                "split": bundle.extra.get("threshold_chosen_on", "val"),
                "evaluated_on": "chips",
                "split_method": bundle.split_method,
                "metric": f"{bundle.extra.get('threshold_metric', 'f1')} at the threshold",
                "value": float(score),
            }
        )
    for block in ("chips", "region"):
        found = (evaluation or {}).get(block)
        if isinstance(found, dict):
            values = {k: v for k, v in found.items() if isinstance(v, int | float)}
            metrics.append(
                {
                    "split": found.get("split", evaluation.get("split") if evaluation else None),
                    "evaluated_on": found.get("evaluated_on", block),
                    "split_method": found.get("split_method", bundle.split_method),
                    "values": values,
                }
            )
    return metrics


def render_model_card(card: dict[str, Any]) -> str:
    """The card as Markdown for a person (the JSON stays the program's copy)."""
    model, threshold = card["model"], card["threshold"]
    lines = [
        f"# Model card: {model['name']}",
        "",
        f"Exported by sarslide {card['sarslide_version']} on {card['exported_at']} from "
        f"`{card['exported_from']}` (trained with sarslide {card.get('trained_with_sarslide')}).",
        "",
        "## Inputs",
        "",
        f"- graph: input `{model.get('input')}`, output `{model.get('output')}`",
        f"- size multiple: {model.get('size_multiple_px')} px (height and width)",
        "",
        "| # | channel | mean | std |",
        "|---|---|---|---|",
    ]
    norm = card["normalisation"]
    for i, name in enumerate(card["channels"]):
        lines.append(f"| {i} | {name} | {norm['mean'][i]:.6g} | {norm['std'][i]:.6g} |")
    comp, grid = card["composite"], card["training_grid"]
    lines += [
        "",
        "Standardised as (composite - mean) / std with the training split's statistics, "
        "NaN -> 0; a composite is the reducer over k acquisitions of "
        "log10(max(linear backscatter, log floor)).",
        "",
        f"- composites: k = {comp['timesteps_k']} acquisitions per side, reducer "
        f"{comp['reducer']}, orbit {comp['orbit'] or 'any'}, log floor {comp['log_floor']}",
        "- training grid: "
        + ", ".join(f"{k} {v}" for k, v in grid.items() if k != "source")
        + f" (from the {grid['source']})",
        "",
        "## Threshold",
        "",
        _describe_threshold(threshold),
        "",
        "## Training data",
        "",
    ]
    data = card["training_data"]
    lines += [f"- {k}: {v}" for k, v in data.items() if not k.startswith("simulated")]
    if "simulated" in data:
        lines.append(f"- simulated: {_describe_simulated(data)}")
    lines += ["", "## Metrics", "", "| split | on | split method | metric | value |"]
    lines.append("|---|---|---|---|---|")
    for m in card["metrics"]:
        values = m.get("values") or {m.get("metric"): m.get("value")}
        for name, value in values.items():
            shown = f"{value:.4f}" if isinstance(value, float) else str(value)
            row = [m.get("split"), m.get("evaluated_on"), m.get("split_method"), name, shown]
            lines.append("| " + " | ".join(str(v) for v in row) + " |")
    return "\n".join(lines + _render_precision_check(card.get("precision_check"))) + "\n"


def _render_precision_check(check: dict[str, Any] | None) -> list[str]:
    """The reduced precisions against fp32 on held-out chips (``export --check-precision``,
    or the bf16 check ``sarslide train`` recorded in the checkpoint)."""
    head = ["", "## Reduced precision", ""]
    if not check:
        return [*head, "Not checked: `--precision auto` runs fp32."]
    if "not_run" in check:
        return [
            *head,
            f"Not checked at training end ({check['not_run']}): `--precision auto` runs fp32.",
        ]
    when = " at training end" if check.get("checked_at") == "training end" else ""
    lines = [
        *head,
        f"Scored{when} on the {check['chips']} {check['split']} chips ({check['pixels']} "
        f"pixels); fp32 AUPRC {check['fp32_auprc']:.4f}. A precision passes when the AUPRC "
        f"moves by less than {check['tolerance_auprc']}; `--precision auto` on the CPU runs "
        "this model's int8 graph, or its checkpoint in bf16 (torch, on CPUs with "
        "AVX512_BF16 or AMX), only then.",
        "",
        "| precision | AUPRC | change | max abs probability change | passed |",
        "|---|---|---|---|---|",
    ]
    for name, result in check["results"].items():
        lines.append(
            f"| {name} | {result['auprc']:.4f} | {result['auprc_change']:+.5f} | "
            f"{result['max_abs_probability_difference']:.3g} | {result['passed']} |"
        )
    return lines


def _describe_simulated(data: dict[str, Any]) -> str:
    """The card's ``simulated`` entry for a person: yes / no, per event, or unknown why."""
    simulated, by_event = data["simulated"], data.get("simulated_by_event") or {}
    words = {True: "yes", False: "no"}
    events = ", ".join(f"{name} {words.get(flag, flag)}" for name, flag in by_event.items())
    if simulated is True or simulated == "all":
        shown = "**yes**: trained on simulated data (`sarslide cube simulate`), not real scenes"
    elif simulated is False or simulated == "none":
        shown = "no (no training cube is marked simulated)"
    elif simulated == "some":
        shown = "**some events**: part of the training data is simulated (`sarslide cube simulate`)"
    else:
        shown = str(simulated)
    return f"{shown} ({events})" if events else shown


def _describe_threshold(threshold: dict[str, Any]) -> str:
    if threshold.get("chosen_on") is None:
        return (
            f"{threshold['value']:.4f}: no choice on validation is recorded in the checkpoint "
            "(a run stopped before its threshold step keeps the default)"
        )
    return (
        f"{threshold['value']:.4f}, maximising {threshold.get('metric')} on "
        f"{threshold.get('chosen_on')} ({threshold.get('source')}; score "
        f"{threshold.get('validation_score')})"
    )


def read_evaluation_metrics(path: Path) -> dict[str, Any]:
    """An evaluation's ``metrics.json``.

    Raises:
        CheckpointError: missing or not JSON.
    """
    try:
        data = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise CheckpointError(
            f"Cannot read evaluation metrics {str(path)!r} ({exc}); give the metrics.json "
            "written by 'sarslide evaluate'."
        ) from exc
    if not isinstance(data, dict):
        raise CheckpointError(f"Evaluation metrics {str(path)!r} is not a JSON object.")
    return data
