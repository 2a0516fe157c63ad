"""What every inference engine run holds: ``EngineRun``.

The engine (torch or ONNX Runtime) with its version, device and precision, the batch
function, its load time and notes; the batch loop and the record of what ran. Landslide
maps (``models.engines.InferenceModel``) and ISSLIDE patches (``insar.engine``) build on it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from sarslide.devices import PrecisionPlan


@dataclass(kw_only=True)
class EngineRun:
    """A model ready to predict standardised inputs, and what runs it.

    Attributes:
        engine: ``torch`` or ``onnx``.
        engine_version: the torch or ONNX Runtime version.
        device: where it runs.
        precision: fp32, int8 (ONNX Runtime), or bf16/fp16 autocast (torch).
        predict_batch: standardised (B, C, H, W) float32 -> (B, H, W) probability.
        load_s: seconds to load (and, for onnx from a checkpoint, export) the model.
        notes: what else a report of the run names (the engine's settings, fallbacks).
    """

    engine: str
    engine_version: str
    device: torch.device
    precision: PrecisionPlan
    predict_batch: Callable[[np.ndarray], np.ndarray]
    load_s: float = 0.0
    notes: dict[str, Any] = field(default_factory=dict)

    def predict(self, inputs: np.ndarray, *, batch_size: int | None = 16) -> np.ndarray:
        """Probabilities ``(n, H, W)`` float32 of standardised inputs ``(n, C, H, W)``
        (``batch_size`` None: all in one call)."""
        n = int(inputs.shape[0])
        step = batch_size or max(n, 1)
        out = np.empty((n, *inputs.shape[2:]), dtype=np.float32)
        for start in range(0, n, step):
            out[start : start + step] = self.predict_batch(inputs[start : start + step])
        return out

    def describe(self) -> dict[str, Any]:
        """What ran, for ``run_config.json``, ``test_metrics.json`` and reports."""
        return {
            "engine": self.engine,
            "engine_version": self.engine_version,
            "device": str(self.device),
            "precision": self.precision.name,
            "model_load_s": round(self.load_s, 3),
            **self.notes,
        }
