"""The one checkpoint format and its one loader (no Lightning, no data needed).

Checkpoints written by ``sarslide train`` (landslide segmentation) and ``sarslide insar
train`` (ISSLIDE) are Lightning checkpoints carrying, in ``hyper_parameters``, the model
name, options and class count, and a ``metadata`` dict:

- every task: ``task`` (``landslide`` when absent), ``channel_names`` (the model's input
  channels in order), ``threshold`` (chosen on validation after training, with
  ``threshold_metric``, ``threshold_val_score``, ``threshold_source``,
  ``threshold_chosen_on``) and ``sarslide_version``;
- ``landslide`` also: the normalisation statistics (train split only), the data config,
  the split method and plan;
- ``isslide`` also: its test zones and seed.

:func:`load_model_from_checkpoint` reads either into the model (eval mode) and a
:class:`ModelBundle`; :func:`read_model_bundle` reads the bundle alone.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from sarslide.atomic import replacing
from sarslide.chips import DataConfig, NormalisationStats, SplitPlan
from sarslide.errors import CheckpointError
from sarslide.models.checkpoint_fields import (
    check_model_fits,
    read_channel_names,
    read_data_config,
    read_model_kwargs,
    read_normalisation,
    read_threshold,
)
from sarslide.models.registry import create_model

logger = logging.getLogger(__name__)

METADATA_KEY = "metadata"
MODEL_PREFIX = "model."
TASK_LANDSLIDE = "landslide"
TASK_ISSLIDE = "isslide"
# Metadata every checkpoint carries, and what each task adds.
REQUIRED_METADATA = ("channel_names", "threshold")
TASK_METADATA = {TASK_LANDSLIDE: ("normalisation", "data_config"), TASK_ISSLIDE: ()}


@dataclass
class ModelBundle:
    """What a trained model needs around it to predict on new data.

    Attributes:
        channel_names: Input channels in order.
        threshold: Probability threshold chosen on the validation split.
        model_name: Registry name.
        num_classes: 2 (softmax) or 1 (sigmoid).
        task: ``landslide`` (``sarslide train``) or ``isslide`` (``sarslide insar train``).
        normalisation: Per-channel statistics from the training split (landslide).
        data_config: How the training chips were made: cube, channels, k... (landslide).
        model_kwargs: Builder options.
        split_method: 'spatial' or 'random' (quote it beside every number).
        split_plan: The train/val/test plan, when stored.
        source: The checkpoint file it was read from.
        extra: Remaining metadata (threshold metric, sarslide version, ...).
    """

    channel_names: list[str]
    threshold: float
    model_name: str
    num_classes: int
    task: str = TASK_LANDSLIDE
    normalisation: NormalisationStats | None = None
    data_config: DataConfig | None = None
    model_kwargs: dict[str, Any] = field(default_factory=dict)
    split_method: str = "unknown"
    split_plan: SplitPlan | None = None
    source: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def chip_inputs(self) -> tuple[DataConfig, NormalisationStats]:
        """The data config and normalisation a cube's chips need (landslide models).

        Raises:
            CheckpointError: The checkpoint is not a landslide model (an ISSLIDE one).
        """
        if self.data_config is None or self.normalisation is None:
            raise CheckpointError(
                f"Checkpoint {self.source!r} is a {self.task!r} model, not a landslide "
                "segmentation model of 'sarslide train'; it cannot map a datacube "
                "(evaluate ISSLIDE runs with 'sarslide insar evaluate')."
            )
        return self.data_config, self.normalisation


def read_checkpoint(
    path: str | os.PathLike[str], *, map_location: str = "cpu", mmap: bool = False
) -> dict[str, Any]:
    """Load a checkpoint file as a dict (tensors only; no arbitrary code).

    ``mmap``: map the file instead of reading it (tensors are read only when touched:
    reading the metadata of a 100 MB checkpoint then costs kilobytes).

    Raises:
        CheckpointError: Missing or unreadable file.
    """
    ckpt_path = Path(path)
    if not ckpt_path.is_file():
        what = "is a folder, not a file" if ckpt_path.is_dir() else "does not exist"
        raise CheckpointError(
            f"Checkpoint {str(ckpt_path)!r} {what}; give the best.ckpt or last.ckpt "
            "of a run directory (runs/<name>/checkpoints/)."
        )
    try:
        ckpt = torch.load(ckpt_path, map_location=map_location, weights_only=True, mmap=mmap)
    except Exception as exc:  # torch raises many types for corrupt files
        raise CheckpointError(
            f"Checkpoint {str(ckpt_path)!r} cannot be read ({_why_unreadable(ckpt_path, exc)}); "
            "the file is corrupt, truncated or not a torch checkpoint: give the best.ckpt or "
            "last.ckpt of a run directory, or an exported model.onnx."
        ) from exc
    if not isinstance(ckpt, dict) or "state_dict" not in ckpt:
        raise CheckpointError(f"Checkpoint {str(ckpt_path)!r} has no model state_dict.")
    return ckpt


def _why_unreadable(path: Path, exc: Exception) -> str:
    """What the file is when it is plainly another kind, else torch's first sentence.

    Not torch's whole message: its advice for a non-checkpoint (load it again with
    ``weights_only=False``) would run the file's code, and a truncated zip's runs on
    for lines.
    """
    if isinstance(exc, PermissionError):
        return "permission denied: this user may not read it"
    try:
        with path.open("rb") as handle:
            head = handle.read(64).lstrip()
    except OSError as os_error:
        return f"{type(os_error).__name__}: {os_error.strerror or os_error}"
    if path.stat().st_size == 0:
        return "it is empty (0 bytes): an interrupted copy or download?"
    if head.startswith((b"{", b"[")):
        return "it is JSON text, such as an exported model's card (model.json)"
    if path.suffix.lower() == ".onnx":
        return "it is an ONNX file"
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first.split('. ')[0][:200]}"


def read_trained_steps(path: str | os.PathLike[str]) -> int | None:
    """Optimiser steps the checkpoint's weights had (Lightning's ``global_step``), or None."""
    ckpt = torch.load(Path(path), map_location="cpu", weights_only=True, mmap=True)
    steps = ckpt.get("global_step") if isinstance(ckpt, dict) else None
    return int(steps) if steps is not None else None


def bundle_from_hparams(hparams: dict[str, Any], *, source: str) -> ModelBundle:
    """Build a :class:`ModelBundle` from a checkpoint's ``hyper_parameters``."""
    metadata = hparams.get(METADATA_KEY) or {}
    task = str(metadata.get("task", TASK_LANDSLIDE))
    if task not in TASK_METADATA:
        raise CheckpointError(
            f"Checkpoint {source!r} is for task {task!r}; sarslide reads "
            f"{sorted(TASK_METADATA)}. Retrain it with this sarslide version."
        )
    required = (*REQUIRED_METADATA, *TASK_METADATA[task])
    missing = [key for key in required if key not in metadata]
    if "model_name" not in hparams or missing:
        raise CheckpointError(
            f"Checkpoint {source!r} was not written by 'sarslide train' or 'sarslide insar "
            f"train' (missing {missing or ['model_name']} in its hyper-parameters); retrain "
            "with sarslide."
        )
    known = {*required, "task", "split_method", "split_plan"}
    plan_json = metadata.get("split_plan")
    channel_names = read_channel_names(metadata["channel_names"], source)
    return ModelBundle(
        channel_names=channel_names,
        threshold=read_threshold(metadata["threshold"], source),
        model_name=str(hparams["model_name"]),
        num_classes=int(hparams.get("num_classes", 2)),
        task=task,
        normalisation=(
            read_normalisation(metadata["normalisation"], channel_names, source)
            if "normalisation" in metadata
            else None
        ),
        data_config=(
            read_data_config(metadata["data_config"], source) if "data_config" in metadata else None
        ),
        model_kwargs=read_model_kwargs(hparams.get("model_kwargs"), source),
        split_method=str(metadata.get("split_method", "unknown")),
        split_plan=SplitPlan.from_json(plan_json) if plan_json else None,
        source=source,
        extra={k: v for k, v in metadata.items() if k not in known},
    )


def read_model_bundle(path: str | os.PathLike[str]) -> ModelBundle:
    """The :class:`ModelBundle` of a checkpoint, without building its model (the
    file is memory-mapped: its weights are not read).

    Raises:
        CheckpointError: Missing, corrupt, or foreign checkpoint.
    """
    ckpt = read_checkpoint(path, mmap=True)
    return bundle_from_hparams(ckpt.get("hyper_parameters") or {}, source=str(path))


def load_model_from_checkpoint(
    path: str | os.PathLike[str], *, map_location: str = "cpu"
) -> tuple[torch.nn.Module, ModelBundle]:
    """The trained model (in eval mode) and its :class:`ModelBundle`.

    Args:
        path: A checkpoint written by ``sarslide train`` or ``sarslide insar train``.
        map_location: Device for the weights.

    Raises:
        CheckpointError: Missing, corrupt, or foreign checkpoint.
    """
    ckpt = read_checkpoint(path, map_location=map_location)
    hparams = ckpt.get("hyper_parameters") or {}
    bundle = bundle_from_hparams(hparams, source=str(path))
    state = {
        key[len(MODEL_PREFIX) :]: value
        for key, value in ckpt["state_dict"].items()
        if key.startswith(MODEL_PREFIX)
    }
    check_model_fits(
        bundle.model_name,
        bundle.model_kwargs,
        in_channels=len(bundle.channel_names),
        num_classes=bundle.num_classes,
        state=state,
        source=str(path),
    )
    model = create_model(
        bundle.model_name,
        in_channels=len(bundle.channel_names),
        num_classes=bundle.num_classes,
        encoder_weights=None,
        **bundle.model_kwargs,
    )
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
    with replacing(ckpt_path) as tmp, open(tmp, "wb") as file:
        torch.save(ckpt, file)
