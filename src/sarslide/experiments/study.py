"""The whole ablation study: grid -> runs -> baselines -> table, figure, findings.

``run_ablation(cfg)`` is what ``sarslide ablation`` calls. Outputs in
``cfg.output_dir``::

    ablation-config.yaml   the resolved configuration
    runs/<run id>/         one directory per run (result.json marks it finished)
    log_ratio/k<k>.json    the log-ratio baseline per k
    results.csv            the table: mean, std, n of test AUPRC per cell
    results.md             the same table in markdown
    runs.csv               every run's metrics
    ablation.png           Fig-4-style figure
    findings.md            whether the paper's three findings hold, from the numbers
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from sarslide.atomic import write_text_atomic
from sarslide.experiments.ablation_figure import plot_ablation
from sarslide.experiments.config import (
    AblationConfig,
    dump_ablation_config,
    resolve_train_config,
)
from sarslide.experiments.findings import format_findings
from sarslide.experiments.grid import expand_grid
from sarslide.experiments.log_ratio_baseline import score_log_ratio_for_ablation
from sarslide.experiments.records import LogRatioResult, RunRecord, hash_train_config
from sarslide.experiments.results import (
    build_results_table,
    format_runs_csv,
    format_table_csv,
    format_table_markdown,
)
from sarslide.experiments.runner import GridOutcome, RunFunction, run_grid
from sarslide.experiments.train_run import train_and_evaluate

logger = logging.getLogger(__name__)

LogRatioFunction = Callable[[AblationConfig, dict[str, Any], int], LogRatioResult]


@dataclass(frozen=True)
class AblationPaths:
    """Where an ablation study wrote its outputs."""

    output_dir: Path
    config: Path
    table_csv: Path
    table_markdown: Path
    runs_csv: Path
    figure: Path
    findings: Path


@dataclass(frozen=True)
class AblationOutcome:
    """Paths of the outputs and what the grid did (ran, skipped, failed)."""

    paths: AblationPaths
    grid: GridOutcome


def run_ablation(
    cfg: AblationConfig,
    *,
    run_one: RunFunction | None = None,
    log_ratio: LogRatioFunction | None = None,
    train: dict[str, Any] | None = None,
    progress: bool = True,
) -> AblationOutcome:
    """Run (or resume) the grid, score the log-ratio baseline, write the report.

    Args:
        cfg: the ablation configuration.
        run_one: one run; default: train + evaluate (``sarslide.experiments.train_run``).
        log_ratio: the baseline for one k; default: ``score_log_ratio_for_ablation``.
        train: the resolved base training config; default: resolved from ``cfg.train``.
        progress: show progress bars.
    """
    if train is None:
        train = resolve_train_config(cfg.train)
    if run_one is None:
        run_one = train_and_evaluate
    output_dir = Path(cfg.output_dir)
    write_text_atomic(
        output_dir / "ablation-config.yaml",
        dump_ablation_config(cfg.model_copy(update={"train": train})),
    )
    specs = expand_grid(cfg, train=train)
    logger.info("ablation grid: %d runs in %s", len(specs), output_dir)
    outcome = run_grid(
        specs,
        run_one,
        workers=cfg.workers,
        scheduler_address=cfg.scheduler_address,
        devices=_resolve_devices(cfg.devices),
        threads_per_worker=cfg.threads_per_worker,
        progress=progress,
    )
    baselines: list[LogRatioResult] = []
    if cfg.log_ratio.enabled:
        if log_ratio is None:
            log_ratio = score_log_ratio_for_ablation
        baselines = [
            _cached_log_ratio(
                output_dir / "log_ratio" / f"k{k}.json",
                hash_train_config({"train": train, "settings": cfg.log_ratio.model_dump(), "k": k}),
                functools.partial(log_ratio, cfg, train, k),
            )
            for k in cfg.timesteps_k
        ]
    paths = write_ablation_report(output_dir, outcome.records, baselines, title=cfg.name)
    return AblationOutcome(paths=paths, grid=outcome)


def write_ablation_report(
    output_dir: Path,
    records: Sequence[RunRecord],
    log_ratio: Sequence[LogRatioResult] = (),
    *,
    title: str = "Input ablation",
) -> AblationPaths:
    """Write the table (CSV, markdown), per-run CSV, figure and findings."""
    output_dir = Path(output_dir)
    rows = build_results_table(records, log_ratio)
    return AblationPaths(
        output_dir=output_dir,
        config=output_dir / "ablation-config.yaml",
        table_csv=write_text_atomic(output_dir / "results.csv", format_table_csv(rows)),
        table_markdown=write_text_atomic(
            output_dir / "results.md", format_table_markdown(rows, title=title)
        ),
        runs_csv=write_text_atomic(output_dir / "runs.csv", format_runs_csv(records)),
        figure=plot_ablation(rows, output_dir / "ablation.png", title=title),
        findings=write_text_atomic(output_dir / "findings.md", format_findings(rows)),
    )


def _cached_log_ratio(
    path: Path, key: str, compute: Callable[[], LogRatioResult]
) -> LogRatioResult:
    if path.is_file():
        cached = LogRatioResult.model_validate_json(path.read_text())
        if cached.config_sha256 == key:
            return cached
    result = compute().model_copy(update={"config_sha256": key})
    write_text_atomic(path, result.model_dump_json(indent=2))
    return result


def _resolve_devices(devices: list[int] | str | None) -> list[int] | None:
    if devices is None:
        return None
    if devices == "auto":
        count = torch.cuda.device_count()
        return list(range(count)) or None
    return [int(d) for d in devices]
