"""What predicts an ISSLIDE model's patches: torch or ONNX Runtime (``insar evaluate --engine``).

The engine setting means what it means for ``predict`` (``sarslide.models.engines``):
``torch`` runs the module as training left it, ``onnx`` runs it on ONNX Runtime after
an in-memory export, ``auto`` is ONNX Runtime on the CPU in fp32 (measured 2.5-4x
faster per 100 px patch than torch for the small U-Nets, ~2x for FCN-ResNet50;
docs/isslide.md, "Engines") and torch on GPUs or for bf16/fp16.

All five ISSLIDE baselines export (FCN-ResNet50, DeepLabV3-ResNet50 and the three
small U-Nets). The export is traced at the dataset's patch size, then checked as
``sarslide export`` checks a graph (ONNX Runtime and torch fp32 against torch fp64 on
a seeded input of the patch shape: within 1e-5, or twice torch's own fp32 error).
An architecture that does not export, or whose graph fails that check, is refused
under ``--engine onnx`` in one line naming the model, and runs on torch under ``auto``
(the reason is logged and recorded as ``onnx_fallback``).
"""

from __future__ import annotations

import functools
import logging
import time
from dataclasses import dataclass
from typing import Any

import torch

from sarslide.devices import PrecisionPlan, resolve_precision
from sarslide.errors import ConfigError
from sarslide.models.engine_run import EngineRun
from sarslide.models.engines import resolve_engine
from sarslide.models.export import check_onnx_graph
from sarslide.models.onnx_engine import (
    OnnxPredictor,
    create_onnx_session,
    export_onnx_bytes,
    onnxruntime_version,
)
from sarslide.models.predict import predict_probabilities

logger = logging.getLogger(__name__)

BATCH_SIZE = 16
"""Patches per forward pass (as ``predict_dataset``)."""


@dataclass(kw_only=True)
class PatchPredictor(EngineRun):
    """An ISSLIDE model ready to predict ``(n, C, H, W)`` patches: an ``EngineRun``
    (engine, device, precision, ``predict``, ``describe`` for ``test_metrics.json`` and
    ``comparison.csv``) with the model's name."""

    model_name: str


def load_patch_predictor(
    model: torch.nn.Module,
    *,
    model_name: str,
    num_classes: int,
    patch_shape: tuple[int, int, int],
    engine: str | None = "auto",
    device: torch.device | str = "cpu",
    precision: str | PrecisionPlan = "auto",
) -> PatchPredictor:
    """``model`` on ``engine`` for patches of ``patch_shape`` ``(C, H, W)``.

    Raises:
        ConfigError: an unknown engine; onnx with bf16/fp16; ``engine='onnx'`` and the
            model does not export faithfully.
        DeviceError: onnx on a GPU without ONNX Runtime's CUDA provider.
    """
    torch_device = torch.device(device)
    plan = (
        precision
        if isinstance(precision, PrecisionPlan)
        else resolve_precision(precision, torch_device)
    )
    name = resolve_engine(engine, torch_device, onnx_file=False, precision=plan.name)
    start = time.perf_counter()
    notes: dict[str, Any] = {}
    if name == "onnx":
        try:
            session, check = _export_checked(model, num_classes, patch_shape, torch_device)
        except Exception as exc:  # the exporter and ONNX Runtime raise many types
            reason = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            if str(engine or "auto").strip().lower() == "onnx":
                raise ConfigError(
                    f"engine 'onnx' cannot run {model_name}: it does not export to ONNX "
                    f"({reason[:200]}); use --engine torch (or auto, which falls back to it)."
                ) from exc
            logger.warning("%s does not export to ONNX (%s); it runs on torch", model_name, reason)
            notes["onnx_fallback"] = reason[:300]
        else:
            return PatchPredictor(
                model_name=model_name,
                engine="onnx",
                engine_version=str(onnxruntime_version()),
                device=torch_device,
                precision=PrecisionPlan("fp32"),
                predict_batch=OnnxPredictor(session),
                load_s=time.perf_counter() - start,
                notes={"onnx_check_max_abs_error": check["onnx_max_abs_error"]},
            )
    predictor = functools.partial(
        predict_probabilities,
        model,
        num_classes=num_classes,
        batch_size=None,
        device=torch_device,
        precision=plan,
    )
    return PatchPredictor(
        model_name=model_name,
        engine="torch",
        engine_version=str(torch.__version__),
        device=torch_device,
        precision=plan,
        predict_batch=predictor,
        load_s=time.perf_counter() - start,
        notes=notes,
    )


def _export_checked(
    model: torch.nn.Module,
    num_classes: int,
    patch_shape: tuple[int, int, int],
    device: torch.device,
) -> tuple[Any, dict[str, float]]:
    """An ONNX Runtime session of ``model`` traced at the patch size, and its check."""
    channels, height, width = patch_shape
    graph = export_onnx_bytes(model, in_channels=channels, tile_px=height)
    check = check_onnx_graph(model, graph, num_classes, (2, channels, height, width))
    return create_onnx_session(graph, device=device), check
