"""Goldstein phase filter: less noise, same fringes, lazy equals eager."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest

from sarslide.errors import DataSelectionError
from sarslide.insar.goldstein import filter_goldstein, filter_goldstein_lazy
from sarslide.insar.interferometry import simulate_slc_pair


def _fringes(shape: tuple[int, int] = (96, 128)) -> np.ndarray:
    rows, cols = np.mgrid[0 : shape[0], 0 : shape[1]]
    return 0.3 * cols + 0.15 * rows  # about 6 fringes across


def _phase_error(ifg: np.ndarray, phase: np.ndarray) -> np.ndarray:
    return np.angle(ifg * np.exp(-1j * phase))


def test_filter_reduces_noise_and_keeps_fringes() -> None:
    phase = _fringes()
    s1, s2 = simulate_slc_pair(phase, 0.5, rng=np.random.default_rng(0))
    noisy = s1 * np.conj(s2)
    filtered = filter_goldstein(noisy, alpha=0.8)
    noisy_err, filtered_err = _phase_error(noisy, phase), _phase_error(filtered, phase)
    assert np.std(filtered_err) < 0.5 * np.std(noisy_err)
    assert abs(np.mean(filtered_err)) < 0.05  # the fringes stay where they were


def test_alpha_zero_is_identity_on_clean_phase() -> None:
    ifg = np.exp(1j * _fringes()).astype(np.complex64)
    out = filter_goldstein(ifg, alpha=0.0)
    assert out.shape == ifg.shape and out.dtype == np.complex64
    np.testing.assert_allclose(_phase_error(out, _fringes()), 0.0, atol=1e-4)


def test_odd_sizes_and_small_images() -> None:
    ifg = np.exp(1j * _fringes((37, 53))).astype(np.complex64)
    assert filter_goldstein(ifg).shape == (37, 53)


def test_lazy_filter_equals_eager() -> None:
    s1, s2 = simulate_slc_pair(_fringes((150, 170)), 0.6, rng=np.random.default_rng(1))
    ifg = s1 * np.conj(s2)
    eager = filter_goldstein(ifg)
    lazy = filter_goldstein_lazy(da.from_array(ifg, chunks=(70, 90)), min_chunk_px=64)
    assert lazy.numblocks == (2, 2)
    np.testing.assert_allclose(lazy.compute(), eager, atol=1e-5)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"alpha": 1.5}, "alpha=1.5"), ({"patch_px": 30, "step_px": 8}, "multiple of step_px")],
)
def test_bad_parameters(kwargs: dict[str, float], match: str) -> None:
    with pytest.raises(DataSelectionError, match=match):
        filter_goldstein(np.ones((40, 40), np.complex64), **kwargs)


def test_real_input_is_rejected() -> None:
    with pytest.raises(DataSelectionError, match="complex"):
        filter_goldstein(np.ones((40, 40)))
