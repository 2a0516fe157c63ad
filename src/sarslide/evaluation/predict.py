"""Batched model prediction on chips (numpy in, landslide probability out)."""

from __future__ import annotations

from typing import Any

import numpy as np


def predict_chip_probabilities(
    model: Any,
    inputs: np.ndarray,
    *,
    num_classes: int,
    batch_size: int = 16,
    device: str = "cpu",
) -> np.ndarray:
    """Probabilities ``(n, H, W)`` float32 for standardised inputs ``(n, C, H, W)``."""
    import torch

    from sarslide.training.losses import positive_probability

    model = model.eval().to(device)
    out = np.empty((inputs.shape[0], *inputs.shape[2:]), dtype=np.float32)
    with torch.inference_mode():
        for start in range(0, inputs.shape[0], batch_size):
            batch = torch.from_numpy(np.ascontiguousarray(inputs[start : start + batch_size]))
            logits = model(batch.to(device))
            if logits.shape[1] != num_classes:
                raise ValueError(f"model gives {logits.shape[1]} outputs, expected {num_classes}")
            out[start : start + batch_size] = positive_probability(logits.float()).cpu().numpy()
    return out
