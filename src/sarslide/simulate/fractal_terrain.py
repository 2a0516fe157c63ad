"""Fractal terrain and smooth random fields by spectral synthesis.

A Gaussian random field with a power-law spectrum ``P(k) ∝ (k² + k0²)^(-β/2)`` is
filtered white noise in the Fourier domain. The amplitude is set from the
*theoretical* variance of the infinite stationary field, not from the sample, so a
small window shows less relief than a large one (as a crop of a real landscape
does) while slopes at the pixel scale are the same for every grid size.
"""

from __future__ import annotations

import numpy as np
import scipy.fft

from sarslide.simulate.seeding import make_rng


def generate_gaussian_field(
    shape: tuple[int, int],
    *,
    resolution_m: float,
    spectral_exponent: float,
    corner_wavelength_m: float,
    std: float,
    seed: int,
    purpose: str,
) -> np.ndarray:
    """A stationary Gaussian random field (float32) with a power-law spectrum.

    Args:
        shape: (rows, columns).
        resolution_m: pixel size.
        spectral_exponent: β in ``P(k) ∝ (k² + k0²)^(-β/2)``; 3 is rough, 4 smooth.
        corner_wavelength_m: wavelength ``1/k0`` above which the spectrum flattens
            (the size of the largest features).
        std: standard deviation of the infinite field (the sample's is smaller on
            grids shorter than the corner wavelength).
        seed: the cube's seed.
        purpose: key of the random stream (different fields, different purposes).
    """
    rows, cols = shape
    # Pad to reduce the periodic wrap-around of the FFT (opposite edges matching).
    pad_rows, pad_cols = _padded_size(rows), _padded_size(cols)
    ky = scipy.fft.fftfreq(pad_rows, d=resolution_m).astype("float32")
    kx = scipy.fft.rfftfreq(pad_cols, d=resolution_m).astype("float32")
    k0 = np.float32(1.0 / corner_wavelength_m)
    power = (ky[:, None] ** 2 + kx[None, :] ** 2 + k0**2) ** np.float32(-spectral_exponent / 2)
    # Theoretical variance: integral of P over the plane = 2π ∫ k (k² + k0²)^(-β/2) dk.
    variance_unit = 2 * np.pi * k0 ** (2 - spectral_exponent) / (spectral_exponent - 2)
    cell_area = (1.0 / (pad_rows * resolution_m)) * (1.0 / (pad_cols * resolution_m))
    # Unit white noise has E|FFT|² = N per coefficient and the inverse FFT divides by
    # N, so the field's variance is sum(A²) / N: A² = N * P * dk² gives sum(P dk²).
    n_cells = pad_rows * pad_cols
    scale = np.float32(n_cells * cell_area / variance_unit)
    amplitude = np.sqrt(power * scale) * np.float32(std)
    rng = make_rng(seed, purpose)
    white = rng.standard_normal((pad_rows, pad_cols), dtype=np.float32)
    spectrum = scipy.fft.rfft2(white, workers=1)
    spectrum *= amplitude
    field = scipy.fft.irfft2(spectrum, s=(pad_rows, pad_cols), workers=1)
    return np.ascontiguousarray(field[:rows, :cols], dtype=np.float32)


def _padded_size(n: int) -> int:
    return int(scipy.fft.next_fast_len(n + max(n // 4, 8), real=True))
