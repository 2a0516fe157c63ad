"""The results table and the findings text, from synthetic numbers."""

from __future__ import annotations

import math
from pathlib import Path

from sarslide.experiments.ablation_figure import plot_ablation
from sarslide.experiments.findings import compare_cells, derive_findings, format_findings
from sarslide.experiments.records import LogRatioResult, RunOutput, RunRecord
from sarslide.experiments.results import (
    CellStats,
    build_results_table,
    compute_stats,
    format_table_csv,
    format_table_markdown,
)


def record(
    input_set: str, k: int | None, seed: int, auprc: float, *, half_width: float | None = None
) -> RunRecord:
    metrics = {"auprc_chips": auprc, "auprc_region": auprc / 2}
    metrics |= {"baseline_auprc_chips": 0.09, "baseline_auprc_region": 0.03}
    if half_width is not None:  # the run's bootstrap interval of the chips' AUPRC
        metrics |= {"auprc_chips_low": auprc - half_width, "auprc_chips_high": auprc + half_width}
    return RunRecord(
        run_id=f"{input_set}-{k}-{seed}",
        input_set=input_set,
        timesteps_k=k,
        seed=seed,
        train_sha256="x",
        wall_time_s=1.0,
        output=RunOutput(channel_names=[], metrics=metrics),
    )


def table(means: dict[tuple[str, int | None], float], *, spread: float = 0.01) -> list:
    records = [
        record(s, k, seed, mean + spread * offset)
        for (s, k), mean in means.items()
        for seed, offset in enumerate((-1.0, 0.0, 1.0))
    ]
    return build_results_table(records)


PAPER_LIKE = {
    **{("vv", k): 0.40 + 0.08 * k for k in (1, 2, 3, 4)},
    **{("vh", k): 0.25 + 0.05 * k for k in (1, 2, 3, 4)},
    **{("vv+vh", k): 0.45 + 0.07 * k for k in (1, 2, 3, 4)},
    ("sar+dem", 1): 0.60,
    ("sar+dem", 2): 0.67,
    ("sar+dem", 3): 0.66,
    ("sar+dem", 4): 0.73,
    ("dem", None): 0.17,
}
CONTRARY = {
    **{("vv", k): 0.30 for k in (1, 2, 3, 4)},
    **{("vh", k): 0.50 - 0.02 * k for k in (1, 2, 3, 4)},
    **{("vv+vh", k): 0.40 for k in (1, 2, 3, 4)},
    **{("sar+dem", k): 0.40 for k in (1, 2, 3, 4)},
}


def test_findings_hold_on_paper_like_numbers() -> None:
    verdicts = [f.verdict for f in derive_findings(table(PAPER_LIKE))]
    assert verdicts == ["holds", "holds", "holds"]


def test_findings_do_not_hold_on_contrary_numbers() -> None:
    verdicts = [f.verdict for f in derive_findings(table(CONTRARY))]
    assert verdicts == ["does not hold", "does not hold", "does not hold"]


def test_dem_gain_at_all_k_only_partly_holds() -> None:
    numbers = {("vv+vh", k): 0.5 for k in (1, 2, 3, 4)} | {
        ("sar+dem", k): 0.6 for k in (1, 2, 3, 4)
    }
    finding = derive_findings(table(numbers))[2]
    assert finding.verdict == "partly holds"
    assert "DEM gain at 2 of 2 early k, at 2 of 2 later k" in finding.evidence[-1]


def test_noise_larger_than_difference_is_no_clear_gain() -> None:
    numbers = {("vv", 1): 0.50, ("vv", 4): 0.52, ("vh", 1): 0.4, ("vh", 4): 0.41}
    finding = derive_findings(table(numbers, spread=0.05))[0]
    assert finding.verdict == "does not hold"
    assert "no clear difference" in finding.evidence[0]


def test_missing_cells_are_not_testable() -> None:
    verdicts = [f.verdict for f in derive_findings(table({("dem", None): 0.2}))]
    assert verdicts == ["not testable"] * 3


def test_compare_cells_with_single_seed_uses_min_difference() -> None:
    one = CellStats(0.5, math.nan, 1)
    assert compare_cells(CellStats(0.52, math.nan, 1), one).direction == "higher"
    assert compare_cells(CellStats(0.505, math.nan, 1), one).direction == "same"
    assert compare_cells(CellStats(0.52, math.nan, 1), one).standard_error is None


def test_stats_are_sample_std_and_ignore_nan() -> None:
    stats = compute_stats([1.0, 2.0, 3.0, math.nan])
    assert (stats.mean, stats.std, stats.n) == (2.0, 1.0, 3)
    assert math.isnan(compute_stats([1.0]).std)


def test_table_order_format_and_baselines() -> None:
    records = [
        record("vh", 1, 0, 0.3),
        record("dem", None, 0, 0.2),
        record("vv", 1, 1, 0.5, half_width=0.1),
        record("vv", 1, 0, 0.4, half_width=0.2),
    ]
    log_ratio = LogRatioResult(
        timesteps_k=1,
        polarisations="vv+vh",
        sign="abs",
        slope_min_deg=10.0,
        threshold=0.1,
        metrics={"auprc_chips": 0.25, "auprc_region": 0.05},
    )
    rows = build_results_table(records, [log_ratio])
    csv = format_table_csv(rows).splitlines()
    assert csv[0] == (
        "method,input_set,k,n,auprc_chips_mean,auprc_chips_std,auprc_chips_ci_low,"
        "auprc_chips_ci_high,auprc_region_mean,auprc_region_std,auprc_region_ci_low,"
        "auprc_region_ci_high,label"
    )
    # interval: the mean of the runs' bounds ((0.4 + 0.2) / 2, (0.6 + 0.6) / 2)
    assert csv[1] == "learned,vv,1,2,0.4500,0.0707,0.3000,0.6000,0.2250,0.0354,,,"
    assert csv[2] == "learned,vh,1,1,0.3000,,,,0.1500,,,,"
    assert csv[3].startswith("learned,dem,any,1,0.2000")
    assert csv[4] == (
        "positive-rate,,any,4,0.0900,0.0000,,,0.0300,0.0000,,,positive rate (random score)"
    )
    assert csv[5] == (
        'log-ratio,vv+vh,1,1,0.2500,,,,0.0500,,,,"log-ratio vv+vh |log ratio|, slope>10°"'
    )
    markdown = format_table_markdown(rows)
    assert "| learned | vv | 1 | 2 | 0.450 ± 0.071 [0.300, 0.600] | 0.225 ± 0.035 |" in markdown
    assert "bootstrap interval" in markdown
    assert "log-ratio vv+vh |log ratio|, slope>10°" in markdown


def test_findings_text_lists_both_metrics_and_figure_is_drawn(tmp_path: Path) -> None:
    rows = table(PAPER_LIKE)
    text = format_findings(rows)
    assert "positive test chips" in text and "whole test region" in text
    assert text.count("**HOLDS**") == 6
    assert "DEM only (learned, no SAR): 0.170" in text
    path = plot_ablation(rows, tmp_path / "fig.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
