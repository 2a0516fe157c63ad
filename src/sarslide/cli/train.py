"""``sarslide train CONFIG``: train a segmentation model from a YAML config or preset."""

from __future__ import annotations

from pathlib import Path

import typer

from sarslide.cli.apps import app
from sarslide.cli.console import console, report_errors


@app.command("train")
@report_errors
def train_command(
    config: str = typer.Argument(..., help="YAML config file, or a preset: quick, paper."),
    cube: str | None = typer.Option(None, "--cube", help="Datacube (overrides data.cube)."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Run directory."),
    model: str | None = typer.Option(None, "--model", help="Model name (model.name)."),
    epochs: int | None = typer.Option(None, "--epochs", help="trainer.max_epochs."),
    seed: int | None = typer.Option(None, "--seed", help="trainer.seed (training seed)."),
    accelerator: str | None = typer.Option(None, "--accelerator", help="cpu, gpu, auto."),
    overrides: list[str] = typer.Option(
        [], "--set", help="Any key: --set section.key=value (YAML value); repeatable."
    ),
    resume: bool | None = typer.Option(
        None,
        "--resume/--no-resume",
        help="Continue from last.ckpt (default: when the run directory has one).",
    ),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Progress bars."),
) -> None:
    """Train on chips of a datacube; writes checkpoints, metrics.csv, curve and config."""
    from sarslide.training import load_train_config, train

    flags = {
        "data.cube": cube,
        "output_dir": str(output) if output else None,
        "model.name": model,
        "trainer.max_epochs": epochs,
        "trainer.seed": seed,
        "trainer.accelerator": accelerator,
    }
    explicit = [f"{key}={value}" for key, value in flags.items() if value is not None]
    cfg = load_train_config(config, [*explicit, *overrides])
    console.print(
        f"training [bold]{cfg.model.name}[/] on {cfg.data.cube} "
        f"({cfg.data.channels}, k={cfg.data.timesteps_k}, {cfg.data.split} split) "
        f"-> {cfg.output_dir}"
    )
    paths = train(cfg, progress=progress, resume=resume)
    if not paths.is_global_zero:  # DDP: the other processes end quietly
        return
    console.print(f"best checkpoint  {paths.best_checkpoint}")
    console.print(f"last checkpoint  {paths.last_checkpoint}")
    console.print(f"metrics          {paths.metrics_csv}")
    console.print(f"training curve   {paths.curve_png}")
    console.print(f"resolved config  {paths.config_yaml}")
    console.print(f"split plan       {paths.split_json}")
