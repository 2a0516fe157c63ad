"""Fig-4-style figure of an ablation: test AUPRC against the number of timesteps.

One panel per metric (positive test chips, whole test region). One line per input
set with error bars (sample std over seeds) over thick pale bars (the 95 % spatial
block bootstrap interval of the test area, averaged over seeds); inputs that do not depend on k (DEM
only) are a flat line with a shaded band; the positive-rate baseline is a dashed
horizontal line and the log-ratio baseline a dashed grey line over k.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from sarslide.experiments.results import (
    METHOD_LEARNED,
    METHOD_LOG_RATIO,
    METHOD_POSITIVE_RATE,
    TableRow,
)
from sarslide.plotting.save import load_pyplot, save_figure

INPUT_SET_COLOURS: Final = {
    "vv": "tab:green",
    "vh": "tab:red",
    "vv+vh": "tab:blue",
    "sar+dem": "tab:orange",
    "dem": "tab:brown",
}
INPUT_SET_LABELS: Final = {
    "vv": "SAR (VV)",
    "vh": "SAR (VH)",
    "vv+vh": "SAR (VV, VH)",
    "sar+dem": "SAR + DEM",
    "dem": "DEM only",
}
PANEL_TITLES: Final = {"auprc_chips": "positive test chips", "auprc_region": "whole test region"}


def plot_ablation(
    rows: Sequence[TableRow],
    path: str | os.PathLike[str],
    *,
    metrics: Sequence[str] = ("auprc_chips", "auprc_region"),
    title: str = "Input ablation",
) -> Path:
    """Draw the ablation table ``rows`` and save it as a PNG at ``path``."""
    plt = load_pyplot()

    ks = sorted({r.timesteps_k for r in rows if r.timesteps_k is not None}) or [1]
    fig, axes = plt.subplots(1, len(metrics), figsize=(5.5 * len(metrics), 4.2), squeeze=False)
    for ax, metric in zip(axes[0], metrics, strict=True):
        _draw_panel(ax, rows, metric, ks)
        ax.set_title(PANEL_TITLES.get(metric, metric))
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(
        handles,
        labels,
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=4,
        fontsize="small",
        frameon=False,
    )  # below the panels: covers no data
    fig.suptitle(
        f"{title}: test AUPRC vs number of SAR timesteps\n"
        "bars: std over seeds; pale bars: 95 % block bootstrap interval (mean over seeds)",
        fontsize="medium",
    )
    fig.subplots_adjust(top=0.82)  # the two-line title above the panel titles
    return save_figure(fig, path)


def _draw_panel(ax: Any, rows: Sequence[TableRow], metric: str, ks: list[int]) -> None:
    learned: dict[str, list[TableRow]] = {}
    for row in rows:
        if row.method == METHOD_LEARNED and row.stats[metric].n > 0:
            learned.setdefault(row.input_set, []).append(row)
    span = (min(ks) - 0.2, max(ks) + 0.2)
    for index, (input_set, group) in enumerate(learned.items()):
        shift = 0.05 * (index - (len(learned) - 1) / 2)  # pale bars side by side
        colour = INPUT_SET_COLOURS.get(input_set)
        label = INPUT_SET_LABELS.get(input_set, input_set)
        per_k = sorted(
            (r for r in group if r.timesteps_k is not None), key=lambda r: r.timesteps_k or 0
        )
        flat = [r for r in group if r.timesteps_k is None]
        for row in per_k:  # the bootstrap interval, behind the seed error bar
            stats = row.stats[metric]
            if math.isfinite(stats.low) and math.isfinite(stats.high):
                x = (row.timesteps_k or 0) + shift
                ax.vlines(x, stats.low, stats.high, colors=colour, lw=5, alpha=0.3)
        if per_k:
            ax.errorbar(
                [r.timesteps_k for r in per_k],
                [r.stats[metric].mean for r in per_k],
                yerr=[_zero_if_nan(r.stats[metric].std) for r in per_k],
                marker="o",
                capsize=3,
                color=colour,
                label=label,
            )
        for row in flat:
            stats = row.stats[metric]
            ax.hlines(stats.mean, *span, colors=colour, label=f"{label} (any k)")
            if math.isfinite(stats.std):
                ax.fill_between(
                    span, stats.mean - stats.std, stats.mean + stats.std, color=colour, alpha=0.15
                )
            if math.isfinite(stats.low) and math.isfinite(stats.high):
                ax.fill_between(span, stats.low, stats.high, color=colour, alpha=0.07)
    for row in rows:
        stats = row.stats[metric]
        if row.method == METHOD_POSITIVE_RATE and stats.n > 0:
            ax.hlines(
                stats.mean,
                *span,
                colors="black",
                linestyles="dotted",
                label="positive rate (random)",
            )
    log_ratio = sorted(
        (r for r in rows if r.method == METHOD_LOG_RATIO and r.stats[metric].n > 0),
        key=lambda r: r.timesteps_k or 0,
    )
    if log_ratio:
        ax.plot(
            [r.timesteps_k for r in log_ratio],
            [r.stats[metric].mean for r in log_ratio],
            linestyle="--",
            marker="s",
            color="grey",
            label=log_ratio[0].label or "log-ratio",
        )
    ax.set_xticks(ks)
    ax.set_xlim(*span)
    ax.set_ylim(0, 1)
    ax.set_xlabel("SAR timesteps averaged on each side (k)")
    ax.set_ylabel("test AUPRC")
    ax.grid(alpha=0.3)


def _zero_if_nan(value: float) -> float:
    return 0.0 if not math.isfinite(value) else value
