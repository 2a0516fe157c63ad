"""Random phase offset: the ISSLIDE augmentation, applied to TRAINING batches only.

``phi -> wrap(phi + delta)``, ``delta ~ U(-pi, pi)`` per sample, written directly on
the cos/sin features (a rotation), so they stay consistent; coherence is untouched.
"""

from __future__ import annotations

import math
from typing import Any

import torch

COHERENCE, COS, SIN = 0, 1, 2


def apply_phase_offset(features: Any, offset_rad: Any) -> Any:
    """Rotate the phase of ``(..., 3, H, W)`` torch features by ``offset_rad`` (per sample).

    ``offset_rad`` broadcasts against the leading dims (a scalar or shape ``(N,)``).
    """
    offset = torch.as_tensor(offset_rad, dtype=features.dtype, device=features.device)
    offset = offset.reshape((*offset.shape, 1, 1))
    cos_d, sin_d = torch.cos(offset), torch.sin(offset)
    cos_p, sin_p = features[..., COS, :, :], features[..., SIN, :, :]
    out = features.clone()
    out[..., COS, :, :] = cos_p * cos_d - sin_p * sin_d
    out[..., SIN, :, :] = sin_p * cos_d + cos_p * sin_d
    return out


def apply_random_phase_offset(features: Any, *, generator: Any = None) -> Any:
    """:func:`apply_phase_offset` with one ``U(-pi, pi)`` offset per sample of a batch."""
    batch = features.shape[0] if features.ndim == 4 else 1
    delta = (torch.rand(batch, generator=generator) * 2.0 - 1.0) * math.pi
    return apply_phase_offset(features, delta if features.ndim == 4 else delta[0])
