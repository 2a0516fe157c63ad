"""Checks of a training config that cost milliseconds, made before chipping a cube.

Names (model, accelerator, precision), the devices the machine has, the output folder
and pretrained weights are checked first, so that a typo or a missing GPU is refused
in one line instead of after minutes of chipping (and without leaving a run folder).
"""

from __future__ import annotations

import os
from typing import Any

import torch

from sarslide.devices import PRECISION_ALIASES, resolve_lightning_device, resolve_precision
from sarslide.errors import ConfigError
from sarslide.models.registry import create_model, get_model_spec
from sarslide.output_checks import check_output_location
from sarslide.training.loggers import check_logger_available

# Lightning's accelerator names (``gpu`` is an alias of ``cuda``).
ACCELERATORS = ("auto", "cpu", "gpu", "cuda", "mps", "tpu")


def check_training_setup(cfg: Any) -> None:
    """Refuse a :class:`TrainConfig` that cannot run here, before any expensive work."""
    check_output_location(cfg.output_dir)
    get_model_spec(cfg.model.name)
    check_precision(str(cfg.trainer.precision))
    accelerator = check_accelerator(cfg.trainer.accelerator)
    check_devices(cfg.trainer.devices, accelerator)
    t = cfg.trainer  # --device (wins over the accelerator) and the precision on it
    device = resolve_lightning_device(t.device, t.accelerator, t.devices, log=False)[0]
    resolve_precision(t.precision, device)
    check_logger_available(t.logger)
    if cfg.model.encoder_weights is not None:
        _fetch_encoder_weights(cfg.model.name, cfg.model.encoder_weights, cfg.model.kwargs)


def check_precision(precision: str) -> None:
    if precision.strip().lower() not in PRECISION_ALIASES:
        raise ConfigError(
            f"Invalid trainer.precision {precision!r}. Use one of: auto (the default: "
            "bf16/fp16 mixed on a GPU, fp32 on the CPU), fp32, bf16, fp16 (or Lightning's "
            "32-true, bf16-mixed, 16-mixed)."
        )


def check_accelerator(accelerator: str) -> str:
    """The accelerator that will run (``auto`` resolved); refuse an absent device."""
    name = str(accelerator).lower()
    if name not in ACCELERATORS:
        raise ConfigError(
            f"Invalid trainer.accelerator {accelerator!r} (--accelerator). Use one of: "
            f"{', '.join(ACCELERATORS)}."
        )
    if name in ("gpu", "cuda") and not torch.cuda.is_available():
        raise ConfigError(
            f"--accelerator {accelerator} but this machine has no usable CUDA GPU "
            f"(torch {torch.__version__}, CUDA build: {torch.version.cuda or 'no'}). Use "
            "--accelerator cpu (or auto), or install a CUDA build of torch on a GPU machine."
        )
    if name == "mps" and not torch.backends.mps.is_available():
        raise ConfigError(
            f"--accelerator {accelerator} but Apple MPS is not available here. "
            "Use --accelerator cpu (or auto)."
        )
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return "cuda" if name == "gpu" else name


def check_devices(devices: int | str | list[int], accelerator: str) -> None:
    """Refuse more devices than the machine has (each CPU device is a process)."""
    if accelerator == "cuda":
        available, kind = torch.cuda.device_count(), "CUDA GPU(s)"
    elif accelerator == "cpu":
        available, kind = available_cpus(), "CPU core(s)"
    else:
        return
    requested = _count_devices(devices)
    if requested is None:
        return
    if requested < 1 or requested > available:
        raise ConfigError(
            f"Invalid trainer.devices {devices!r}: this machine has {available} {kind} for "
            f"accelerator {accelerator!r}. Use a number from 1 to {available} (or 'auto')."
        )


def available_cpus() -> int:
    """CPU cores this process may use (its affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def _count_devices(devices: int | str | list[int]) -> int | None:
    if isinstance(devices, list):
        return len(devices)
    text = str(devices).strip()
    if text in ("auto", "-1"):
        return None
    if "," in text:
        return len([part for part in text.split(",") if part.strip()])
    try:
        return int(text)
    except ValueError:
        raise ConfigError(
            f"Invalid trainer.devices {devices!r}: use a count (1, 2), a list of "
            "device indices ([0, 1]) or 'auto'."
        ) from None


def _fetch_encoder_weights(name: str, encoder_weights: str, kwargs: dict[str, Any]) -> None:
    """Build the model once with its pretrained weights: downloads (or fails) now."""
    create_model(name, in_channels=3, encoder_weights=encoder_weights, **kwargs)
