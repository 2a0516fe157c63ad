"""Land cover of the simulated scene: bare ground, forest and built-up pixels."""

from __future__ import annotations

from typing import Final

import numpy as np

from sarslide.simulate.fractal_terrain import generate_gaussian_field

BARE: Final = 0  # fields, meadows, bare soil: surface scattering
FOREST: Final = 1  # volume scattering, low coherence
BUILT_UP: Final = 2  # buildings: very bright, coherent
LAND_COVER_NAMES: Final = {BARE: "bare", FOREST: "forest", BUILT_UP: "built-up"}


def generate_land_cover(
    slope_rad: np.ndarray,
    *,
    vegetation_fraction: float,
    built_up_fraction: float,
    resolution_m: float,
    seed: int,
) -> np.ndarray:
    """Land-cover classes (uint8) favouring forest on steep slopes, fields on flats.

    A smooth random field (patches of a few hundred metres) plus a slope term is
    thresholded at the quantile that gives ``vegetation_fraction`` forest; built-up
    pixels are the flattest, highest-scoring patches of a second field among the rest.
    """
    shape = slope_rad.shape
    slope_deg = np.degrees(np.nan_to_num(slope_rad, nan=0.0)).astype(np.float32)
    patches = generate_gaussian_field(
        shape,
        resolution_m=resolution_m,
        spectral_exponent=4.0,
        corner_wavelength_m=1500.0,
        std=1.0,
        seed=seed,
        purpose="land-cover",
    )
    score = patches + np.clip((slope_deg - 12.0) / 6.0, -2.0, 2.0)
    classes = np.full(shape, BARE, dtype=np.uint8)
    if vegetation_fraction > 0:
        threshold = np.quantile(score, 1.0 - vegetation_fraction)
        classes[score > threshold] = FOREST
    if built_up_fraction > 0:
        towns = (
            generate_gaussian_field(
                shape,
                resolution_m=resolution_m,
                spectral_exponent=3.5,
                corner_wavelength_m=800.0,
                std=1.0,
                seed=seed,
                purpose="built-up",
            )
            - slope_deg / 10.0
        )
        candidates = classes == BARE
        if np.any(candidates):
            cut = np.quantile(
                towns[candidates], max(0.0, 1.0 - built_up_fraction / max(candidates.mean(), 1e-9))
            )
            classes[candidates & (towns >= cut)] = BUILT_UP
    return classes
