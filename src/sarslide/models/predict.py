"""The one predictor: standardised inputs in, landslide probability out.

:func:`positive_probability` is the one rule from logits to probability (sigmoid of
one logit, or the softmax's class 1 of two). :func:`predict_probabilities` runs a
model over ``(n, C, H, W)`` inputs in batches under ``torch.inference_mode``; training
(validation threshold), evaluation (chips, whole region), scene inference (tiles) and
ISSLIDE all predict through it. :func:`make_torch_predictor` prepares a model once and
returns the per-batch callable the tiled scene predictor takes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import torch

from sarslide.devices import PrecisionPlan, resolve_precision
from sarslide.errors import ConfigError

DeviceLike = str | torch.device


def positive_probability(logits: torch.Tensor) -> torch.Tensor:
    """Landslide probability ``(B, H, W)`` from 1- (sigmoid) or 2-channel (softmax) logits."""
    if logits.shape[1] == 1:
        return torch.sigmoid(logits[:, 0])
    return torch.softmax(logits, dim=1)[:, 1]


def prepare_model(
    model: torch.nn.Module, *, device: DeviceLike = "cpu", channels_last: bool = False
) -> torch.nn.Module:
    """``model`` in eval mode on ``device`` (in channels-last memory format if asked)."""
    model = model.eval().to(device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    return model


def predict_probabilities(
    model: torch.nn.Module,
    inputs: np.ndarray,
    *,
    num_classes: int,
    batch_size: int | None = 16,
    device: DeviceLike = "cpu",
    channels_last: bool = False,
    precision: str | PrecisionPlan = "auto",
) -> np.ndarray:
    """Probabilities ``(n, H, W)`` float32 of standardised inputs ``(n, C, H, W)``.

    Args:
        model: a torch module mapping (B, C, H, W) to (B, num_classes, H, W) logits.
        inputs: standardised inputs (any float dtype; given to the model as float32).
        num_classes: 2 -> softmax, class-1 probability; 1 -> sigmoid.
        batch_size: samples per forward pass; None = all at once.
        device: torch device.
        channels_last: run in channels-last memory format (faster convolutions on CPU).
        precision: auto (bf16/fp16 autocast on CUDA, fp32 elsewhere), fp32, bf16, fp16.

    Raises:
        ConfigError: ``num_classes`` is not 1 or 2, or the model gives another count.
    """
    prepared = prepare_model(model, device=device, channels_last=channels_last)
    return _predict_prepared(
        prepared,
        inputs,
        num_classes=num_classes,
        batch_size=batch_size,
        device=torch.device(device),
        channels_last=channels_last,
        precision=_as_plan(precision, device),
    )


def make_torch_predictor(
    model: torch.nn.Module,
    *,
    num_classes: int,
    channels_last: bool = True,
    device: DeviceLike = "cpu",
    precision: str | PrecisionPlan = "auto",
) -> Callable[[np.ndarray], np.ndarray]:
    """The model as the tiled scene predictor's ``PredictBatchFn`` (one pass per batch).

    The model is prepared once (eval mode, device, memory format); each call is
    :func:`predict_probabilities` on one batch. Arguments as there.
    """
    _check_num_classes(num_classes)
    prepared = prepare_model(model, device=device, channels_last=channels_last)
    return functools.partial(
        _predict_prepared,
        prepared,
        num_classes=num_classes,
        batch_size=None,
        device=torch.device(device),
        channels_last=channels_last,
        precision=_as_plan(precision, device),
    )


def _as_plan(precision: str | PrecisionPlan, device: DeviceLike) -> PrecisionPlan:
    if isinstance(precision, PrecisionPlan):
        return precision
    return resolve_precision(precision, torch.device(device))


def _predict_prepared(
    model: torch.nn.Module,
    inputs: np.ndarray,
    *,
    num_classes: int,
    batch_size: int | None,
    device: torch.device,
    channels_last: bool,
    precision: PrecisionPlan,
) -> np.ndarray:
    _check_num_classes(num_classes)
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    on_cuda = device.type == "cuda"
    n = int(inputs.shape[0])
    step = batch_size or max(n, 1)
    out = np.empty((n, *inputs.shape[2:]), dtype=np.float32)
    with torch.inference_mode(), precision.autocast(device):
        for start in range(0, n, step):
            batch = torch.from_numpy(
                np.ascontiguousarray(inputs[start : start + step], dtype=np.float32)
            )
            if on_cuda:  # page-locked host memory: the copy runs asynchronously
                batch = batch.pin_memory()
            x = batch.to(device, non_blocking=on_cuda)
            logits = model(x.contiguous(memory_format=fmt))
            if logits.shape[1] != num_classes:
                raise ConfigError(
                    f"The model returned {logits.shape[1]} output channels; the checkpoint "
                    f"says num_classes={num_classes}."
                )
            out[start : start + step] = positive_probability(logits.float()).cpu().numpy()
    return out


def choose_batch_size(
    free_bytes: int, bytes_per_tile: int, *, fraction: float = 0.5, most: int = 64
) -> int:
    """Tiles per model call that use at most ``fraction`` of ``free_bytes`` (1 to ``most``)."""
    return int(max(1, min(most, (fraction * free_bytes) // max(bytes_per_tile, 1))))


def measure_tile_memory(
    model: torch.nn.Module,
    tile_shape: tuple[int, int, int],
    device: torch.device,
    precision: PrecisionPlan,
) -> int:
    """Peak CUDA memory (bytes) of one tile's forward pass beyond what was allocated."""
    torch.cuda.synchronize(device)
    torch.cuda.reset_peak_memory_stats(device)
    before = torch.cuda.memory_allocated(device)
    with torch.inference_mode(), precision.autocast(device):
        model(
            torch.zeros((1, *tile_shape), device=device).contiguous(
                memory_format=torch.channels_last
            )
        )
    torch.cuda.synchronize(device)
    return int(torch.cuda.max_memory_allocated(device) - before)


def auto_batch_size(
    model: torch.nn.Module,
    tile_shape: tuple[int, int, int],
    device: torch.device,
    precision: PrecisionPlan,
    *,
    default: int = 2,
) -> int:
    """Inference batch size: from free GPU memory on CUDA, ``default`` elsewhere.

    One tile's forward pass is measured; the batch takes at most half the free memory.
    """
    if device.type != "cuda":
        return default
    per_tile = measure_tile_memory(model, tile_shape, device, precision)
    free_bytes, _ = torch.cuda.mem_get_info(device)
    return choose_batch_size(free_bytes, per_tile)


def _check_num_classes(num_classes: int) -> None:
    if num_classes not in (1, 2):
        raise ConfigError(
            f"Invalid {num_classes=}: landslide models have 1 (sigmoid) or 2 (softmax) outputs."
        )
