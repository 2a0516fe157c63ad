"""``sarslide evaluate CHECKPOINT``: test metrics on chips and on the whole test region."""

from __future__ import annotations

from rich.markdown import Markdown

from sarslide.cli import options as opt
from sarslide.cli.apps import app
from sarslide.cli.config_flags import ConfigFlags, ConfigRequest, argument, config_command, flag
from sarslide.cli.console import console
from sarslide.output_checks import check_output_location

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
    from sarslide.experiments.event_evaluation import evaluate_model, format_evaluation_markdown

    cfg = request.load()
    if cfg.output_dir is not None:
        check_output_location(cfg.output_path)
    result = evaluate_model(cfg, progress=progress)
    console.print(Markdown(format_evaluation_markdown(result)))
    for name, path in result.paths.items():
        console.print(f"{name:14s} {path}")
