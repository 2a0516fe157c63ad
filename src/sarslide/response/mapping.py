"""The map step of ``respond``: a trained model's prediction, or the log-ratio baseline."""

from __future__ import annotations

from pathlib import Path

from sarslide.inference.config import PredictConfig, PredictOptions
from sarslide.inference.output_paths import PredictionOutputs
from sarslide.response.acquisitions import AcquisitionPlan
from sarslide.response.checks import ModelSettings
from sarslide.response.config import RespondConfig


def map_with_model(
    cfg: RespondConfig,
    model: ModelSettings,
    plan: AcquisitionPlan,
    cube: Path,
    path: Path,
    overwrite: bool,
    progress: bool,
) -> PredictionOutputs:
    """``predict`` with the model on the event's cube into ``path``."""
    event_start, event_end = plan.event_start, plan.event_end
    settings = PredictConfig(
        **{name: getattr(cfg, name) for name in PredictOptions.model_fields},
        checkpoint=str(model.path),
        cube=str(cube),
        output_dir=str(path),
        event_start=event_start,
        event_end=event_end,
        scheduler_address=cfg.scheduler,
    )
    # the predictor (torch) loads when a map is made: 'import sarslide.response' stays light
    from sarslide.inference.outputs import predict_to_directory

    return predict_to_directory(settings, overwrite=overwrite, progress=progress)


def map_baseline(
    cfg: RespondConfig,
    plan: AcquisitionPlan,
    cube: Path,
    path: Path,
    overwrite: bool,
    progress: bool,
) -> PredictionOutputs:
    """The log-ratio change map (``--model none``) of the event's cube into ``path``."""
    # the map writer loads when a map is made: 'import sarslide.response' stays light
    from sarslide.inference.baseline_map import map_log_ratio
    from sarslide.inference.config import LogRatioMapConfig

    settings = LogRatioMapConfig(
        **{name: getattr(cfg, name) for name in PredictOptions.model_fields},
        cube=str(cube),
        output_dir=str(path),
        event_start=plan.event_start,
        event_end=plan.event_end,
        timesteps_k=plan.k,
        scheduler_address=cfg.scheduler,
    )
    return map_log_ratio(settings, overwrite=overwrite, progress=progress)
