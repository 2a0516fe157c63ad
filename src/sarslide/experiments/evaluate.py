"""``evaluate(cfg) -> EvaluateResult``: what ``sarslide evaluate`` runs, exported as
``sarslide.evaluate``.

One job for both kinds of checkpoint: a model trained on one cube (or any checkpoint
given ``cfg.cube``) is scored on its split's chips and whole region
(``sarslide.evaluation.evaluate.evaluate_checkpoint``); a model trained on several
events is scored per event and pooled, beside each event's positive rate and log-ratio
baseline (``sarslide.experiments.event_evaluation.evaluate_events``). It lives here,
above ``evaluation``, because the per-event pass uses the experiments' log-ratio
baseline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from sarslide.evaluation.config import EvaluateConfig
from sarslide.evaluation.report import format_summary_markdown
from sarslide.evaluation.result import EvaluationResult
from sarslide.experiments.event_evaluation import (
    POOLED,
    EventEvaluation,
    evaluate_events,
    format_event_markdown,
)


@dataclass(frozen=True)
class EvaluateResult:
    """What ``evaluate`` wrote and measured; exactly one of ``single_cube`` and
    ``events`` is set.

    Attributes:
        checkpoint: the evaluated checkpoint (or ``.onnx`` model).
        split: ``test`` or ``val``.
        output_dir: the folder written.
        paths: the files written, by name (``metrics_json``, ``summary_md``,
            ``config_yaml``; one cube also ``pr_curve_png``), as the CLI lists them.
        single_cube: one cube's metrics (chips, whole region, threshold...); None for a
            model trained on several events.
        events: the per-event and pooled metrics of a model trained on several events;
            None for one cube.
    """

    checkpoint: str
    split: str
    output_dir: Path
    paths: Mapping[str, str]
    single_cube: EvaluationResult | None = None
    events: EventEvaluation | None = None

    @property
    def rows(self) -> dict[str, dict[str, Any]]:
        """Per event (and ``pooled``): role, ``chips`` and ``region`` metric dicts, each
        with the log-ratio baseline; empty for one cube."""
        return self.events.rows if self.events is not None else {}

    @property
    def pooled(self) -> dict[str, Any] | None:
        """The pooled row of a multi-event evaluation (None for one cube)."""
        return self.rows.get(POOLED)

    def summary_markdown(self) -> str:
        """The summary written to ``summary.md`` (and printed by the CLI)."""
        if self.events is not None:
            return format_event_markdown(self.events)
        return format_summary_markdown(cast(EvaluationResult, self.single_cube))  # one is set

    def __post_init__(self) -> None:
        if (self.single_cube is None) == (self.events is None):
            raise ValueError("EvaluateResult holds one cube's metrics or per-event ones")


def evaluate(cfg: EvaluateConfig, *, progress: bool = False) -> EvaluateResult:
    """Evaluate a checkpoint as ``sarslide evaluate`` does; write ``metrics.json``,
    ``summary.md``, the resolved ``config.yaml`` (one cube: also the PR curve) into
    ``cfg.output_path``, a folder that is new, empty or an earlier ``sarslide evaluate``
    output (both kinds check, mark and lock it alike).

    A model trained on several events (``data.events``) is scored per event and pooled,
    unless ``cfg.cube`` names one cube to score it on; every other checkpoint on its
    split's chips and whole region.

    Raises:
        CheckpointError: bad checkpoint. DataSelectionError: cube/channels mismatch.
        DeviceError: ``device`` is not on this machine.
    """
    # torch only where a model runs
    from sarslide.evaluation.evaluate import evaluate_checkpoint
    from sarslide.models.engines import read_model_file_bundle

    data = (
        None if cfg.cube is not None else read_model_file_bundle(Path(cfg.checkpoint)).data_config
    )
    if data is None or not data.events:
        single = evaluate_checkpoint(cfg, progress=progress)
        return EvaluateResult(
            checkpoint=single.checkpoint,
            split=single.split,
            output_dir=cfg.output_path,
            paths=dict(single.paths),
            single_cube=single,
        )
    events = evaluate_events(cfg, progress=progress)
    return EvaluateResult(
        checkpoint=events.checkpoint,
        split=events.split,
        output_dir=cfg.output_path,
        paths=dict(events.paths),
        events=events,
    )
