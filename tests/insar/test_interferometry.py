"""Interferogram, multilooking and coherence on simulated pairs with known truth."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest

from sarslide.errors import DataSelectionError
from sarslide.insar.interferometry import (
    coherence_bias_at_zero,
    estimate_coherence,
    expected_coherence,
    multilook,
    simulate_slc_pair,
)


def _noise(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(np.complex64)


def test_multilook_shapes_isslide_and_boehm() -> None:
    array = np.arange(20 * 41, dtype=np.float32).reshape(20, 41)
    assert multilook(array, 8, 2).shape == (10, 5)  # 8 range (columns) x 2 azimuth (rows)
    assert multilook(array, 5, 1).shape == (20, 8)
    assert multilook(array, 8, 2)[0, 0] == pytest.approx(array[:2, :8].mean())


def test_multilook_rejects_bad_looks_and_tiny_arrays() -> None:
    with pytest.raises(DataSelectionError, match="looks_range=0"):
        multilook(np.zeros((4, 4)), 0, 1)
    with pytest.raises(DataSelectionError, match="smaller than one look window"):
        multilook(np.zeros((1, 4)), 8, 2)


def test_coherence_of_identical_slcs_is_one() -> None:
    slc = _noise(np.random.default_rng(0), (32, 64))
    result = estimate_coherence(slc, slc, looks_range=8, looks_azimuth=2)
    np.testing.assert_allclose(result.coherence, 1.0, atol=1e-5)
    np.testing.assert_allclose(result.phase_rad, 0.0, atol=1e-6)


def test_coherence_of_independent_noise_is_the_known_bias() -> None:
    rng = np.random.default_rng(1)
    a, b = _noise(rng, (400, 800)), _noise(rng, (400, 800))
    looks = 16  # 8 x 2
    coherence = estimate_coherence(a, b, looks_range=8, looks_azimuth=2).coherence
    # E|gamma_hat| for gamma = 0 and L looks: Gamma(L)Gamma(3/2)/Gamma(L+1/2) ~ sqrt(pi/(4L))
    expected = float(expected_coherence(0.0, looks))
    assert expected == pytest.approx(coherence_bias_at_zero(looks), rel=0.01)
    assert coherence.mean() == pytest.approx(expected, abs=0.005)
    assert coherence.mean() < 0.25  # "near 0" up to the estimator's bias


@pytest.mark.parametrize("true_coherence", [0.3, 0.6, 0.9])
def test_known_ramp_and_coherence_are_recovered(true_coherence: float) -> None:
    rng = np.random.default_rng(2)
    rows, cols = np.mgrid[0:256, 0:512]
    phase = 0.01 * cols + 0.02 * rows
    s1, s2 = simulate_slc_pair(phase, true_coherence, rng=rng)
    result = estimate_coherence(s1, s2, looks_range=8, looks_azimuth=2)
    # estimator bias for L = 16 looks (Touzi et al. 1999); the ramp varies < 0.1 rad per window
    assert result.coherence.mean() == pytest.approx(
        expected_coherence(true_coherence, 16), abs=0.01
    )
    ml_phase = multilook(phase, 8, 2)
    error = np.angle(np.exp(1j * (result.phase_rad - ml_phase)))
    assert abs(np.mean(error)) < 0.02
    assert np.std(error) < 1.2 * (1 - true_coherence) + 0.05


def test_lazy_dask_equals_eager() -> None:
    rng = np.random.default_rng(3)
    a, b = simulate_slc_pair(np.zeros((64, 96)), 0.7, rng=rng)
    eager = estimate_coherence(a, b)
    lazy = estimate_coherence(da.from_array(a, chunks=(30, 50)), da.from_array(b, chunks=(30, 50)))
    assert isinstance(lazy.coherence, da.Array)
    np.testing.assert_allclose(lazy.coherence.compute(), eager.coherence, atol=1e-6)
    np.testing.assert_allclose(lazy.phase_rad.compute(), eager.phase_rad, atol=1e-5)


def test_mismatched_pair_is_rejected() -> None:
    with pytest.raises(DataSelectionError, match="same shape"):
        estimate_coherence(np.zeros((4, 8), np.complex64), np.zeros((4, 9), np.complex64))


def test_zero_power_windows_get_zero_coherence() -> None:
    zeros = np.zeros((4, 16), np.complex64)
    assert np.all(estimate_coherence(zeros, zeros).coherence == 0)
