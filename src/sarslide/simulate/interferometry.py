"""Interferometric coherence and wrapped phase of one pair over one block.

The true coherence decays with the time between the two dates (temporal
decorrelation; fast in forest, slower on bare ground), is lost over fresh
landslides for a pair spanning the event, and is degraded in layover and absent in
shadow. The estimated coherence and the phase noise come from one complex sample
``z = γ + n`` with ``n`` circular Gaussian of variance ``(1 - γ²) / looks``: ``|z|``
has the estimator's upward bias at low coherence and ``arg z`` the phase noise that
grows as coherence drops. The phase signal is a turbulent atmospheric screen, a
height-correlated (stratified) delay and, for the pair spanning the event, a broad
co-seismic deformation bump. The phase is wrapped to (-π, π].
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from sarslide.simulate import geometry
from sarslide.simulate.land_cover import BARE, BUILT_UP, FOREST
from sarslide.simulate.seeding import make_rng
from sarslide.simulate.smooth_fields import PlaneWaveField, draw_plane_wave_field


@dataclass(frozen=True)
class TemporalCoherence:
    """``γ(Δt) = γ_long + (γ_short - γ_long) exp(-Δt / τ)``."""

    short: float
    long: float
    decay_days: float

    def at(self, dt_days: float) -> float:
        return self.long + (self.short - self.long) * float(np.exp(-dt_days / self.decay_days))


COHERENCE_MODELS: Final[dict[int, TemporalCoherence]] = {
    FOREST: TemporalCoherence(0.65, 0.18, 8.0),
    BARE: TemporalCoherence(0.75, 0.3, 12.0),
    BUILT_UP: TemporalCoherence(0.9, 0.8, 100.0),
}
DEBRIS_COHERENCE: Final = TemporalCoherence(0.7, 0.2, 10.0)  # landslide scar, after the event
FRESH_LANDSLIDE_COHERENCE: Final = 0.02  # surface destroyed between the two dates
LAYOVER_COHERENCE_FACTOR: Final = 0.6


@dataclass(frozen=True)
class PairConditions:
    """One interferometric pair: its dates and the signals in its phase."""

    index: int
    start: pd.Timestamp
    end: pd.Timestamp
    orbit: str
    spans_event: bool
    after_event: bool
    weather_factor: float  # multiplies coherence (rain, snow between the dates)
    atmosphere_rad: PlaneWaveField
    stratified_rad_per_m: float
    deformation_centre_px: tuple[float, float]
    deformation_sigma_px: float
    deformation_rad: float

    @property
    def dt_days(self) -> float:
        return (self.end - self.start) / pd.Timedelta(days=1)


def make_pair_conditions(
    pairs: Sequence[tuple[pd.Timestamp, pd.Timestamp, str]],
    *,
    event_start: pd.Timestamp,
    event_end: pd.Timestamp,
    shape: tuple[int, int],
    resolution_m: float,
    seed: int,
) -> list[PairConditions]:
    """Draw the conditions of every (start, end, orbit) pair from the seed."""
    out = []
    for index, (start, end, orbit) in enumerate(pairs):
        rng = make_rng(seed, "pair", index)
        spans = bool(start < event_end and end > event_start)
        winter = start.month in (12, 1, 2, 3) or end.month in (12, 1, 2, 3)
        out.append(
            PairConditions(
                index=index,
                start=start,
                end=end,
                orbit=orbit,
                spans_event=spans,
                after_event=bool(start >= event_end),
                weather_factor=float(rng.uniform(0.4, 0.8) if winter else rng.uniform(0.8, 1.0)),
                atmosphere_rad=draw_plane_wave_field(
                    rng,
                    n_waves=8,
                    min_wavelength_m=2000.0,
                    max_wavelength_m=40000.0,
                    std=float(rng.uniform(0.5, 2.0)),
                ),
                stratified_rad_per_m=float(rng.normal(0.0, 2.0e-3)),
                deformation_centre_px=(
                    float(rng.uniform(-0.5, 1.5) * shape[0]),
                    float(rng.uniform(-0.5, 1.5) * shape[1]),
                ),
                deformation_sigma_px=float(rng.uniform(3000.0, 10000.0) / resolution_m),
                deformation_rad=float(rng.normal(0.0, 8.0)) if spans else 0.0,
            )
        )
    return out


def simulate_interferometry_block(
    *,
    land_cover: np.ndarray,
    labels: np.ndarray,
    dem_m: np.ndarray,
    geometry_class: np.ndarray,
    conditions: PairConditions,
    looks: int,
    resolution_m: float,
    origin_px: tuple[int, int],
    seed: int,
    block_index: tuple[int, int],
) -> np.ndarray:
    """Coherence and wrapped phase (float32, shape (2, rows, cols)) of one pair.

    Args:
        land_cover: the block's land-cover classes.
        labels: the block's landslide labels.
        dem_m: the block's elevation.
        geometry_class: the block's layover/shadow classes for the pair's orbit.
        conditions: the pair's dates and phase signals.
        looks: number of looks of the coherence estimator.
        resolution_m: pixel size.
        origin_px: (row, column) of the block's first pixel in the whole grid.
        seed: with ``block_index``, the key of the block's random stream.
        block_index: the block's (row, column) in the block grid.
    """
    gamma = np.zeros(land_cover.shape, dtype=np.float32)
    for code, model in COHERENCE_MODELS.items():
        gamma[land_cover == code] = model.at(conditions.dt_days)
    landslide = labels > 0
    if conditions.after_event:
        gamma[landslide] = DEBRIS_COHERENCE.at(conditions.dt_days)
    elif conditions.spans_event:
        gamma[landslide] = FRESH_LANDSLIDE_COHERENCE
    gamma *= np.float32(conditions.weather_factor)
    gamma[geometry_class == geometry.GEOMETRY_LAYOVER] *= np.float32(LAYOVER_COHERENCE_FACTOR)
    gamma[geometry_class == geometry.GEOMETRY_SHADOW] = 0.0

    rng = make_rng(seed, "interferometry", conditions.index, *block_index)
    sigma = np.sqrt((1.0 - gamma**2) / (2.0 * looks)).astype(np.float32)
    real = gamma + sigma * rng.standard_normal(gamma.shape, dtype=np.float32)
    imag = sigma * rng.standard_normal(gamma.shape, dtype=np.float32)
    coherence = np.minimum(np.hypot(real, imag), np.float32(1.0))

    n_rows, n_cols = land_cover.shape
    rows = np.arange(origin_px[0], origin_px[0] + n_rows)
    cols = np.arange(origin_px[1], origin_px[1] + n_cols)
    signal = conditions.atmosphere_rad.evaluate(rows, cols, resolution_m)
    signal += np.float32(conditions.stratified_rad_per_m) * np.nan_to_num(dem_m, nan=0.0)
    if conditions.deformation_rad:
        r0, c0 = conditions.deformation_centre_px
        dist2 = (rows[:, None] - r0) ** 2 + (cols[None, :] - c0) ** 2
        bump = np.exp(-dist2 / (2 * conditions.deformation_sigma_px**2))
        signal += (conditions.deformation_rad * bump).astype(np.float32)
    phase = wrap_phase(signal + np.arctan2(imag, real))
    return np.stack([coherence, phase]).astype(np.float32, copy=False)


def wrap_phase(phase_rad: np.ndarray) -> np.ndarray:
    """Wrap to (-π, π] in float32: values at or below -float32(π) map to +float32(π)."""
    pi = np.float32(np.pi)
    wrapped = np.mod(phase_rad.astype(np.float32, copy=False) + pi, np.float32(2 * np.pi)) - pi
    return np.where(wrapped <= -pi, pi, wrapped)
