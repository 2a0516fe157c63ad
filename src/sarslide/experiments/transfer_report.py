"""The transfer study's table (CSV, markdown), figure and STAC Collection."""

from __future__ import annotations

import csv
import io
import math
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pystac

from sarslide.atomic import write_text_atomic
from sarslide.datacube import open_cube
from sarslide.experiments.config import OWN, UNSEEN
from sarslide.experiments.records import RunRecord, records_by_run
from sarslide.inference.geotiff import grid_from_cube
from sarslide.inference.stac_collection import Area, write_collection
from sarslide.inference.stac_item import AssetKind, event_window_of, footprint_lonlat
from sarslide.plotting.save import load_pyplot, save_figure

COLUMNS = (
    ("unseen_test_region", "unseen event (trained on the others)", UNSEEN, "auprc_test_region"),
    ("own_test_region", "trained on the event itself (spatial split)", OWN, "auprc_test_region"),
    ("unseen_whole_event", "unseen event, whole scene", UNSEEN, "auprc_whole_event"),
)


def _finite_values(records: Sequence[RunRecord], metric: str) -> list[float]:
    return [
        r.output.metrics[metric]
        for r in records
        if metric in r.output.metrics and math.isfinite(r.output.metrics[metric])
    ]


def _mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else math.nan


def build_transfer_rows(
    records: Sequence[RunRecord], baselines: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """One row per event: mean, std, n over seeds of each method's AUPRC and the mean of
    the runs' 95 % block bootstrap intervals (``_low``, ``_high``); baselines beside."""
    grouped = records_by_run(list(records))
    rows = []
    for event, baseline in baselines.items():
        row: dict[str, Any] = {"event": event}
        for key, _, mode, metric in COLUMNS:
            runs = grouped.get((mode, event), [])
            values = _finite_values(runs, metric)
            row[f"{key}_mean"] = _mean(values)
            row[f"{key}_std"] = statistics.stdev(values) if len(values) > 1 else math.nan
            row[f"{key}_n"] = len(values)
            row[f"{key}_low"] = _mean(_finite_values(runs, f"{metric}_low"))
            row[f"{key}_high"] = _mean(_finite_values(runs, f"{metric}_high"))
        for where in ("test_region", "whole_event"):
            row[f"log_ratio_{where}"] = baseline.get(f"auprc_{where}", math.nan)
            for bound in ("low", "high"):
                found = baseline.get(f"auprc_{where}_{bound}")
                row[f"log_ratio_{where}_{bound}"] = math.nan if found is None else found
            row[f"positive_rate_{where}"] = baseline.get(f"positive_rate_{where}", math.nan)
        row["log_ratio_sign"] = baseline.get("sign", "")
        row["loss_unseen_vs_own"] = row["own_test_region_mean"] - row["unseen_test_region_mean"]
        row["loss_exceeds_noise"] = judge_loss(row)
        rows.append(row)
    return rows


def judge_loss(row: dict[str, Any]) -> str:
    """'yes' when own minus unseen is larger than the noise, 'no' when not, '' unknown.

    Larger than the noise: the two bootstrap intervals (sampling of the test area) do
    not overlap AND, with >= 2 seeds each, the difference exceeds twice its seed
    standard error ``sqrt(std_own**2 / n_own + std_unseen**2 / n_unseen)``.
    """
    loss = row["loss_unseen_vs_own"]
    own, unseen = "own_test_region", "unseen_test_region"
    bounds = [row[f"{k}_{b}"] for k in (own, unseen) for b in ("low", "high")]
    if not math.isfinite(loss) or not all(math.isfinite(b) for b in bounds):
        return ""
    own_low, own_high, unseen_low, unseen_high = bounds
    apart = own_low > unseen_high or unseen_low > own_high
    if row[f"{own}_n"] >= 2 and row[f"{unseen}_n"] >= 2:
        error = math.sqrt(
            row[f"{own}_std"] ** 2 / row[f"{own}_n"]
            + row[f"{unseen}_std"] ** 2 / row[f"{unseen}_n"]
        )
        apart = apart and abs(loss) > 2 * error
    return "yes" if apart else "no"


def format_transfer_csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    if rows:
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {k: (f"{v:.4f}" if isinstance(v, float) else v) for k, v in row.items()}
            )
    return buffer.getvalue()


def _cell(row: dict[str, Any], key: str) -> str:
    mean, std = row[f"{key}_mean"], row[f"{key}_std"]
    if not math.isfinite(mean):
        return ""
    return f"{mean:.3f}" + (f" ± {std:.3f}" if math.isfinite(std) else "") + _bounds(row, key)


def _bounds(row: dict[str, Any], key: str) -> str:
    low, high = row.get(f"{key}_low", math.nan), row.get(f"{key}_high", math.nan)
    return f" [{low:.2f}, {high:.2f}]" if math.isfinite(low) and math.isfinite(high) else ""


def format_transfer_markdown(rows: list[dict[str, Any]], *, title: str) -> str:
    """The table a responder reads: AUPRC on each unseen event vs trained on it."""
    n = max((row["unseen_test_region_n"] for row in rows), default=0)
    lines = [
        f"# {title}",
        "",
        "AUPRC on every pixel of each event's spatial test region (the same pixels for "
        "every column but the last two); mean ± sample std over "
        f"{n} seed(s) (training noise), then [low, high]: the 95 % spatial block bootstrap "
        "interval of the test area (which tiles were scored), averaged over seeds. "
        "SIMULATED events when the cubes say so.",
        "",
        "| event | unseen event (trained on the others) | trained on the event itself "
        "| loss | log-ratio | positive rate | unseen, whole event | positive rate, whole |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        loss = row["loss_unseen_vs_own"]
        lines.append(
            f"| {row['event']} | {_cell(row, 'unseen_test_region')} | "
            f"{_cell(row, 'own_test_region')} | "
            f"{loss:+.3f}{_verdict(row)} | {row['log_ratio_test_region']:.3f}"
            f"{_bounds(row, 'log_ratio_test_region')} | "
            f"{row['positive_rate_test_region']:.3f} | {_cell(row, 'unseen_whole_event')} | "
            f"{row['positive_rate_whole_event']:.3f} |"
            if math.isfinite(loss)
            else f"| {row['event']} | (runs missing) | | | | | | |"
        )
    lines += [
        "",
        "loss = trained on the event itself minus unseen (AUPRC the responder gives up by "
        "using a model that never saw the event); (clear): larger than the noise (the "
        "intervals do not overlap and, with 2 or more seeds, the loss exceeds twice its "
        "seed standard error), (within noise) otherwise. log-ratio: change of the log10 "
        "composites (VV + VH), slope-gated, its sign (log_ratio_sign in transfer.csv) "
        "chosen on the other events' validation regions.",
    ]
    return "\n".join(lines) + "\n"


def _verdict(row: dict[str, Any]) -> str:
    return {"yes": " (clear)", "no": " (within noise)"}.get(row.get("loss_exceeds_noise", ""), "")


def plot_transfer(rows: list[dict[str, Any]], path: Path, *, title: str) -> Path:
    """Grouped bars per event: unseen, own, log ratio (test region); positive rate marked."""
    plt = load_pyplot()
    fig, ax = plt.subplots(figsize=(1.9 * max(len(rows), 2) + 1.5, 3.8))
    width = 0.26
    bars = (
        ("unseen_test_region", "unseen event (trained on the others)", "tab:blue"),
        ("own_test_region", "trained on the event itself", "tab:orange"),
    )
    for offset, (key, label, colour) in enumerate(bars):
        means = [row[f"{key}_mean"] for row in rows]
        stds = [row[f"{key}_std"] if math.isfinite(row[f"{key}_std"]) else 0.0 for row in rows]
        xs = [i + (offset - 1) * width for i in range(len(rows))]
        ax.bar(xs, means, width, yerr=stds, capsize=3, label=label, color=colour)
        _draw_intervals(ax, xs, rows, key)
    ax.bar(
        [i + width for i in range(len(rows))],
        [row["log_ratio_test_region"] for row in rows],
        width,
        label="log-ratio baseline",
        color="0.6",
    )
    _draw_intervals(ax, [i + width for i in range(len(rows))], rows, "log_ratio_test_region")
    for i, row in enumerate(rows):
        ax.hlines(
            row["positive_rate_test_region"],
            i - 1.5 * width,
            i + 1.5 * width,
            colors="k",
            linestyles=":",
            label="positive rate" if i == 0 else "_nolegend_",
        )
    ax.set_xticks(range(len(rows)), [row["event"] for row in rows])
    ax.set_ylabel("AUPRC, event's test region")
    ax.set_ylim(0, 1)
    ax.set_title(
        f"{title}\nbars: std over seeds; grey lines: 95 % block bootstrap interval", fontsize=9
    )
    ax.legend(fontsize=7, loc="upper left", ncol=2)
    return save_figure(fig, path)


def _draw_intervals(ax: Any, xs: list[float], rows: list[dict[str, Any]], key: str) -> None:
    """The bootstrap interval of each bar, a thick dark line beside its seed error bar."""
    for x, row in zip(xs, rows, strict=True):
        low, high = row.get(f"{key}_low", math.nan), row.get(f"{key}_high", math.nan)
        if math.isfinite(low) and math.isfinite(high):
            ax.vlines(x + 0.06, low, high, colors="0.25", lw=2.5, alpha=0.7)


def write_transfer_report(
    output_dir: Path,
    records: Sequence[RunRecord],
    baselines: dict[str, dict[str, Any]],
    *,
    title: str,
) -> dict[str, Path]:
    """``transfer.csv``, ``transfer.md``, ``transfer.png`` in ``output_dir``."""
    rows = build_transfer_rows(records, baselines)
    return {
        "table_csv": write_text_atomic(output_dir / "transfer.csv", format_transfer_csv(rows)),
        "table_md": write_text_atomic(
            output_dir / "transfer.md", format_transfer_markdown(rows, title=title)
        ),
        "figure": plot_transfer(rows, output_dir / "transfer.png", title=title),
    }


# Files of a transfer study described as collection assets.
TRANSFER_ASSETS = {
    "transfer.csv": AssetKind("table", "text/csv", ("data",), "AUPRC per event and method"),
    "transfer.md": AssetKind("table_md", "text/markdown", ("metadata",), "The table, Markdown"),
    "transfer.png": AssetKind("figure", pystac.MediaType.PNG, ("overview",), "The figure"),
    "transfer-config.yaml": AssetKind(
        "config", "application/yaml", ("metadata",), "Resolved study configuration"
    ),
}


def write_transfer_collection(
    output_dir: Path, events: Sequence[dict[str, Any]], *, title: str
) -> Path:
    """``collection.json``: the study as a STAC Collection whose extent is the events'
    areas and windows, its table and figure as assets, linked to each event's cube."""
    areas = []
    for event in events:
        cube = open_cube(event["cube"], validate=False)
        start, end = event.get("event_start"), event.get("event_end")
        window = (pd.Timestamp(start), pd.Timestamp(end)) if start and end else None
        window = window or event_window_of(cube)
        areas.append(Area(footprint_lonlat(grid_from_cube(cube)).bounds, window))
    names = ", ".join(str(event.get("name")) for event in events)
    return write_collection(
        output_dir,
        name=f"transfer-{title}",
        title=f"Transfer study: {title}",
        description=f"Landslide detection on events never seen in training ({names}).",
        areas=areas,
        assets=TRANSFER_ASSETS,
        cubes=[event["cube"] for event in events],
    )
