"""``sarslide evaluate CHECKPOINT``: test metrics on chips and on the whole test region."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markdown import Markdown

from sarslide.cli.apps import app
from sarslide.cli.console import console, report_errors
from sarslide.output_checks import check_output_location


@app.command("evaluate")
@report_errors
def evaluate_command(
    checkpoint: Path = typer.Argument(..., help="A checkpoint written by 'sarslide train'."),
    cube: str | None = typer.Option(
        None, "--cube", help="Datacube (default: the one named in the checkpoint)."
    ),
    output: Path | None = typer.Option(
        None, "--output", "-o", help="Output folder (default: <run>/evaluation-<split>)."
    ),
    split: str = typer.Option("test", "--split", help="test or val."),
    whole_region: bool = typer.Option(
        True, "--region/--no-region", help="Also predict every pixel of the split's region."
    ),
    tile_size: int = typer.Option(512, "--tile-size", help="Tile size (px) of the region pass."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Progress bars."),
) -> None:
    """AUPRC, AUROC, F1/precision/recall/IoU at the validation threshold; JSON + markdown.

    A model trained on several events is evaluated per event and pooled, beside each
    event's positive rate and log-ratio baseline.
    """
    if output is not None:
        check_output_location(output)
    # imported when the command runs (see sarslide.cli)
    from sarslide.evaluation.evaluate import evaluate_checkpoint
    from sarslide.evaluation.report import format_summary_markdown

    if cube is None and _trained_on_events(checkpoint):
        from sarslide.experiments.event_evaluation import evaluate_events, format_event_markdown

        events = evaluate_events(
            checkpoint, split=split, output_dir=output, whole_region=whole_region, progress=progress
        )
        console.print(Markdown(format_event_markdown(events)))
        for name, path in events.paths.items():
            console.print(f"{name:14s} {path}")
        return

    result = evaluate_checkpoint(
        checkpoint,
        cube,
        split=split,
        output_dir=output,
        whole_region=whole_region,
        tile_size_px=tile_size,
        progress=progress,
    )
    console.print(Markdown(format_summary_markdown(result)))
    for name, path in result.paths.items():
        console.print(f"{name:14s} {path}")


def _trained_on_events(checkpoint: Path) -> bool:
    """Whether the checkpoint's data config names several events."""
    from sarslide.models.checkpoints import bundle_from_hparams, read_checkpoint

    hparams = read_checkpoint(checkpoint).get("hyper_parameters") or {}
    data = bundle_from_hparams(hparams, source=str(checkpoint)).data_config
    return data is not None and bool(data.events)
