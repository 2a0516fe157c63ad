"""``sarslide evaluate CHECKPOINT``: test metrics on chips and on the whole test region."""

from __future__ import annotations

from pathlib import Path

from rich.markdown import Markdown

from sarslide.cli import options as opt
from sarslide.cli.apps import app
from sarslide.cli.config_flags import (
    ConfigFlags,
    ConfigRequest,
    argument,
    config_command,
    flag,
)
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
def evaluate_command(request: ConfigRequest, progress: bool = opt.progress_option()) -> None:
    """AUPRC, AUROC, F1/precision/recall/IoU at the validation threshold; JSON + markdown.

    A model trained on several events is evaluated per event and pooled, beside each
    event's positive rate and log-ratio baseline. Writes metrics.json, summary.md,
    pr_curve.png and the resolved config.yaml.
    """
    cfg = request.load()
    from sarslide.evaluation.evaluate import evaluate_checkpoint
    from sarslide.evaluation.report import format_summary_markdown

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
            engine=cfg.engine,
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
    from sarslide.models.engines import read_model_file_bundle

    data = read_model_file_bundle(checkpoint).data_config
    return data is not None and bool(data.events)
