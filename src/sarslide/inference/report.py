"""A short self-contained ``report.html``: PNGs embedded as base64, metrics, the run's config."""

from __future__ import annotations

import base64
import html
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sarslide.atomic import write_text_atomic

REGION_COLUMNS = ("n_pixels", "positive_rate", "auprc", "auroc", "precision", "recall", "f1", "iou")


def write_report_html(
    path: str | os.PathLike[str],
    *,
    title: str,
    figures: Sequence[tuple[str, str | os.PathLike[str]]],
    metrics: Mapping[str, Any] | None,
    config: Mapping[str, Any],
    outputs: Mapping[str, str],
    notes: Sequence[str] = (),
    metric_regions: Mapping[str, Mapping[str, Any]] | None = None,
    warning: str | None = None,
) -> Path:
    """Write one HTML page that needs no other file (images inlined), atomically.

    Args:
        path: the ``report.html`` to write.
        title: page title.
        figures: (caption, PNG path) pairs, embedded in order.
        metrics: name -> value (None: the scene had no labels).
        config: the run's configuration, shown as JSON.
        outputs: file name -> what it holds.
        notes: extra sentences shown under the title.
        metric_regions: region name -> metrics (with a ``description``), shown first
            (held-out test region apart from the pixels the model was trained on).
        warning: shown in red under the title (e.g. the cube is simulated).
    """
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;color:#222}"
        "table{border-collapse:collapse}"
        "td,th{border:1px solid #bbb;padding:.2em .6em;text-align:left}"
        "img{max-width:100%;border:1px solid #ddd}pre{background:#f6f6f6;padding:1em;overflow:auto}"
        "</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        *(
            [f"<p style='color:#b00000;font-weight:bold'>{html.escape(warning)}</p>"]
            if warning
            else []
        ),
        *(f"<p>{html.escape(note)}</p>" for note in notes),
    ]
    for caption, png in figures:
        data = base64.b64encode(Path(png).read_bytes()).decode("ascii")
        parts.append(
            f"<figure><img alt='{html.escape(caption)}' src='data:image/png;base64,{data}'>"
            f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        )
    if metric_regions:
        parts.append("<h2>Metrics by region of the model's training split</h2><table>")
        parts.append("<tr><th>region</th>" + "".join(f"<th>{c}</th>" for c in REGION_COLUMNS))
        parts.append("<th>what it is</th></tr>")
        for name, block in metric_regions.items():
            cells = "".join(
                f"<td>{html.escape(_format_with_interval(block, c))}</td>" for c in REGION_COLUMNS
            )
            about = html.escape(str(block.get("description", "")))
            parts.append(f"<tr><th>{html.escape(name)}</th>{cells}<td>{about}</td></tr>")
        parts.append("</table>")
        parts.append(f"<p>{html.escape(_describe_intervals(metric_regions))}</p>")
    parts.append("<h2>Metrics on the whole scene</h2>")
    if metrics:
        rows = "".join(
            f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(_format(v))}</td></tr>"
            for k, v in metrics.items()
        )
        parts.append(f"<table>{rows}</table>")
    else:
        parts.append("<p>The cube has no landslide labels: no metrics.</p>")
    parts.append("<h2>Outputs</h2><table>")
    parts += [
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in outputs.items()
    ]
    parts.append("</table><h2>Configuration of the run</h2>")
    parts.append(
        f"<pre>{html.escape(json.dumps(config, indent=2, default=str))}</pre></body></html>"
    )
    return write_text_atomic(path, "\n".join(parts))


def _format_with_interval(block: Mapping[str, Any], key: str) -> str:
    """The value, then ``[low, high]`` when the block has a bootstrap interval for it."""
    text = _format(block.get(key))
    bounds = (block.get("intervals") or {}).get(key)
    if isinstance(bounds, list | tuple) and len(bounds) == 2 and None not in bounds:
        text += f" [{bounds[0]:.3f}, {bounds[1]:.3f}]"
    return text


def _describe_intervals(regions: Mapping[str, Mapping[str, Any]]) -> str:
    found = [b["intervals"] for b in regions.values() if b.get("intervals")]
    if not found:
        return ""
    first = found[0]
    return (
        f"[low, high]: {first['confidence']:.0%} spatial block bootstrap interval "
        f"({first['n_resamples']} resamples of the region's tiles of {first['tile_px']} px): "
        "the sampling of the mapped area, not the variance over training seeds."
    )


def _format(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {_format(v)}" for k, v in value.items())
    return str(value)
