"""Metrics that are not numbers: null in JSON, with the reason beside them.

AUPRC without a single landslide pixel, precision without a pixel above the threshold:
such metrics are NaN, which JSON cannot hold (``NaN`` makes ``metrics.json``
unreadable by strict parsers). ``mark_undefined`` writes them as null and adds an
``undefined`` field to the same block: metric name -> why it has no value.
"""

from __future__ import annotations

import math
from typing import Any

NO_POSITIVES = "the labels hold no landslide pixel"
NO_NEGATIVES = "the labels hold no pixel without landslide"
NO_PREDICTED = "no pixel is above the threshold"
NO_PIXELS = "no valid (non-nodata) pixel was evaluated"


def explain_metric(name: str, block: dict[str, Any]) -> str:
    """Why metric ``name`` of ``block`` (with its ``confusion`` counts if any) is NaN."""
    found = block.get("confusion")
    confusion: dict[str, Any] = found if isinstance(found, dict) else {}
    tp, fp, fn, tn = (int(confusion.get(k, 0)) for k in ("tp", "fp", "fn", "tn"))
    if block.get("n_pixels") == 0 or (confusion and tp + fp + fn + tn == 0):
        return NO_PIXELS
    if confusion:
        if name in {"auprc", "recall"} and tp + fn == 0:
            return NO_POSITIVES
        if name == "auroc":
            return NO_POSITIVES if tp + fn == 0 else NO_NEGATIVES
        if name == "precision" and tp + fp == 0:
            return NO_PREDICTED
        if name in {"f1", "iou"} and tp + fp + fn == 0:
            return f"{NO_POSITIVES} and {NO_PREDICTED}"
    return "not a number for this data"


def mark_undefined(values: Any) -> Any:
    """A copy of ``values`` with NaN/infinite floats as None and an ``undefined`` reason map.

    Nested dicts (metric blocks) get their own ``undefined`` field.
    """
    if isinstance(values, list | tuple):
        return [mark_undefined(v) for v in values]
    if not isinstance(values, dict):
        return values
    out: dict[str, Any] = {}
    reasons: dict[str, str] = {}
    for key, value in values.items():
        number = (
            value.item() if hasattr(value, "item") and getattr(value, "ndim", 1) == 0 else value
        )
        if isinstance(number, float) and not math.isfinite(number):
            out[key] = None
            reasons[str(key)] = explain_metric(str(key), values)
        else:
            out[key] = mark_undefined(value)
    if reasons:
        out["undefined"] = reasons
    return out
