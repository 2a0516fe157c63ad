"""``sarslide export CHECKPOINT -o model.onnx``: the model as ONNX with its model card."""

from __future__ import annotations

from pathlib import Path

import typer

from sarslide.cli import options as opt
from sarslide.cli.apps import app
from sarslide.cli.console import console
from sarslide.output_checks import check_output_location


@app.command("export")
def export_command(
    checkpoint: Path = typer.Argument(..., help="Checkpoint written by 'sarslide train'."),
    output: Path = opt.output_option(
        "ONNX file to write (model.onnx); the card goes beside it as .json and .md.",
        required=True,
    ),
    metrics: Path | None = typer.Option(
        None,
        "--metrics",
        help="An evaluation's metrics.json ('sarslide evaluate') to put in the card.",
    ),
    overwrite: bool = opt.overwrite_option("Replace existing output files."),
) -> None:
    """Export a checkpoint as ONNX (dynamic batch and tile size) with a model card.

    predict, evaluate and respond take the .onnx file in place of the checkpoint.
    """
    check_output_location(output)
    # imported when the command runs (see sarslide.cli)
    from sarslide.models.export import export_model
    from sarslide.models.model_card import read_evaluation_metrics

    evaluation = read_evaluation_metrics(metrics) if metrics is not None else None
    written = export_model(checkpoint, output, evaluation_metrics=evaluation, overwrite=overwrite)
    console.print(
        f"[bold green]exported[/] {written.onnx} (ONNX Runtime vs torch: max |dp| "
        f"{written.max_abs_difference:.1e})"
    )
    console.print(f"  {written.card_json.name}, {written.card_markdown.name}: the model card")
