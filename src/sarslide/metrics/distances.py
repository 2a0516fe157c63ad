"""Hausdorff distances between binary masks, in pixels, via Euclidean distance transforms.

Masks are treated as the SETS of their foreground pixel centres (as
``scipy.spatial.distance.directed_hausdorff`` on ``np.argwhere(mask)`` would):

- directed ``h(A, B) = max_{a in A} min_{b in B} ||a - b||``;
- :func:`compute_hausdorff` is the TRUE symmetric Hausdorff distance
  ``max(h(A, B), h(B, A))``, what the ISSLIDE authors report as "Hausdorff" (miseval's
  ``calc_AverageHausdorffDistance`` returns this maximum, over mask borders, despite
  its name; docs/isslide.md);
- :func:`compute_hausdorff95` is the 95th percentile of the pooled point-to-set
  distances of both directions (the medpy ``hd95`` definition).

Empty masks: both empty -> 0.0 (perfect agreement); exactly one empty -> the distance
is undefined and ``empty_value`` is returned (default NaN; the ISSLIDE evaluation
passes the patch diagonal as a penalty and counts those patches).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.ndimage import distance_transform_edt

from sarslide.errors import DataSelectionError


def _as_masks(
    prediction: ArrayLike, truth: ArrayLike
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    a = np.asarray(prediction).astype(bool)
    b = np.asarray(truth).astype(bool)
    if a.shape != b.shape or a.ndim < 1:
        raise DataSelectionError(
            f"Masks must have the same non-empty shape; got {a.shape} and {b.shape}."
        )
    return a, b


def compute_surface_distances(
    prediction: ArrayLike, truth: ArrayLike, *, spacing_px: float | tuple[float, ...] = 1.0
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Distances from each pixel of ``prediction`` to ``truth``, and of ``truth`` to ``prediction``.

    Both masks must be non-empty.
    """
    a, b = _as_masks(prediction, truth)
    if not a.any() or not b.any():
        raise DataSelectionError("compute_surface_distances needs two non-empty masks.")
    to_b = distance_transform_edt(~b, sampling=spacing_px)
    to_a = distance_transform_edt(~a, sampling=spacing_px)
    return np.asarray(to_b[a], dtype=np.float64), np.asarray(to_a[b], dtype=np.float64)


def compute_directed_hausdorff(prediction: ArrayLike, truth: ArrayLike) -> float:
    """``max`` over prediction pixels of the distance to the nearest truth pixel."""
    a_to_b, _ = compute_surface_distances(prediction, truth)
    return float(a_to_b.max())


def _empty_case(a: NDArray[np.bool_], b: NDArray[np.bool_], empty_value: float) -> float | None:
    has_a, has_b = bool(a.any()), bool(b.any())
    if not has_a and not has_b:
        return 0.0
    if has_a != has_b:
        return float(empty_value)
    return None


def compute_hausdorff(
    prediction: ArrayLike, truth: ArrayLike, *, empty_value: float = float("nan")
) -> float:
    """True (maximum, symmetric) Hausdorff distance in pixels."""
    a, b = _as_masks(prediction, truth)
    special = _empty_case(a, b, empty_value)
    if special is not None:
        return special
    a_to_b, b_to_a = compute_surface_distances(a, b)
    return float(max(a_to_b.max(), b_to_a.max()))


def compute_hausdorff95(
    prediction: ArrayLike,
    truth: ArrayLike,
    *,
    percentile: float = 95.0,
    empty_value: float = float("nan"),
) -> float:
    """``percentile`` of the pooled distances of both directions (HD95), in pixels."""
    if not 0.0 <= percentile <= 100.0:
        raise DataSelectionError(f"Invalid percentile={percentile}: must lie in [0, 100].")
    a, b = _as_masks(prediction, truth)
    special = _empty_case(a, b, empty_value)
    if special is not None:
        return special
    a_to_b, b_to_a = compute_surface_distances(a, b)
    return float(np.percentile(np.concatenate([a_to_b, b_to_a]), percentile))
