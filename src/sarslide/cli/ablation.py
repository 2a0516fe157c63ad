"""``sarslide ablation`` and ``sarslide baseline log-ratio``."""

from __future__ import annotations

from pathlib import Path

import typer

from sarslide.cli import options as opt
from sarslide.cli.apps import app
from sarslide.cli.config_flags import (
    SET_HELP,
    ConfigFlags,
    ConfigRequest,
    check_device,
    config_command,
    flag,
)
from sarslide.cli.console import console
from sarslide.cli.flag_types import parse_ints
from sarslide.cli.grid_report import exit_on_interrupt, report_grid
from sarslide.errors import ConfigError
from sarslide.output_checks import check_output_location

baseline_app = typer.Typer(
    help="Non-learned baselines, scored like the models.", no_args_is_help=True
)
app.add_typer(baseline_app, name="baseline")


ABLATION = ConfigFlags(
    "sarslide.experiments.config:AblationConfig",
    "train.data.cube workers scheduler_address:--scheduler train.trainer.device",
    "train.trainer.precision",
    flag("output_dir", old=["--output-dir"]),
    flag("seeds", parse=parse_ints),
    config_argument="Ablation YAML (the same as --config; overrides the preset's keys).",
    sections={"train": "sarslide.training.config:TrainConfig"},
)


@config_command(app, "ablation", ABLATION)
def ablation(
    request: ConfigRequest,
    preset: str | None = typer.Option(
        None, "--preset", help="'quick' (CPU, minutes) or 'paper' (GPU)."
    ),
    no_progress: bool = opt.NO_PROGRESS,
) -> None:
    """Run (or resume) the input ablation grid: input sets x k x seeds.

    Finished runs are skipped; an interrupted grid continues where it stopped. Writes
    results.csv / results.md (mean, std, n of test AUPRC per cell), ablation.png and
    findings.md into the output directory.
    """
    from sarslide.experiments.config import load_ablation_config
    from sarslide.experiments.study import run_ablation

    check_device(request.flags.get("train.trainer.device"))
    cfg = load_ablation_config(request.config, preset=preset, overrides=request.overrides())
    check_output_location(cfg.output_dir)
    with exit_on_interrupt(cfg.output_dir):
        outcome = run_ablation(cfg, progress=not no_progress)
    paths = outcome.paths
    report_grid(
        outcome.grid, [paths.table_markdown, paths.findings], f"outputs in {paths.output_dir}"
    )


def parse_slope(text: str, spelling: str) -> float | None:
    """Degrees; below 0: None (no slope mask)."""
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(
            f"{spelling} takes degrees, e.g. 10 (-1: no mask); got {text!r}."
        ) from None
    return None if value < 0 else value


LOG_RATIO = ConfigFlags(
    "sarslide.experiments.baseline_config:LogRatioBaselineConfig",
    "cube",
    flag("timesteps_k", "-k", parse=parse_ints),
    flag(
        "score.polarisations",
        "--pol",
        help="Backscatter whose post/pre log ratio is the score: vv, vh or vv+vh "
        "(default) (score.polarisations, polarisations).",
    ),
    "score.sign",
    flag("score.slope_min_deg", parse=parse_slope),
    "event_start event_end change_db threshold output_dir",
    file_options=False,  # --set edits the training config, or the map's keys
)


@config_command(baseline_app, "log-ratio", LOG_RATIO)
def log_ratio(
    request: ConfigRequest,
    train_config: Path | None = typer.Argument(
        None,
        help="Training config YAML (its data section is used): score the baseline. "
        "Without it: map --cube into the folder -o, as predict does.",
    ),
    overwrite: bool = opt.overwrite_option("Map: replace an existing map folder."),
    overrides: list[str] = typer.Option([], "--set", metavar="KEY=VALUE", help=SET_HELP),
) -> None:
    """Score the log-ratio change baseline (with a training config), or map it (--cube, -o).

    The map needs no model and no labels: predict's outputs (score and binary COGs,
    polygons, quicklook, report; metrics only when the cube has labels).
    """
    from sarslide.experiments import log_ratio_baseline as baseline

    cfg = request.load({"train_config": train_config and str(train_config)})
    if cfg.train_config is None:
        from sarslide.inference.baseline_map import map_log_ratio

        map_cfg = cfg.map_config(overrides)
        outputs = map_log_ratio(map_cfg, overwrite=overwrite, progress=True)
        console.print(f"[bold green]log-ratio map written to[/] {outputs.directory}")
        return
    results = baseline.score_log_ratio_baseline(
        cfg.train_config, cfg.score, cube=cfg.cube, timesteps_k=cfg.timesteps_k, overrides=overrides
    )
    for result in results:
        console.print(result.describe(), highlight=False)
    if cfg.output_dir is not None:
        baseline.write_log_ratio_results(results, cfg.output_dir)
        console.print(f"wrote {cfg.output_dir}")
