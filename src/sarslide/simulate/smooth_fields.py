"""Smooth random fields defined everywhere: sums of random plane waves.

Unlike an FFT field, a plane-wave sum can be evaluated on any block of the grid on
its own, so per-date fields (soil moisture, atmospheric delay) come out identical
whichever chunk they are computed in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PlaneWaveField:
    """``sum_i a_i cos(kx_i x + ky_i y + φ_i)`` with x, y in metres from the grid corner."""

    kx_rad_per_m: np.ndarray
    ky_rad_per_m: np.ndarray
    phase_rad: np.ndarray
    amplitude: np.ndarray

    def evaluate(self, rows: np.ndarray, cols: np.ndarray, resolution_m: float) -> np.ndarray:
        """Values (float32) on the block of pixel ``rows`` x ``cols`` (1-D index arrays)."""
        y_m = rows.astype(np.float64) * resolution_m
        x_m = cols.astype(np.float64) * resolution_m
        # cos(kx x + ky y + φ) = cos(ky y) cos(kx x + φ) - sin(ky y) sin(kx x + φ): the sum
        # over waves is one matrix product (rows x 2n) @ (2n x cols).
        along_y = np.outer(y_m, self.ky_rad_per_m)
        along_x = np.outer(self.kx_rad_per_m, x_m) + self.phase_rad[:, None]
        left = np.concatenate([np.cos(along_y), -np.sin(along_y)], axis=1).astype(np.float32)
        amp = self.amplitude[:, None]
        right = np.concatenate([amp * np.cos(along_x), amp * np.sin(along_x)]).astype(np.float32)
        return left @ right


def draw_plane_wave_field(
    rng: np.random.Generator,
    *,
    n_waves: int,
    min_wavelength_m: float,
    max_wavelength_m: float,
    std: float,
) -> PlaneWaveField:
    """A random plane-wave field of standard deviation ``std``.

    Wavelengths are log-uniform between the bounds, directions uniform, and the
    amplitudes decay with frequency (longer waves carry more variance).
    """
    wavelength = np.exp(rng.uniform(np.log(min_wavelength_m), np.log(max_wavelength_m), n_waves))
    direction = rng.uniform(0, 2 * np.pi, n_waves)
    k = 2 * np.pi / wavelength
    weight = wavelength / wavelength.sum()
    # Each cosine has variance a²/2: with sum(weight) = 1 the sum has variance std².
    amplitude = std * np.sqrt(2 * weight)
    return PlaneWaveField(
        kx_rad_per_m=k * np.sin(direction),
        ky_rad_per_m=-k * np.cos(direction),
        phase_rad=rng.uniform(0, 2 * np.pi, n_waves),
        amplitude=amplitude,
    )
