"""``sarslide ablation`` and ``sarslide baseline log-ratio``."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from sarslide.cli.apps import app
from sarslide.cli.console import console, report_errors

baseline_app = typer.Typer(
    help="Non-learned baselines, scored like the models.", no_args_is_help=True
)
app.add_typer(baseline_app, name="baseline")


@app.command("ablation")
@report_errors
def ablation(
    config: Path | None = typer.Argument(None, help="Ablation YAML (overrides the preset's keys)."),
    preset: str | None = typer.Option(
        None, "--preset", help="'quick' (CPU, minutes) or 'paper' (GPU)."
    ),
    cube: str | None = typer.Option(
        None, "--cube", help="Datacube to use instead of the config's."
    ),
    output_dir: Path | None = typer.Option(
        None, "-o", "--output-dir", help="Where runs and results go."
    ),
    workers: int | None = typer.Option(None, "--workers", min=1, help="Runs at a time."),
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="dask.distributed scheduler address."
    ),
    seeds: str | None = typer.Option(None, "--seeds", help="Comma-separated seeds, e.g. 0,1,2."),
    no_progress: bool = typer.Option(False, "--no-progress", help="No progress bars."),
) -> None:
    """Run (or resume) the input ablation grid: input sets x k x seeds.

    Finished runs are skipped; an interrupted grid continues where it stopped. Writes
    results.csv / results.md (mean, std, n of test AUPRC per cell), ablation.png and
    findings.md into the output directory.
    """
    from sarslide.experiments.ablation_config import load_ablation_config, validate_ablation_config
    from sarslide.experiments.study import run_ablation
    from sarslide.experiments.train_run import resolve_train_config

    cfg = load_ablation_config(config, preset=preset)
    train = resolve_train_config(cfg.train)
    if cube is not None:
        train["data"]["cube"] = cube
    updates: dict[str, Any] = {"train": train}
    if output_dir is not None:
        updates["output_dir"] = output_dir
    if workers is not None:
        updates["workers"] = workers
    if scheduler is not None:
        updates["scheduler_address"] = scheduler
    if seeds is not None:
        updates["seeds"] = _parse_ints(seeds, "--seeds")
    cfg = validate_ablation_config({**cfg.model_dump(), **updates}, source="command line")
    try:
        with _sigterm_as_interrupt():
            outcome = run_ablation(cfg, train=train, progress=not no_progress)
    except KeyboardInterrupt:
        done = _count_finished(Path(cfg.output_dir))
        console.print(
            f"[yellow]interrupted[/]: {done} run(s) finished in {cfg.output_dir}. Run the "
            "same command again to continue (finished runs are skipped)."
        )
        raise typer.Exit(code=130) from None
    grid = outcome.grid
    console.print(
        f"runs: {len(grid.ran)} ran, {len(grid.skipped)} already finished, "
        f"{len(grid.failed)} failed"
    )
    console.print(outcome.paths.table_markdown.read_text(), markup=False, highlight=False)
    console.print(outcome.paths.findings.read_text(), markup=False, highlight=False)
    console.print(f"outputs in {outcome.paths.output_dir}")
    if grid.failed:
        for run_id, message in grid.failed.items():
            console.print(f"[red]failed[/] {run_id}: {message}", highlight=False)
        console.print("Run the same command again to retry the failed runs.")
        raise typer.Exit(code=1)


@baseline_app.command("log-ratio")
@report_errors
def log_ratio(
    train_config: Path = typer.Argument(
        ..., help="Training config YAML (its data section is used)."
    ),
    cube: str | None = typer.Option(None, "--cube", help="Datacube instead of the config's."),
    k: str = typer.Option("1,2,3,4", "-k", help="Comma-separated numbers of timesteps."),
    polarisations: str = typer.Option("vv+vh", "--pol", help="vv, vh or vv+vh."),
    sign: str = typer.Option("auto", "--sign", help="auto, abs, increase or decrease."),
    slope_min_deg: float | None = typer.Option(
        10.0, "--slope-min-deg", help="Mask flatter pixels; <0: none."
    ),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write the results as JSON."),
) -> None:
    """Score the log-ratio change baseline on the config's test chips and test region."""
    from sarslide.atomic import write_text_atomic
    from sarslide.datacube import open_cube
    from sarslide.experiments.ablation_config import LogRatioSettings
    from sarslide.experiments.log_ratio_baseline import score_log_ratio

    data = read_data_section(train_config)
    if cube is not None:
        data["cube"] = cube
    settings = LogRatioSettings.model_validate(
        {
            "polarisations": polarisations,
            "sign": sign,
            "slope_min_deg": None if slope_min_deg is None or slope_min_deg < 0 else slope_min_deg,
        }
    )
    opened = open_cube(data["cube"], task="detection")
    results = [
        score_log_ratio(opened, {**data, "timesteps_k": value}, settings)
        for value in _parse_ints(k, "-k")
    ]
    for result in results:
        m = result.metrics
        console.print(
            f"k={result.timesteps_k} {result.label}: AUPRC chips {m['auprc_chips']:.3f} "
            f"(positive rate {m['baseline_auprc_chips']:.3f}), region {m['auprc_region']:.3f} "
            f"(positive rate {m['baseline_auprc_region']:.3f}), F1 region {m['f1_region']:.3f}",
            highlight=False,
        )
    if output is not None:
        text = json.dumps([r.model_dump(mode="json") for r in results], indent=2)
        write_text_atomic(output, text + "\n")
        console.print(f"wrote {output}")


def read_data_section(path: Path) -> dict[str, Any]:
    """The validated ``data`` section of a training config YAML (no torch import)."""
    import yaml

    from sarslide.chips import load_data_config
    from sarslide.errors import ConfigError

    if not path.is_file():
        raise ConfigError(f"Training config {str(path)!r} does not exist; give a YAML file.")
    values = yaml.safe_load(path.read_text()) or {}
    if not isinstance(values, dict) or not isinstance(values.get("data"), dict):
        raise ConfigError(f"{str(path)!r} has no 'data' section; it must be a training config.")
    return load_data_config(values["data"], source=f"{path} data").model_dump(mode="json")


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Treat SIGTERM (a killed job) like Ctrl-C: stop the workers, keep finished runs."""

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: leave SIGTERM alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _count_finished(output_dir: Path) -> int:
    from sarslide.experiments.grid import RUNS_DIRNAME
    from sarslide.experiments.records import RESULT_FILENAME

    return len(list((output_dir / RUNS_DIRNAME).glob(f"*/{RESULT_FILENAME}")))


def _parse_ints(text: str, option: str) -> list[int]:
    from sarslide.errors import ConfigError

    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError as err:
        raise ConfigError(
            f"{option} takes comma-separated integers, e.g. 0,1,2; got {text!r}."
        ) from err
