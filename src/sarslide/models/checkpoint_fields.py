"""A checkpoint's metadata read field by field: a crafted or damaged value is named.

A checkpoint is a file a user may have been given. Each field the loader needs is
checked here before it is used, and a bad one is refused with its key and value
(``metadata.threshold = nan``), never turned into a silent all-0 map, a bare
``KeyError`` or a model built from options that would exhaust the memory.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import torch

from sarslide.chips import DataConfig, NormalisationStats
from sarslide.errors import CheckpointError, ConfigError
from sarslide.models.registry import create_model


def _refuse(source: str, key: str, value: Any, why: str) -> CheckpointError:
    shown = repr(value)
    shown = shown if len(shown) <= 80 else shown[:77] + "..."
    return CheckpointError(
        f"Checkpoint {source!r} has a bad {key} ({shown}): {why}. The file was changed or "
        "damaged after training; use the run's own checkpoint, or train again."
    )


def read_threshold(value: Any, source: str) -> float:
    """The decision threshold: a finite probability in [0, 1]."""
    try:
        threshold = float(value)
    except (TypeError, ValueError):
        raise _refuse(source, "metadata.threshold", value, "not a number") from None
    if not math.isfinite(threshold) or not 0.0 <= threshold <= 1.0:
        raise _refuse(source, "metadata.threshold", value, "a threshold is a probability in [0, 1]")
    return threshold


def read_channel_names(value: Any, source: str) -> list[str]:
    """The model's input channels: a non-empty list of names."""
    if (
        not isinstance(value, (list, tuple))
        or not value
        or not all(isinstance(name, str) for name in value)
    ):
        raise _refuse(source, "metadata.channel_names", value, "not a list of channel names")
    return list(value)


def read_normalisation(value: Any, channel_names: list[str], source: str) -> NormalisationStats:
    """Per-channel statistics: one finite mean and positive std per input channel."""
    key = "metadata.normalisation"
    if not isinstance(value, Mapping):
        raise _refuse(source, key, value, "not a mapping of channel_names, mean and std")
    for part in ("channel_names", "mean", "std"):
        if part not in value:
            raise _refuse(source, f"{key}.{part}", None, "missing")
    try:
        mean = np.asarray(value["mean"], dtype=np.float64)
        std = np.asarray(value["std"], dtype=np.float64)
    except (TypeError, ValueError):
        raise _refuse(source, key, value, "mean and std must be lists of numbers") from None
    for part, values in (("mean", mean), ("std", std)):
        if values.shape != (len(channel_names),):
            raise _refuse(
                source, f"{key}.{part}", value[part], f"needs {len(channel_names)} values"
            )
        if not np.all(np.isfinite(values)):
            raise _refuse(source, f"{key}.{part}", value[part], "holds NaN or infinity")
    if np.any(std <= 0):
        raise _refuse(source, f"{key}.std", value["std"], "a standard deviation must be > 0")
    if list(value["channel_names"]) != channel_names:
        raise _refuse(
            source,
            f"{key}.channel_names",
            value["channel_names"],
            f"the model's channels are {channel_names}",
        )
    return NormalisationStats.from_dict(dict(value))


def read_data_config(value: Any, source: str) -> DataConfig:
    """How the training chips were made."""
    try:
        return DataConfig.model_validate(value)
    except ValueError as err:
        errors: list[Any] = list(getattr(err, "errors", list)())
        where = ".".join(str(p) for p in errors[0]["loc"]) if errors else ""
        bad = errors[0].get("input") if errors else value
        why = errors[0]["msg"] if errors else str(err)
        raise _refuse(source, f"metadata.data_config.{where}".rstrip("."), bad, why) from None


def read_model_kwargs(value: Any, source: str) -> dict[str, Any]:
    """The model builder's options: a mapping of option names."""
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise _refuse(source, "model_kwargs", value, "not a mapping of option names")
    return dict(value)


def check_model_fits(
    name: str,
    kwargs: dict[str, Any],
    *,
    in_channels: int,
    num_classes: int,
    state: Mapping[str, torch.Tensor],
    source: str,
) -> None:
    """Build the model without memory (the ``meta`` device) and compare its tensors'
    shapes with the checkpoint's weights, naming the option that makes them differ."""
    try:
        with torch.device("meta"):
            model = create_model(name, in_channels=in_channels, num_classes=num_classes, **kwargs)
    except ConfigError as err:
        raise _refuse(source, "model_kwargs", kwargs, str(err)) from None
    except (RuntimeError, ValueError, OverflowError) as err:  # sizes beyond any memory
        raise _refuse(source, "model_kwargs", kwargs, f"cannot build {name!r}: {err}") from None
    expected = {key: tuple(t.shape) for key, t in model.state_dict().items()}
    given = {key: tuple(t.shape) for key, t in state.items()}
    if expected == given:
        return
    differ = sorted(k for k in {*expected, *given} if expected.get(k) != given.get(k))
    first = differ[0]
    raise _refuse(
        source,
        "model_kwargs",
        kwargs,
        f"model {name!r} built with them does not hold the checkpoint's weights "
        f"({len(differ)} tensors differ, e.g. {first!r}: {expected.get(first)} built, "
        f"{given.get(first)} stored)",
    )
