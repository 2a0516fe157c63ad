"""``sarslide evaluate CHECKPOINT`` (test metrics on chips and on the whole test region) and
``sarslide export CHECKPOINT -o model.onnx`` (the model as ONNX with its model card)."""

from __future__ import annotations

from rich.markdown import Markdown

from sarslide.cli import options as opt
from sarslide.cli.apps import app
from sarslide.cli.config_flags import ConfigFlags, ConfigRequest, argument, config_command, flag
from sarslide.cli.console import console

EVALUATE = ConfigFlags(
    "sarslide.evaluation.config:EvaluateConfig",
    argument("checkpoint"),
    "cube output_dir split whole_region:--region/--no-region tile_size_px:--tile-size",
    "device precision engine",
    flag("allow_resolution_mismatch", sets=True),
)


@config_command(app, "evaluate", EVALUATE)
def evaluate_command(request: ConfigRequest, progress: bool = opt.PROGRESS) -> None:
    """AUPRC, AUROC, F1/precision/recall/IoU at the validation threshold; JSON + markdown.

    A model trained on several events is evaluated per event and pooled, beside each
    event's positive rate and log-ratio baseline. Writes metrics.json, summary.md,
    pr_curve.png and the resolved config.yaml.
    """
    from sarslide.experiments.evaluate import evaluate

    cfg = request.load()
    result = evaluate(cfg, progress=progress)
    console.print(Markdown(result.summary_markdown()))
    for name, path in result.paths.items():
        console.print(f"{name:14s} {path}")


EXPORT = ConfigFlags(
    "sarslide.models.config:ExportConfig",
    argument("checkpoint"),
    flag("output", "--output", "-o"),
    "metrics",
    "check_precision",
)


@config_command(app, "export", EXPORT)
def export_command(
    request: ConfigRequest,
    overwrite: bool = opt.overwrite_option("Replace existing output files."),
) -> None:
    """Export a checkpoint as ONNX (dynamic batch and tile size) with a model card.

    predict, evaluate and respond take the .onnx file in place of the checkpoint.
    """
    from sarslide.models.export import export_configured

    cfg = request.load()
    written = export_configured(cfg, overwrite=overwrite)
    console.print(
        f"[bold green]exported[/] {written.onnx} (ONNX Runtime vs torch: max |dp| "
        f"{written.max_abs_difference:.1e})"
    )
    console.print("\n".join(written.describe()))
