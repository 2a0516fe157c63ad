"""Network inputs of ISSLIDE: coherence, cos(phase), sin(phase)."""

from __future__ import annotations

from typing import Any, Final

import dask.array as da
import numpy as np

from sarslide.errors import DataSelectionError

FEATURE_NAMES: Final = ("coherence", "cos_phase", "sin_phase")


def compute_features(phase_rad: Any, coherence: Any, *, fill_value: float = 0.0) -> Any:
    """Stack ``(coherence, cos(phase), sin(phase))`` on a leading axis, float32.

    Works on numpy or dask arrays of any matching shape ``(..., y, x)``; the feature
    axis is inserted before the last two. Pixels where either input is NaN (nodata,
    layover mask) get ``fill_value`` in all three features.
    """
    if phase_rad.shape != coherence.shape:
        raise DataSelectionError(
            f"phase and coherence must have the same shape; got {phase_rad.shape} "
            f"and {coherence.shape}."
        )
    lib = _array_module(phase_rad)
    valid = ~(lib.isnan(phase_rad) | lib.isnan(coherence))
    phase = lib.where(valid, phase_rad, 0.0)
    stack = lib.stack(
        [lib.clip(lib.where(valid, coherence, 0.0), 0.0, 1.0), lib.cos(phase), lib.sin(phase)],
        axis=-3,
    )
    stack = lib.where(valid[..., None, :, :], stack, fill_value)
    return stack.astype(np.float32)


def features_from_interferogram(interferogram: Any, coherence: Any) -> Any:
    """Features from a complex interferogram (its angle is the phase)."""
    lib = _array_module(interferogram)
    return compute_features(lib.angle(interferogram), coherence)


def phase_from_features(features: np.ndarray) -> np.ndarray:
    """Recover the wrapped phase from a ``(..., 3, y, x)`` feature stack."""
    return np.arctan2(features[..., 2, :, :], features[..., 1, :, :])


def _array_module(array: Any) -> Any:
    if type(array).__module__.startswith("dask"):
        return da
    return np
