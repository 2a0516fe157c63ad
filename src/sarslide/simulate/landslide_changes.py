"""How much each landslide changes VV and VH after the event.

Real landslide scars are not uniform patches of bare soil: some keep part of their
vegetation (trees carried down intact, shrubs at the margins), their debris differs
in roughness and moisture from one landslide to the next, and the VV response of a
rough bare surface depends on the local incidence angle far more than forest's does
(after terrain flattening, debris on a slope facing the sensor comes out brighter
than the forest it replaced, debris facing away darker). This module draws, per
landslide (a connected component of the labels), the bared share and its own VV/VH
change; the incidence term is applied per acquisition in ``backscatter``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from sarslide.simulate.fractal_terrain import generate_gaussian_field
from sarslide.simulate.seeding import make_rng

EXPOSURE_VARIATION_STD = 0.15  # within-landslide variation of the bared share
EXPOSURE_PATCH_WAVELENGTH_M = 60.0


@dataclass(frozen=True)
class LandslideChangeMaps:
    """Per-pixel change of every landslide pixel (0 elsewhere), float32.

    Attributes:
        exposure: bared share in [0, 1] (1 - remaining vegetation).
        vv_db: VV change at the reference incidence (dB), already scaled by exposure.
        vh_db: VH change (dB), already scaled by exposure.
    """

    exposure: np.ndarray
    vv_db: np.ndarray
    vh_db: np.ndarray


def draw_landslide_changes(
    labels: np.ndarray,
    *,
    vv_change_db: float,
    vh_change_db: float,
    spread_db: float,
    vegetation_remaining: tuple[float, float],
    resolution_m: float,
    seed: int,
) -> LandslideChangeMaps:
    """Draw each landslide's bared share and VV/VH change.

    Args:
        labels: landslide labels (> 0 = landslide); touching blobs count as one.
        vv_change_db: mean VV change of a fully bared landslide.
        vh_change_db: mean VH change of a fully bared landslide.
        spread_db: standard deviation of a landslide's own change around the mean.
        vegetation_remaining: (low, high) range of the share of vegetation left,
            uniform per landslide.
        resolution_m: pixel size (for the within-landslide variation).
        seed: the cube's seed.
    """
    ids, count = ndimage.label(labels > 0)
    rng = make_rng(seed, "landslide-change")
    low, high = vegetation_remaining
    exposure_per = 1.0 - rng.uniform(low, high, count + 1)
    vv_per = rng.normal(vv_change_db, spread_db, count + 1)
    vh_per = rng.normal(vh_change_db, spread_db, count + 1)
    exposure_per[0] = vv_per[0] = vh_per[0] = 0.0
    variation = generate_gaussian_field(
        labels.shape,
        resolution_m=resolution_m,
        spectral_exponent=3.0,
        corner_wavelength_m=EXPOSURE_PATCH_WAVELENGTH_M,
        std=EXPOSURE_VARIATION_STD,
        seed=seed,
        purpose="landslide-exposure",
    )
    inside = ids > 0
    exposure = np.where(inside, np.clip(exposure_per[ids] + variation, 0.0, 1.0), 0.0)
    return LandslideChangeMaps(
        exposure=exposure.astype(np.float32),
        vv_db=(exposure * vv_per[ids]).astype(np.float32),
        vh_db=(exposure * vh_per[ids]).astype(np.float32),
    )
