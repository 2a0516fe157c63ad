"""``sarslide train [CONFIG]``: train a segmentation model from a YAML config or preset."""

from __future__ import annotations

from pathlib import Path

import typer

from sarslide.cli import options as opt
from sarslide.cli.apps import app
from sarslide.cli.config_flags import ConfigFlags, ConfigRequest, config_command
from sarslide.cli.console import console
from sarslide.errors import ConfigError

TRAIN = ConfigFlags(
    "sarslide.training.config:TrainConfig",
    "data.cube output_dir model.name:--model trainer.max_epochs:--epochs trainer.seed",
    "trainer.accelerator trainer.device trainer.precision",
    config_argument="YAML config file, or a preset: quick, paper (the same as --config).",
    config_help="YAML config file or preset name (quick, paper); the options below and --set "
    "override its keys. See docs/configs.md.",
)


@config_command(app, "train", TRAIN)
def train_command(
    request: ConfigRequest,
    events: Path | None = typer.Option(
        None,
        "--events",
        help="events.yaml (name, cube per event): train on several events instead of data.cube.",
    ),
    held_out: str | None = typer.Option(
        None,
        "--held-out",
        help="With --events: leave this event out (split leave_one_event_out), test on it.",
    ),
    resume: bool | None = typer.Option(
        None,
        "--resume/--no-resume",
        help="Continue from last.ckpt (default: when the run directory has one).",
    ),
    progress: bool = opt.PROGRESS,
) -> None:
    """Train on chips of a datacube; writes checkpoints, metrics.csv, curve and config.yaml."""
    from sarslide.chips.events import read_events_overrides
    from sarslide.training import train

    cube = request.flags.get("data.cube")
    if events is None and held_out is not None:
        raise ConfigError(f"--held-out {held_out} needs --events FILE (the events to use).")
    if events is not None and cube is not None:
        raise ConfigError(
            f"--events {events} and --cube {cube} were both given; --events trains on the "
            "events' own cubes and would ignore --cube. Give one of them (add the cube to "
            "the events file as another event)."
        )
    cfg = request.load(read_events_overrides(events, held_out) if events else None)
    console.print(
        f"training [bold]{cfg.model.name}[/] on {cfg.data.cube or cfg.data.event_names} "
        f"({cfg.data.channels}, k={cfg.data.timesteps_k}, {cfg.data.split} split) "
        f"-> {cfg.output_dir}"
    )
    paths = train(cfg, progress=progress, resume=resume)
    if not paths.is_global_zero:  # DDP: the other processes end quietly
        return
    console.print("\n".join(f"{name:16s} {path}" for name, path in paths.listing()))
