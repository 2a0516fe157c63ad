"""Read a trained model and everything inference needs from one checkpoint file.

Lightning checkpoints written by ``sarslide train`` carry, in
``hyper_parameters``, the model name, options and class count, and a ``metadata``
dict: channel names, normalisation statistics (train split only), the data config,
the split method and plan, and the probability threshold chosen on validation.
Loading needs no Lightning and no data.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from sarslide.chips import DataConfig, NormalisationStats, SplitPlan
from sarslide.errors import CheckpointError
from sarslide.models.registry import create_model

logger = logging.getLogger(__name__)

METADATA_KEY = "metadata"
MODEL_PREFIX = "model."


@dataclass
class ModelBundle:
    """What a trained model needs around it to predict on new data.

    Attributes:
        channel_names: Input channels in order.
        normalisation: Per-channel statistics from the training split.
        data_config: How the training chips were made (cube, channels, k, ...).
        threshold: Probability threshold chosen on the validation split.
        model_name: Registry name.
        num_classes: 2 (softmax) or 1 (sigmoid).
        model_kwargs: Builder options.
        split_method: 'spatial' or 'random' (quote it beside every number).
        split_plan: The train/val/test plan, when stored.
        extra: Remaining metadata (threshold metric, sarslide version, ...).
    """

    channel_names: list[str]
    normalisation: NormalisationStats
    data_config: DataConfig
    threshold: float
    model_name: str
    num_classes: int
    model_kwargs: dict[str, Any] = field(default_factory=dict)
    split_method: str = "unknown"
    split_plan: SplitPlan | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def chip_size_px(self) -> int:
        """The training chip size."""
        return self.data_config.chip_size_px


def read_checkpoint(path: str | os.PathLike[str], *, map_location: str = "cpu") -> dict[str, Any]:
    """Load a checkpoint file as a dict (tensors only; no arbitrary code).

    Raises:
        CheckpointError: Missing or unreadable file.
    """
    ckpt_path = Path(path)
    if not ckpt_path.is_file():
        raise CheckpointError(
            f"Checkpoint {str(ckpt_path)!r} does not exist; give the best.ckpt or last.ckpt "
            "of a run directory (runs/<name>/checkpoints/)."
        )
    try:
        ckpt = torch.load(ckpt_path, map_location=map_location, weights_only=True)
    except Exception as exc:  # torch raises many types for corrupt files
        raise CheckpointError(
            f"Checkpoint {str(ckpt_path)!r} cannot be read ({type(exc).__name__}: {exc}); "
            "the file is corrupt or not a torch checkpoint."
        ) from exc
    if not isinstance(ckpt, dict) or "state_dict" not in ckpt:
        raise CheckpointError(f"Checkpoint {str(ckpt_path)!r} has no model state_dict.")
    return ckpt


def bundle_from_hparams(hparams: dict[str, Any], *, source: str) -> ModelBundle:
    """Build a :class:`ModelBundle` from a checkpoint's ``hyper_parameters``."""
    metadata = hparams.get(METADATA_KEY) or {}
    required = ("channel_names", "normalisation", "data_config", "threshold")
    missing = [key for key in required if key not in metadata]
    if "model_name" not in hparams or missing:
        raise CheckpointError(
            f"Checkpoint {source!r} was not written by 'sarslide train' (missing "
            f"{missing or ['model_name']} in its hyper-parameters); retrain with sarslide."
        )
    known = {*required, "split_method", "split_plan"}
    plan_json = metadata.get("split_plan")
    return ModelBundle(
        channel_names=list(metadata["channel_names"]),
        normalisation=NormalisationStats.from_dict(metadata["normalisation"]),
        data_config=DataConfig.model_validate(metadata["data_config"]),
        threshold=float(metadata["threshold"]),
        model_name=str(hparams["model_name"]),
        num_classes=int(hparams.get("num_classes", 2)),
        model_kwargs=dict(hparams.get("model_kwargs") or {}),
        split_method=str(metadata.get("split_method", "unknown")),
        split_plan=SplitPlan.from_json(plan_json) if plan_json else None,
        extra={k: v for k, v in metadata.items() if k not in known},
    )


def load_model_from_checkpoint(
    path: str | os.PathLike[str], *, map_location: str = "cpu"
) -> tuple[Any, ModelBundle]:
    """The trained model (in eval mode) and its :class:`ModelBundle`.

    Args:
        path: A checkpoint written by ``sarslide train``.
        map_location: Device for the weights.

    Raises:
        CheckpointError: Missing, corrupt, or foreign checkpoint.
    """
    ckpt = read_checkpoint(path, map_location=map_location)
    hparams = ckpt.get("hyper_parameters") or {}
    bundle = bundle_from_hparams(hparams, source=str(path))
    model = create_model(
        bundle.model_name,
        in_channels=len(bundle.channel_names),
        num_classes=bundle.num_classes,
        encoder_weights=None,
        **bundle.model_kwargs,
    )
    state = {
        key[len(MODEL_PREFIX) :]: value
        for key, value in ckpt["state_dict"].items()
        if key.startswith(MODEL_PREFIX)
    }
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise CheckpointError(
            f"Checkpoint {str(path)!r} weights do not fit model {bundle.model_name!r}: {exc}"
        ) from exc
    return model.eval(), bundle


def update_checkpoint_metadata(path: str | os.PathLike[str], updates: dict[str, Any]) -> None:
    """Merge ``updates`` into a checkpoint's metadata, rewriting it atomically."""
    ckpt_path = Path(path)
    ckpt = read_checkpoint(ckpt_path)
    hparams = ckpt.setdefault("hyper_parameters", {})
    hparams.setdefault(METADATA_KEY, {}).update(updates)
    tmp = ckpt_path.with_name(f".{ckpt_path.name}.partial")
    try:
        torch.save(ckpt, tmp)
        tmp.replace(ckpt_path)
    finally:
        tmp.unlink(missing_ok=True)
