"""Changes that are not landslides: fields, clear-cuts and wet soil on gentle ground.

Between the same two dates as the event, farmers harvest and plough, foresters
clear-cut, rain wets some fields and not others: patches whose backscatter steps up
or down by as much as a landslide's, and that also fluctuate from date to date.
They lie on flat or gentle ground (below ``max_slope_deg``), where landslides do
not happen: a SAR-only detector confuses them with landslides, terrain
information removes them. Each patch is a rotated rectangle (a field) or an
irregular blob (a clear-cut, a wet hollow) with an id; its per-date offsets are
drawn per acquisition in ``draw_patch_offsets_db``.
"""

from __future__ import annotations

import logging

import numpy as np

from sarslide import conventions as cv
from sarslide.simulate.placement import stamp_until_covered
from sarslide.simulate.seeding import make_rng

logger = logging.getLogger(__name__)

MEDIAN_SIDE_M = 120.0
SIDE_LOG_STD = 0.4
MIN_SIDE_M, MAX_SIDE_M = 40.0, 400.0
SLOPE_CUTOFF_WIDTH_DEG = 2.0


def place_change_patches(
    slope_rad: np.ndarray,
    landslide_labels: np.ndarray,
    *,
    fraction: float,
    max_slope_deg: float,
    resolution_m: float,
    seed: int,
) -> np.ndarray:
    """Patch ids (int32, 0 = no patch, 1..n) covering about ``fraction`` of the pixels.

    Centres are drawn with a weight falling off logistically above
    ``max_slope_deg``; a patch never covers landslide pixels nor ground steeper
    than ``max_slope_deg`` + 4°.
    """
    rows, cols = slope_rad.shape
    ids = np.zeros((rows, cols), dtype=np.int32)
    target_px = round(fraction * rows * cols)
    if target_px == 0:
        return ids
    slope_deg = np.degrees(np.nan_to_num(slope_rad, nan=0.0))
    weights = 1.0 / (1.0 + np.exp((slope_deg - max_slope_deg) / SLOPE_CUTOFF_WIDTH_DEG))
    weights = (weights * (landslide_labels == 0)).ravel() + 1e-12
    mean_area_px = 0.75 * (MEDIAN_SIDE_M * np.exp(SIDE_LOG_STD**2)) ** 2 / resolution_m**2
    rng = make_rng(seed, "change-patches")
    # Fields and clear-cuts stop where the hillside starts.
    free = (landslide_labels == 0) & (slope_deg < max_slope_deg + 2 * SLOPE_CUTOFF_WIDTH_DEG)
    next_id = 1

    def stamp(start: int) -> int:
        nonlocal next_id
        new = _stamp_patch(ids, free, start, next_id, resolution_m, rng)
        if new:
            next_id += 1
        return new

    covered = stamp_until_covered(weights, target_px, mean_area_px, rng, stamp)
    logger.debug("placed %d change patches on %d px (target %d)", next_id - 1, covered, target_px)
    return ids


def _stamp_patch(
    ids: np.ndarray,
    free: np.ndarray,
    start: int,
    patch_id: int,
    resolution_m: float,
    rng: np.random.Generator,
) -> int:
    rows, cols = ids.shape
    row0, col0 = divmod(start, cols)
    length_px = np.clip(rng.lognormal(np.log(MEDIAN_SIDE_M), SIDE_LOG_STD), MIN_SIDE_M, MAX_SIDE_M)
    length_px /= resolution_m
    width_px = length_px * rng.uniform(0.4, 1.0)
    angle = rng.uniform(0, np.pi)
    is_field = rng.random() < 0.6
    lobes_k, lobes_phase = int(rng.integers(2, 6)), rng.uniform(0, 2 * np.pi)
    half = int(np.ceil(length_px / 2 + 2))
    r_lo, r_hi = max(row0 - half, 0), min(row0 + half + 1, rows)
    c_lo, c_hi = max(col0 - half, 0), min(col0 + half + 1, cols)
    rr, cc = np.mgrid[r_lo:r_hi, c_lo:c_hi]
    along = ((rr - row0) * np.cos(angle) + (cc - col0) * np.sin(angle)) / (length_px / 2)
    across = ((rr - row0) * np.sin(angle) - (cc - col0) * np.cos(angle)) / (width_px / 2)
    if is_field:  # a rotated rectangle
        inside = (np.abs(along) <= 1.0) & (np.abs(across) <= 1.0)
    else:  # an irregular blob
        lobes = 1.0 + 0.2 * np.sin(lobes_k * np.arctan2(across, along) + lobes_phase)
        inside = along**2 + across**2 <= lobes**2
    window = ids[r_lo:r_hi, c_lo:c_hi]
    inside &= (window == 0) & free[r_lo:r_hi, c_lo:c_hi]
    window[inside] = patch_id
    return int(np.count_nonzero(inside))


def draw_patch_steps_db(
    n_patches: int,
    *,
    vv_change_db: tuple[float, float],
    vh_change_db: tuple[float, float],
    seed: int,
) -> dict[str, np.ndarray]:
    """Each patch's step (dB) at the event, per polarisation; index 0 (no patch) is 0."""
    rng = make_rng(seed, "change-patch-steps")
    out = {}
    for pol, (mean, std) in ((cv.VAR_VV, vv_change_db), (cv.VAR_VH, vh_change_db)):
        steps = rng.normal(mean, std, n_patches + 1).astype(np.float32)
        steps[0] = 0.0
        out[pol] = steps
    return out


def draw_patch_offsets_db(
    n_patches: int, *, std_db: float, seed: int, acquisition: int
) -> dict[str, np.ndarray]:
    """One acquisition's per-patch fluctuation (dB), correlated between VV and VH."""
    rng = make_rng(seed, "change-patch-dates", acquisition)
    common = rng.normal(0.0, std_db, n_patches + 1)
    out = {}
    for pol in cv.SAR_VARS:
        offsets = (0.8 * common + 0.6 * rng.normal(0.0, std_db, n_patches + 1)).astype(np.float32)
        offsets[0] = 0.0
        out[pol] = offsets
    return out
