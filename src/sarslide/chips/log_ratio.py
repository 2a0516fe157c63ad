"""The log-ratio change score: post- vs pre-event backscatter, pixel by pixel (numpy).

Score = change of the log10 composites (``<pol>_after - <pol>_before``), summed over
the chosen polarisations; ``abs`` scores ``sum |log ratio|``, ``increase`` ``sum log
ratio``, ``decrease`` ``-sum log ratio``. Used by the scored experiment
(``sarslide.experiments.log_ratio_baseline``) and by the map without a model
(``sarslide.inference.baseline_map``).
"""

from __future__ import annotations

from typing import Final

import numpy as np

from sarslide.errors import DataSelectionError

SIGNS: Final = ("abs", "increase", "decrease")
MASKED_SCORE: Final = np.float32(-1e30)  # finite: metrics drop non-finite scores as nodata


def compute_log_ratio_score(
    composites: dict[str, np.ndarray],
    *,
    polarisations: str = "vv+vh",
    sign: str = "abs",
    slope_rad: np.ndarray | None = None,
    slope_min_deg: float | None = None,
) -> np.ndarray:
    """Log-ratio change score from log10 composites (any array shape: scene or chips).

    Args:
        composites: ``{"vv_before": ..., "vv_after": ..., ...}`` log10 composites.
        polarisations: ``"vv"``, ``"vh"`` or ``"vv+vh"`` (their ratios are summed).
        sign: ``"abs"``, ``"increase"`` or ``"decrease"``.
        slope_rad: terrain slope, same shape; needed with ``slope_min_deg``.
        slope_min_deg: pixels flatter than this get the lowest score; None: no mask.

    Returns:
        float32 scores, NaN where a composite is NaN (nodata).
    """
    if sign not in SIGNS:
        raise DataSelectionError(f"Invalid log-ratio {sign=!r}. Must be one of {list(SIGNS)}.")
    pols = polarisations.split("+")
    missing = [
        f"{p}_{side}"
        for p in pols
        for side in ("before", "after")
        if f"{p}_{side}" not in composites
    ]
    if missing:
        raise DataSelectionError(
            f"The log-ratio baseline needs composites {missing}; got {sorted(composites)}."
        )
    ratios = [
        np.asarray(composites[f"{p}_after"]) - np.asarray(composites[f"{p}_before"]) for p in pols
    ]
    if sign == "abs":
        score = sum(np.abs(r) for r in ratios)
    else:
        score = sum(ratios)
        if sign == "decrease":
            score = -score
    score = np.asarray(score, dtype=np.float32)
    if slope_min_deg is not None:
        if slope_rad is None:
            raise DataSelectionError("slope_min_deg needs the slope; pass slope_rad.")
        flat = np.degrees(np.asarray(slope_rad, dtype=np.float64)) < slope_min_deg
        score = np.where(flat & np.isfinite(score), MASKED_SCORE, score)
    return score
