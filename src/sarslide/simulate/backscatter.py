"""RTC gamma0 backscatter (VV, VH) of one acquisition over one block of the grid.

Mean backscatter per scattering class (forest, bare ground, built-up) at the
reference incidence; after the event, each landslide's own change (bared share,
VV/VH step, VV incidence dependence of debris; ``landslide_changes``) and each
non-landslide change patch's step (``change_patches``); every patch's per-date
fluctuation; a residual dependence on the local
incidence angle that terrain flattening leaves (strong for surface scattering, weak
for volume scattering), static texture, per-date calibration offsets, vegetation
seasonality, soil moisture and snow; layover bright, shadow at the noise floor;
then multiplicative gamma speckle of ``enl`` looks. Levels are calibrated so that a
default cube has the log10 statistics of the Hokkaido cube (Zenodo 7248056).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from sarslide import conventions as cv
from sarslide.simulate import geometry
from sarslide.simulate.change_patches import draw_patch_offsets_db
from sarslide.simulate.fractal_terrain import generate_gaussian_field
from sarslide.simulate.land_cover import BARE, BUILT_UP, FOREST
from sarslide.simulate.seeding import make_rng
from sarslide.simulate.smooth_fields import PlaneWaveField, draw_plane_wave_field


@dataclass(frozen=True)
class ScatteringClass:
    """Mean gamma0 (dB) at the reference incidence and how it varies."""

    vv_db: float
    vh_db: float
    vv_cos_exponent: float  # gamma0 ∝ (cos θ_loc / cos θ_ref) ** exponent
    vh_cos_exponent: float
    texture_db: float  # static pixel-to-pixel spread
    seasonal_db: float  # amplitude of the yearly cycle (vegetation water content)
    moisture_db: float  # sensitivity to the per-date soil moisture field


SCATTERING_CLASSES: Final[dict[int, ScatteringClass]] = {
    FOREST: ScatteringClass(-6.7, -12.65, 0.25, 0.15, 0.4, 0.4, 0.6),
    BARE: ScatteringClass(-8.3, -14.85, 1.0, 0.7, 0.8, 0.2, 1.5),
    BUILT_UP: ScatteringClass(1.0, -6.0, 0.0, 0.0, 6.0, 0.0, 0.0),
}
DEBRIS_MOISTURE_DB: Final = 1.5  # bare debris reacts to soil moisture as bare ground
LAYOVER_GAIN_DB: Final = 2.5  # after RTC area normalisation
NOISE_FLOOR: Final = {cv.VAR_VV: 0.003, cv.VAR_VH: 0.002}  # ~ -25 dB thermal noise


@dataclass(frozen=True)
class AcquisitionConditions:
    """What changes from one acquisition to the next."""

    index: int
    time: pd.Timestamp
    orbit: str
    post_event: bool
    offset_db: dict[str, float]  # radiometric calibration / weather, per polarisation
    seasonal: float  # cycle in [-1, 1], +1 at the summer peak of vegetation
    snow_db: float  # wet-snow darkening (<= 0)
    moisture: PlaneWaveField  # soil moisture anomaly field (unit std)
    patch_db: dict[str, np.ndarray]  # per change-patch offset (dB) by patch id, per pol


def make_acquisition_conditions(
    times: Sequence[pd.Timestamp],
    orbits: Sequence[str],
    *,
    event_end: pd.Timestamp,
    seed: int,
    patch_steps_db: dict[str, np.ndarray] | None = None,
    patch_date_std_db: float = 0.0,
) -> list[AcquisitionConditions]:
    """Draw the per-date conditions of every acquisition from the seed.

    ``patch_steps_db`` (per polarisation, indexed by change-patch id, 0 = none) is
    added after the event; every patch also fluctuates by ``patch_date_std_db``.
    """
    if patch_steps_db is None:
        patch_steps_db = {pol: np.zeros(1, np.float32) for pol in cv.SAR_VARS}
    n_patches = len(patch_steps_db[cv.VAR_VV]) - 1
    out = []
    for index, (time, orbit) in enumerate(zip(times, orbits, strict=True)):
        rng = make_rng(seed, "acquisition", index)
        post_event = bool(time >= event_end)
        fluctuation = draw_patch_offsets_db(
            n_patches, std_db=patch_date_std_db, seed=seed, acquisition=index
        )
        patch_db = {
            pol: fluctuation[pol] + (patch_steps_db[pol] if post_event else np.float32(0.0))
            for pol in cv.SAR_VARS
        }
        common = rng.normal(0.0, 0.25)
        winter = time.month in (12, 1, 2, 3)
        out.append(
            AcquisitionConditions(
                index=index,
                time=time,
                orbit=orbit,
                post_event=post_event,
                offset_db={
                    cv.VAR_VV: common + rng.normal(0.0, 0.1),
                    cv.VAR_VH: common + rng.normal(0.0, 0.1),
                },
                seasonal=float(np.cos(2 * np.pi * (time.day_of_year - 200) / 365.25)),
                snow_db=-float(rng.uniform(0.0, 3.0)) if winter else 0.0,
                moisture=draw_plane_wave_field(
                    rng, n_waves=12, min_wavelength_m=150.0, max_wavelength_m=8000.0, std=1.0
                ),
                patch_db=patch_db,
            )
        )
    return out


@dataclass(frozen=True)
class BackscatterSettings:
    """Scene-wide settings of the backscatter model (from the ``EventCubeSpec``)."""

    incidence_deg: float  # ellipsoid incidence angle at the scene centre
    vv_incidence_gain: float  # extra VV change of debris per dB of 10 log10(cos θ_loc / cos θ)
    enl: float  # equivalent number of looks of the speckle
    nodata_fraction: float  # share of pixels set to exactly 0 (half) or NaN (half)
    resolution_m: float  # pixel size, for the smooth per-date fields
    seed: int  # with the block index and acquisition: the key of the random stream


@dataclass(frozen=True)
class BackscatterBlock:
    """One block of the grid: its static layers (for one polarisation and orbit) and
    where it lies.

    ``exposure`` and ``landslide_db`` are the landslides' bared share and their change
    (dB) in this polarisation at the reference incidence (0 off landslides);
    ``patch_id`` indexes ``AcquisitionConditions.patch_db`` (0 = no change patch);
    ``geometry_class`` holds the layover/shadow classes of the acquisition's orbit.
    """

    land_cover: np.ndarray
    texture: np.ndarray  # unit-std static texture
    exposure: np.ndarray
    landslide_db: np.ndarray
    patch_id: np.ndarray
    slope_rad: np.ndarray
    aspect_deg: np.ndarray
    geometry_class: np.ndarray
    origin_px: tuple[int, int]  # (row, column) of the block's first pixel in the grid
    block_index: tuple[int, int]  # the block's position, part of its random key


def simulate_backscatter_block(
    block: BackscatterBlock,
    conditions: AcquisitionConditions,
    *,
    polarisation: str,
    settings: BackscatterSettings,
) -> np.ndarray:
    """Linear gamma0 (float32) of one polarisation and acquisition on one block.

    The steps: class levels at the reference incidence, the landslides' change after
    the event, the per-pixel and per-date terms (incidence residual, texture, season,
    moisture, change patches, calibration, snow), layover and shadow, then speckle and
    missing pixels.
    """
    pol_index = 0 if polarisation == cv.VAR_VV else 1
    level_db, exponent, texture_db, seasonal_db, moisture_db = _lookup_class_terms(
        block.land_cover, pol_index, conditions.seasonal
    )
    incidence_db = _compute_incidence_db(block, conditions.orbit, settings.incidence_deg)
    moisture = conditions.moisture.evaluate(
        np.arange(block.origin_px[0], block.origin_px[0] + block.land_cover.shape[0]),
        np.arange(block.origin_px[1], block.origin_px[1] + block.land_cover.shape[1]),
        settings.resolution_m,
    )
    if conditions.post_event:  # landslides: bared debris replaces part of the cover
        level_db += block.landslide_db
        if pol_index == 0:
            level_db += np.float32(settings.vv_incidence_gain) * block.exposure * incidence_db
        moisture_db += block.exposure * (np.float32(DEBRIS_MOISTURE_DB) - moisture_db)
        seasonal_db *= np.float32(1.0) - block.exposure
    level_db += (
        exponent * incidence_db
        + texture_db * block.texture
        + seasonal_db
        + moisture_db * moisture
        + conditions.patch_db[polarisation][block.patch_id]
        + np.float32(conditions.offset_db[polarisation] + conditions.snow_db)
    )
    gamma0 = _apply_radar_geometry(level_db, block.geometry_class, polarisation)
    rng = make_rng(settings.seed, f"speckle-{polarisation}", conditions.index, *block.block_index)
    gamma0 *= rng.standard_gamma(settings.enl, size=gamma0.shape, dtype=np.float32) / np.float32(
        settings.enl
    )
    _insert_nodata(gamma0, settings.nodata_fraction, rng)
    return gamma0.astype(np.float32, copy=False)


def _lookup_class_terms(
    land_cover: np.ndarray, pol_index: int, seasonal: float
) -> tuple[np.ndarray, ...]:
    """Per-pixel level, incidence exponent, texture, season and moisture terms (dB)
    of each pixel's scattering class (one gather per term)."""
    table = np.zeros((5, max(SCATTERING_CLASSES) + 1), dtype=np.float32)
    for code, cls in SCATTERING_CLASSES.items():
        table[:, code] = (
            cls.vh_db if pol_index else cls.vv_db,
            cls.vh_cos_exponent if pol_index else cls.vv_cos_exponent,
            cls.texture_db,
            cls.seasonal_db * seasonal * (1.0 if pol_index else 0.6),
            cls.moisture_db,
        )
    return tuple(row[land_cover] for row in table)


def _compute_incidence_db(block: BackscatterBlock, orbit: str, incidence_deg: float) -> np.ndarray:
    """``10 log10(cos θ_loc / cos θ)``: the residual of terrain flattening, in dB."""
    cos_loc = geometry.compute_cos_local_incidence(
        block.slope_rad, block.aspect_deg, incidence_deg=incidence_deg, orbit=orbit
    )
    cos_ref = np.float32(np.cos(np.deg2rad(incidence_deg)))
    cos_loc = np.nan_to_num(np.clip(cos_loc, 0.05, 1.0), nan=float(cos_ref))
    return np.float32(10.0) * np.log10(cos_loc / cos_ref)


def _apply_radar_geometry(
    level_db: np.ndarray, geometry_class: np.ndarray, polarisation: str
) -> np.ndarray:
    """Linear gamma0 from dB; layover brightened, shadow at the thermal noise floor."""
    gamma0 = np.power(np.float32(10.0), level_db / np.float32(10.0))
    gamma0[geometry_class == geometry.GEOMETRY_LAYOVER] *= np.float32(10 ** (LAYOVER_GAIN_DB / 10))
    gamma0[geometry_class == geometry.GEOMETRY_SHADOW] = 0.0
    gamma0 += np.float32(NOISE_FLOOR[polarisation])
    return gamma0


def _insert_nodata(values: np.ndarray, fraction: float, rng: np.random.Generator) -> None:
    """Set about ``fraction`` of pixels to exactly 0 or NaN, as real RTC products have."""
    count = int(rng.binomial(values.size, fraction)) if fraction > 0 else 0
    if count == 0:
        return
    flat = values.reshape(-1)
    where = rng.choice(values.size, size=count, replace=False)
    flat[where[: count // 2]] = 0.0
    flat[where[count // 2 :]] = np.nan


def generate_texture(shape: tuple[int, int], *, resolution_m: float, seed: int) -> np.ndarray:
    """Static unit-variance texture (float32): half pixel-scale, half ~100 m patches."""
    rng = make_rng(seed, "texture")
    smooth = generate_gaussian_field(
        shape,
        resolution_m=resolution_m,
        spectral_exponent=3.0,
        corner_wavelength_m=200.0,
        std=1.0,
        seed=seed,
        purpose="texture-patches",
    )
    white = rng.standard_normal(shape, dtype=np.float32)
    return ((smooth + white) * np.float32(np.sqrt(0.5))).astype(np.float32)
