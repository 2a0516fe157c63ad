"""``sarslide evaluate CHECKPOINT``: test metrics on chips and on the whole test region."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markdown import Markdown

from sarslide.cli import options as opt
from sarslide.cli.apps import app
from sarslide.cli.console import console, report_errors
from sarslide.output_checks import check_output_location


@app.command("evaluate")
@report_errors
def evaluate_command(
    checkpoint: Path | None = typer.Argument(
        None, help="A checkpoint written by 'sarslide train' (checkpoint)."
    ),
    config: Path | None = opt.config_option(),
    cube: str | None = opt.cube_option(
        "Datacube (cube; default: the one named in the checkpoint)."
    ),
    output: Path | None = opt.output_option(
        "Output folder (output_dir; default <run>/evaluation-<split>)."
    ),
    split: str | None = typer.Option(None, "--split", help="test or val (split)."),
    whole_region: bool | None = typer.Option(
        None,
        "--region/--no-region",
        help="Also predict every pixel of the split's region (whole_region).",
    ),
    tile_size: int | None = typer.Option(
        None, "--tile-size", help="Tile size (px) of the region pass (tile_size_px)."
    ),
    device: str | None = opt.device_option(),
    precision: str | None = opt.precision_option(),
    overrides: list[str] = opt.set_option(),
    progress: bool = opt.progress_option(),
) -> None:
    """AUPRC, AUROC, F1/precision/recall/IoU at the validation threshold; JSON + markdown.

    A model trained on several events is evaluated per event and pooled, beside each
    event's positive rate and log-ratio baseline. Writes metrics.json, summary.md,
    pr_curve.png and the resolved config.yaml.
    """
    opt.check_device_option(device)  # a missing GPU fails before torch and the cube load
    # imported when the command runs (see sarslide.cli)
    from sarslide.evaluation.config import EvaluateConfig
    from sarslide.evaluation.evaluate import evaluate_checkpoint
    from sarslide.evaluation.report import format_summary_markdown

    flags = {
        "checkpoint": checkpoint,
        "cube": cube,
        "output_dir": output,
        "split": split,
        "whole_region": whole_region,
        "tile_size_px": tile_size,
        "device": device,
        "precision": precision,
    }
    cfg = opt.load_command_config(EvaluateConfig, config, overrides, flags)
    if cfg.output_dir is not None:
        check_output_location(cfg.output_path)
    if cfg.cube is None and _trained_on_events(Path(cfg.checkpoint)):
        from sarslide.experiments.event_evaluation import evaluate_events, format_event_markdown

        events = evaluate_events(
            cfg.checkpoint,
            split=cfg.split,
            output_dir=cfg.output_dir,
            whole_region=cfg.whole_region,
            progress=progress,
        )
        console.print(Markdown(format_event_markdown(events)))
        for name, path in events.paths.items():
            console.print(f"{name:14s} {path}")
        return

    result = evaluate_checkpoint(cfg, progress=progress)
    console.print(Markdown(format_summary_markdown(result)))
    for name, path in result.paths.items():
        console.print(f"{name:14s} {path}")


def _trained_on_events(checkpoint: Path) -> bool:
    """Whether the checkpoint's data config names several events."""
    from sarslide.models.checkpoints import bundle_from_hparams, read_checkpoint

    hparams = read_checkpoint(checkpoint).get("hyper_parameters") or {}
    data = bundle_from_hparams(hparams, source=str(checkpoint)).data_config
    return data is not None and bool(data.events)
