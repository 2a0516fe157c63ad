"""Collect run results into the ablation table (CSV and markdown).

One row per cell (input set x k) with mean, sample standard deviation and n of test
AUPRC over seeds and the mean of the runs' 95 % block bootstrap intervals, on the
positive test chips (the paper's measure) and on the whole test region; one row for the
positive-rate baseline (the AUPRC of a random score); one row per k for the log-ratio
baseline. The output depends only on the stored results, in a fixed order with fixed
formatting: an interrupted and resumed grid writes the same bytes as an uninterrupted
one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from sarslide.experiments.grid import input_set_rank
from sarslide.experiments.records import INTERVAL_KEYS, METRIC_KEYS, LogRatioResult, RunRecord

TABLE_METRICS: Final[tuple[str, ...]] = ("auprc_chips", "auprc_region")
METHOD_LEARNED: Final = "learned"
METHOD_POSITIVE_RATE: Final = "positive-rate"
METHOD_LOG_RATIO: Final = "log-ratio"
RUN_COLUMNS: Final[tuple[str, ...]] = (*METRIC_KEYS, *INTERVAL_KEYS)  # runs.csv


@dataclass(frozen=True)
class CellStats:
    """Mean, sample standard deviation (NaN when n < 2) and count of one metric, and
    the mean over runs of its 95 % spatial block bootstrap interval (NaN: none)."""

    mean: float
    std: float
    n: int
    low: float = math.nan
    high: float = math.nan


@dataclass(frozen=True)
class TableRow:
    """One row of the ablation table."""

    method: str
    input_set: str
    timesteps_k: int | None
    stats: dict[str, CellStats]
    label: str = ""

    @property
    def n(self) -> int:
        return max((s.n for s in self.stats.values()), default=0)


def compute_stats(
    values: Iterable[float], lows: Iterable[float] = (), highs: Iterable[float] = ()
) -> CellStats:
    """Mean, sample std (ddof=1) and n of finite values; the mean interval bounds."""
    finite = [float(v) for v in values if math.isfinite(v)]
    n = len(finite)
    if n == 0:
        return CellStats(math.nan, math.nan, 0)
    mean = math.fsum(finite) / n
    std = math.sqrt(math.fsum((v - mean) ** 2 for v in finite) / (n - 1)) if n > 1 else math.nan
    return CellStats(mean, std, n, _finite_mean(lows), _finite_mean(highs))


def _finite_mean(values: Iterable[float]) -> float:
    finite = [float(v) for v in values if math.isfinite(v)]
    return math.fsum(finite) / len(finite) if finite else math.nan


def metric_stats(metrics: Sequence[dict[str, float]], name: str) -> CellStats:
    """``compute_stats`` of metric ``name`` over runs, with its ``_low``/``_high`` bounds."""
    return compute_stats(
        (m.get(name, math.nan) for m in metrics),
        (m.get(f"{name}_low", math.nan) for m in metrics),
        (m.get(f"{name}_high", math.nan) for m in metrics),
    )


def build_results_table(
    records: Sequence[RunRecord], log_ratio: Sequence[LogRatioResult] = ()
) -> list[TableRow]:
    """The table's rows: learned cells, then the positive-rate and log-ratio baselines."""
    cells: dict[tuple[str, int | None], list[RunRecord]] = {}
    for record in records:
        cells.setdefault((record.input_set, record.timesteps_k), []).append(record)
    rows = [
        TableRow(
            METHOD_LEARNED,
            input_set,
            k,
            {m: metric_stats([r.output.metrics for r in group], m) for m in TABLE_METRICS},
        )
        for (input_set, k), group in sorted(cells.items(), key=lambda kv: _cell_key(*kv[0]))
    ]
    if records:
        rows.append(
            TableRow(
                METHOD_POSITIVE_RATE,
                "",
                None,
                {
                    m: compute_stats(
                        r.output.metrics.get(f"baseline_{m}", math.nan) for r in records
                    )
                    for m in TABLE_METRICS
                },
                label="positive rate (random score)",
            )
        )
    for result in sorted(log_ratio, key=lambda r: r.timesteps_k):
        rows.append(
            TableRow(
                METHOD_LOG_RATIO,
                result.polarisations,
                result.timesteps_k,
                {m: metric_stats([result.metrics], m) for m in TABLE_METRICS},
                label=result.label,
            )
        )
    return rows


def format_table_csv(rows: Sequence[TableRow]) -> str:
    """CSV text with one column per statistic; empty cells where undefined."""
    header = ["method", "input_set", "k", "n"]
    for metric in TABLE_METRICS:
        header += [f"{metric}_mean", f"{metric}_std", f"{metric}_ci_low", f"{metric}_ci_high"]
    header.append("label")  # e.g. the log-ratio's chosen sign and slope mask
    lines = [",".join(header)]
    for row in rows:
        fields = [row.method, _csv_text(row.input_set), _format_k(row.timesteps_k), str(row.n)]
        for metric in TABLE_METRICS:
            stats = row.stats[metric]
            fields += [_format_float(v) for v in (stats.mean, stats.std, stats.low, stats.high)]
        fields.append(_csv_text(row.label))
        lines.append(",".join(fields))
    return "\n".join(lines) + "\n"


def format_table_markdown(rows: Sequence[TableRow], *, title: str = "Ablation") -> str:
    """A markdown table: 'mean ± std' per cell, n in its own column."""
    lines = [
        f"## {title}: test AUPRC",
        "",
        "| method | input set | k | n | AUPRC positive test chips | AUPRC whole test region |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        cells = [_format_cell(row.stats[m]) for m in TABLE_METRICS]
        name = row.label or row.input_set
        lines.append(
            f"| {row.method} | {name} | {_format_k(row.timesteps_k)} | {row.n} | "
            f"{cells[0]} | {cells[1]} |"
        )
    lines += [
        "",
        "k: acquisitions averaged on each side of the event ('any': the input does not use "
        "SAR). ± is the sample standard deviation over seeds (training and split noise); "
        "[low, high] the 95 % spatial block bootstrap interval of the test area (which "
        "chips or tiles were scored), averaged over seeds: a difference smaller than "
        "either is not a finding.",
    ]
    return "\n".join(lines) + "\n"


def format_runs_csv(records: Sequence[RunRecord]) -> str:
    """Every run's metrics, one line per run, in grid order (no timings)."""
    header = ["run_id", "input_set", "k", "seed", "split", "channels", *RUN_COLUMNS]
    lines = [",".join(header)]
    for r in sorted(records, key=lambda r: (*_cell_key(r.input_set, r.timesteps_k), r.seed)):
        fields = [
            r.run_id,
            _csv_text(r.input_set),
            _format_k(r.timesteps_k),
            str(r.seed),
            r.output.split,
            " ".join(r.output.channel_names),
        ]
        fields += [_format_float(r.output.metrics.get(m, math.nan)) for m in RUN_COLUMNS]
        lines.append(",".join(fields))
    return "\n".join(lines) + "\n"


def _cell_key(input_set: str, k: int | None) -> tuple[int, str, int]:
    return (input_set_rank(input_set), input_set, -1 if k is None else k)


def _format_k(k: int | None) -> str:
    return "any" if k is None else str(k)


def _format_float(value: float) -> str:
    return "" if not math.isfinite(value) else f"{value:.4f}"


def _format_cell(stats: CellStats) -> str:
    if stats.n == 0:
        return "-"
    text = f"{stats.mean:.3f}" if stats.n < 2 else f"{stats.mean:.3f} ± {stats.std:.3f}"
    if math.isfinite(stats.low) and math.isfinite(stats.high):
        text += f" [{stats.low:.3f}, {stats.high:.3f}]"
    return text


def _csv_text(text: str) -> str:
    return f'"{text}"' if ("," in text or '"' in text) else text
