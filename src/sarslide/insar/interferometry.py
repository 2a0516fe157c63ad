"""Interferogram, multilooking and coherence from a co-registered SLC pair.

Arrays are 2-D ``(azimuth, range)``: rows are azimuth lines, columns range samples.
Looks are given as ``looks_range x looks_azimuth`` (8 x 2 for ISSLIDE, 5 x 1 for the
Boehm et al. cubes). Every function accepts numpy or dask arrays; with dask nothing is
computed until asked (multilooking is ``dask.array.coarsen`` on look-aligned chunks).

Coherence estimator (sample coherence over the ``L = looks_range * looks_azimuth``
samples of one look window)::

    gamma_hat = |sum s1 conj(s2)| / sqrt(sum |s1|^2 * sum |s2|^2)

It is biased upwards for low coherence. For ``L`` independent looks the expected
magnitude is (Touzi et al. 1999, eq. 20)::

    E|gamma_hat| = Gamma(L) Gamma(3/2) / Gamma(L + 1/2)
                   * 3F2(3/2, L, L; L + 1/2, 1; |gamma|^2) * (1 - |gamma|^2)^L

which for ``gamma = 0`` reduces to ``Gamma(L) Gamma(3/2) / Gamma(L + 1/2)``, close to
``sqrt(pi / (4 L))`` for large ``L`` (0.222 for L = 16). :func:`expected_coherence`
evaluates it; the tests compare simulated pairs against it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import dask.array as da
import numpy as np
from scipy.special import gammaln

from sarslide.errors import DataSelectionError

logger = logging.getLogger(__name__)

ISSLIDE_LOOKS: tuple[int, int] = (8, 2)  # range x azimuth
BOEHM_LOOKS: tuple[int, int] = (5, 1)


@dataclass(frozen=True)
class InterferogramResult:
    """A multilooked interferogram: complex values, wrapped phase and coherence."""

    interferogram: Any  # complex (azimuth, range), numpy or dask
    phase_rad: Any  # float32 in [-pi, pi]
    coherence: Any  # float32 in [0, 1]
    looks_range: int
    looks_azimuth: int


def _is_dask(array: Any) -> bool:
    return type(array).__module__.startswith("dask")


def check_looks(looks_range: int, looks_azimuth: int) -> None:
    """Raise if a look count is not a positive integer."""
    for name, value in (("looks_range", looks_range), ("looks_azimuth", looks_azimuth)):
        if int(value) != value or value < 1:
            raise DataSelectionError(
                f"Invalid {name}={value!r}: looks must be positive integers "
                f"(ISSLIDE uses 8 x 2 range x azimuth, the Boehm cubes 5 x 1)."
            )


def check_pair(reference: Any, secondary: Any) -> None:
    """Raise if two SLCs cannot form an interferogram."""
    if reference.ndim != 2 or reference.shape != secondary.shape:
        raise DataSelectionError(
            f"The SLC pair must be two 2-D (azimuth, range) arrays of the same shape; got "
            f"{reference.shape} and {secondary.shape}. Co-register and crop them first."
        )


def multilook(array: Any, looks_range: int, looks_azimuth: int) -> Any:
    """Mean over non-overlapping ``looks_azimuth x looks_range`` windows.

    Trailing lines/samples that do not fill a window are dropped, so the output shape
    is ``(rows // looks_azimuth, cols // looks_range)``. Works lazily on dask arrays.
    """
    check_looks(looks_range, looks_azimuth)
    rows, cols = array.shape[-2:]
    out_rows, out_cols = rows // looks_azimuth, cols // looks_range
    if out_rows == 0 or out_cols == 0:
        raise DataSelectionError(
            f"Array of shape {array.shape} is smaller than one look window "
            f"({looks_azimuth} azimuth x {looks_range} range)."
        )
    trimmed = array[..., : out_rows * looks_azimuth, : out_cols * looks_range]
    if _is_dask(trimmed):
        axis_r, axis_c = trimmed.ndim - 2, trimmed.ndim - 1
        chunks = list(trimmed.chunks)
        chunks[axis_r] = _aligned_chunks(
            trimmed.shape[axis_r], trimmed.chunks[axis_r], looks_azimuth
        )
        chunks[axis_c] = _aligned_chunks(trimmed.shape[axis_c], trimmed.chunks[axis_c], looks_range)
        trimmed = trimmed.rechunk(tuple(chunks))
        return da.coarsen(np.mean, trimmed, {axis_r: looks_azimuth, axis_c: looks_range})
    shape = (*trimmed.shape[:-2], out_rows, looks_azimuth, out_cols, looks_range)
    return trimmed.reshape(shape).mean(axis=(-3, -1))


def _aligned_chunks(size: int, chunks: tuple[int, ...], factor: int) -> tuple[int, ...]:
    """Chunk sizes near the current ones, each a multiple of ``factor``."""
    target = max(factor, (max(chunks) // factor) * factor)
    full, rest = divmod(size, target)
    return (target,) * full + ((rest,) if rest else ())


def form_interferogram(reference: Any, secondary: Any) -> Any:
    """Full-resolution interferogram ``reference * conj(secondary)``."""
    check_pair(reference, secondary)
    return reference * np.conj(secondary)


def estimate_coherence(
    reference: Any, secondary: Any, *, looks_range: int = 8, looks_azimuth: int = 2
) -> InterferogramResult:
    """Multilooked interferogram, phase and sample coherence of a co-registered pair.

    Args:
        reference: complex SLC (azimuth, range), numpy or dask.
        secondary: complex SLC co-registered on ``reference``.
        looks_range: looks in range (columns).
        looks_azimuth: looks in azimuth (rows).

    Returns:
        The multilooked complex interferogram, its phase in radians and the sample
        coherence (biased for low coherence: see :func:`expected_coherence`). Windows
        with no power get coherence 0 and phase 0.
    """
    check_pair(reference, secondary)
    check_looks(looks_range, looks_azimuth)
    lib = _array_module(reference)
    cross = multilook(form_interferogram(reference, secondary), looks_range, looks_azimuth)
    power_ref = multilook(lib.abs(reference) ** 2, looks_range, looks_azimuth)
    power_sec = multilook(lib.abs(secondary) ** 2, looks_range, looks_azimuth)
    denominator = lib.sqrt(power_ref * power_sec)
    safe = lib.where(denominator > 0, denominator, 1.0)
    coherence = lib.where(denominator > 0, lib.abs(cross) / safe, 0.0)
    coherence = lib.clip(coherence, 0.0, 1.0).astype(np.float32)
    phase = lib.angle(cross).astype(np.float32)
    return InterferogramResult(
        interferogram=cross.astype(np.complex64),
        phase_rad=phase,
        coherence=coherence,
        looks_range=looks_range,
        looks_azimuth=looks_azimuth,
    )


def _array_module(array: Any) -> Any:
    if _is_dask(array):
        return da
    return np


def expected_coherence(true_coherence: float | np.ndarray, looks: int) -> np.ndarray:
    """Expected sample-coherence magnitude for ``looks`` independent looks.

    Touzi et al. (1999), eq. 20; exact series for the 3F2 hypergeometric function
    (converges for ``|gamma| < 1``; ``gamma = 1`` returns 1).
    """
    if looks < 1:
        raise DataSelectionError(f"Invalid looks={looks}: must be >= 1.")
    gamma = np.atleast_1d(np.asarray(true_coherence, dtype=np.float64))
    if np.any((gamma < 0) | (gamma > 1)):
        raise DataSelectionError(f"true_coherence must lie in [0, 1]; got {true_coherence!r}.")
    z = gamma**2
    prefactor = np.exp(gammaln(looks) + gammaln(1.5) - gammaln(looks + 0.5))
    total = np.zeros_like(z)
    term = np.ones_like(z)
    for k in range(20000):
        total += term
        term = term * (1.5 + k) * (looks + k) ** 2 / ((looks + 0.5 + k) * (1 + k) ** 2) * z
        if np.all(term < 1e-12 * np.maximum(total, 1e-300)):
            break
    with np.errstate(invalid="ignore"):
        result = prefactor * total * (1.0 - z) ** looks
    result = np.where(gamma >= 1.0, 1.0, result)
    return result if np.ndim(true_coherence) else result.reshape(())


def coherence_bias_at_zero(looks: int) -> float:
    """Approximate expected sample coherence for true coherence 0: ``sqrt(pi / (4 L))``."""
    return float(np.sqrt(np.pi / (4.0 * looks)))


def simulate_slc_pair(
    phase_rad: np.ndarray,
    coherence: np.ndarray | float,
    *,
    rng: np.random.Generator,
    amplitude: np.ndarray | float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Two circular-Gaussian SLCs whose true interferometric phase and coherence are given.

    ``s1 = a``, ``s2 = (gamma a + sqrt(1 - gamma^2) b) * exp(-i phase)`` with ``a``, ``b``
    independent unit-variance complex Gaussians, so ``E[s1 conj(s2)] = gamma exp(i phase)``.
    """
    phase = np.asarray(phase_rad, dtype=np.float64)
    gamma = np.broadcast_to(np.asarray(coherence, dtype=np.float64), phase.shape)
    if np.any((gamma < 0) | (gamma > 1)):
        raise DataSelectionError("Simulated coherence must lie in [0, 1].")
    shape = phase.shape
    scale = np.sqrt(0.5)
    a = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) * scale
    b = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)) * scale
    s1 = a * amplitude
    s2 = (gamma * a + np.sqrt(1.0 - gamma**2) * b) * np.exp(-1j * phase) * amplitude
    return s1.astype(np.complex64), s2.astype(np.complex64)
