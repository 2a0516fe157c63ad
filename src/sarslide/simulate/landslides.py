"""Place landslides where slope and concave curvature make them likely.

Each landslide is a teardrop-shaped blob: its scarp at an initiation point drawn
from a susceptibility map, its body elongated downslope (along the aspect, the
direction the slope faces), wider at the top, with an irregular outline. Blobs are
added in batches until the labelled share of pixels reaches the target.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from sarslide.simulate.placement import stamp_until_covered
from sarslide.simulate.seeding import make_rng

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LandslideSizes:
    """Lognormal landslide length (m), clipped; width 0.25-0.5 of the length."""

    median_length_m: float = 90.0  # Iburi 2018 landslides: mostly 40-300 m long
    length_log_std: float = 0.5
    min_length_m: float = 30.0
    max_length_m: float = 600.0

    def mean_area_px(self, resolution_m: float) -> float:
        """Mean area of a landslide: width 0.25-0.5 of the length, teardrop ~0.7 of
        the ellipse area."""
        mean_length_sq = self.median_length_m**2 * np.exp(2 * self.length_log_std**2)
        return float(0.7 * np.pi / 4 * 0.375 * mean_length_sq / resolution_m**2)

    def draw_length_m(self, rng: np.random.Generator) -> float:
        return float(
            np.clip(
                rng.lognormal(np.log(self.median_length_m), self.length_log_std),
                self.min_length_m,
                self.max_length_m,
            )
        )


def compute_landslide_susceptibility(
    slope_rad: np.ndarray,
    curvature: np.ndarray,
    land_cover: np.ndarray | None = None,
    *,
    vegetation_class: int = 1,
) -> np.ndarray:
    """A relative susceptibility in [0, 1] (float32) from slope and curvature.

    Steep slopes (a logistic rise centred on 28°) and concave, convergent ground
    (negative curvature, smoothed over ~50 m: hollows where water gathers) are
    likely; vegetated hillslopes more than bare ground (shallow slides of soil and
    pumice under forest, as in Hokkaido 2018). NaN inputs give 0.
    """
    slope_deg = np.degrees(np.nan_to_num(slope_rad, nan=0.0)).astype(np.float32)
    slope_term = 1.0 / (1.0 + np.exp(-(slope_deg - 28.0) / 4.0))
    curv = ndimage.gaussian_filter(np.nan_to_num(curvature, nan=0.0).astype(np.float32), 2.5)
    scale = float(np.std(curv)) or 1.0
    curvature_term = 1.0 / (1.0 + np.exp(2.0 * curv / scale))
    susceptibility = slope_term * curvature_term
    if land_cover is not None:
        susceptibility = susceptibility * np.where(land_cover == vegetation_class, 1.0, 0.15)
    return susceptibility.astype(np.float32)


def place_landslides(
    susceptibility: np.ndarray,
    aspect_deg: np.ndarray,
    *,
    fraction: float,
    resolution_m: float,
    seed: int,
    sizes: LandslideSizes | None = None,
) -> np.ndarray:
    """Landslide labels (uint8, 1 = landslide) covering about ``fraction`` of the pixels.

    Args:
        susceptibility: relative likelihood of initiation per pixel (>= 0).
        aspect_deg: direction each slope faces (clockwise from north): the downslope
            direction a landslide runs out along. NaN (flat) gets a random direction.
        fraction: target share of landslide pixels (0 gives no landslides).
        resolution_m: pixel size, to turn landslide sizes in metres into pixels.
        seed: the cube's seed.
        sizes: the length distribution; default ``LandslideSizes()``.
    """
    sizes = sizes or LandslideSizes()
    rows, cols = susceptibility.shape
    labels = np.zeros((rows, cols), dtype=np.uint8)
    target_px = round(fraction * rows * cols)
    if target_px == 0:
        return labels
    weights = np.nan_to_num(susceptibility.astype(np.float64).ravel(), nan=0.0) ** 3 + 1e-12
    rng = make_rng(seed, "landslides")
    covered = stamp_until_covered(
        weights,
        target_px,
        sizes.mean_area_px(resolution_m),
        rng,
        lambda start: _stamp_landslide(labels, start, aspect_deg, resolution_m, rng, sizes),
    )
    logger.debug("placed landslides on %d px (target %d)", covered, target_px)
    return labels


def _stamp_landslide(
    labels: np.ndarray,
    start: int,
    aspect_deg: np.ndarray,
    resolution_m: float,
    rng: np.random.Generator,
    sizes: LandslideSizes,
) -> int:
    """Draw one landslide into ``labels``; return the number of newly labelled pixels."""
    rows, cols = labels.shape
    row0, col0 = divmod(int(start), cols)
    length_m = sizes.draw_length_m(rng)
    length_px = max(length_m / resolution_m, 2.0)
    width_px = max(length_px * rng.uniform(0.25, 0.5), 1.5)
    aspect = aspect_deg[row0, col0]
    azimuth = np.deg2rad(aspect if np.isfinite(aspect) else rng.uniform(0, 360))
    # Downslope unit vector in (row, col): north is up (row decreasing).
    d_row, d_col = -np.cos(azimuth), np.sin(azimuth)
    centre_row = row0 + d_row * length_px * 0.25
    centre_col = col0 + d_col * length_px * 0.25
    half = int(np.ceil(length_px / 2 + 2))
    r_lo, r_hi = max(int(centre_row) - half, 0), min(int(centre_row) + half + 1, rows)
    c_lo, c_hi = max(int(centre_col) - half, 0), min(int(centre_col) + half + 1, cols)
    if r_lo >= r_hi or c_lo >= c_hi:
        return 0
    rr, cc = np.mgrid[r_lo:r_hi, c_lo:c_hi]
    along = ((rr - centre_row) * d_row + (cc - centre_col) * d_col) / (length_px / 2)
    across = ((rr - centre_row) * d_col - (cc - centre_col) * d_row) / (width_px / 2)
    # Teardrop: wider at the scarp (along = -1), narrowing towards the toe (+1).
    across = across / (1.0 - 0.35 * np.clip(along, -1.0, 1.0))
    angle = np.arctan2(across, along)
    lobes = 1.0 + 0.18 * np.sin(rng.integers(2, 6) * angle + rng.uniform(0, 2 * np.pi))
    inside = along**2 + across**2 <= lobes**2
    window = labels[r_lo:r_hi, c_lo:c_hi]
    new = int(np.count_nonzero(inside & (window == 0)))
    window[inside] = 1
    return new
