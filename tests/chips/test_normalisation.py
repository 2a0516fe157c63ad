"""Normalisation: train pixels only, NaN ignored, NaN -> 0, travels as a dict."""

from __future__ import annotations

import numpy as np
import pytest

from sarslide.chips import ChipArrays, NormalisationStats, compute_normalisation
from sarslide.errors import DataSelectionError


def _chips(values: np.ndarray) -> ChipArrays:
    n = values.shape[0]
    return ChipArrays(
        values.astype(np.float32),
        np.zeros((n, 4, 4), np.uint8),
        np.zeros((n, 2), np.int64),
        ["a", "b"],
    )


def test_stats_are_per_channel_and_ignore_nan() -> None:
    rng = np.random.default_rng(0)
    values = rng.normal([[[[1.0]], [[-3.0]]]], [[[[2.0]], [[0.5]]]], size=(50, 2, 4, 4))
    values[0, 0, 0, 0] = np.nan
    stats = compute_normalisation(_chips(values))
    flat = values.transpose(1, 0, 2, 3).reshape(2, -1)
    np.testing.assert_allclose(stats.mean, np.nanmean(flat, axis=1), rtol=1e-5)
    np.testing.assert_allclose(stats.std, np.nanstd(flat, axis=1), rtol=1e-5)


def test_apply_standardises_and_maps_nan_to_zero_with_a_mask() -> None:
    stats = NormalisationStats(["a", "b"], [1.0, -2.0], [2.0, 0.5])
    x = np.array([[[[3.0, np.nan]], [[-2.0, -1.0]]]], dtype=np.float32)  # (1, 2, 1, 2)
    out = stats.apply(x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [[[[1.0, 0.0]], [[0.0, 2.0]]]])
    np.testing.assert_array_equal(stats.nodata_mask(x), [[[False, True]]])
    with pytest.raises(DataSelectionError, match="3 channels"):
        stats.apply(np.zeros((1, 3, 2, 2)))


def test_round_trip_through_dict() -> None:
    stats = NormalisationStats(["a", "b"], [1.0, -2.0], [2.0, 0.5], n_pixels=7)
    back = NormalisationStats.from_dict(stats.to_dict())
    assert back.channel_names == ["a", "b"] and back.n_pixels == 7
    np.testing.assert_array_equal(back.mean, stats.mean)


def test_channel_without_valid_pixels_is_a_clear_error() -> None:
    values = np.zeros((2, 2, 4, 4))
    values[:, 1] = np.nan
    with pytest.raises(DataSelectionError, match="'b' has no valid"):
        compute_normalisation(_chips(values))


def test_slab_moments_equal_a_direct_float64_computation() -> None:
    from sarslide.chips.normalisation import SLAB_CHIPS, _channel_moments

    rng = np.random.default_rng(3)
    values = rng.normal(-0.7, 0.25, (2 * SLAB_CHIPS + 5, 8, 8)).astype(np.float32)
    values[1, 2:5, 3] = np.nan
    values[SLAB_CHIPS + 2] = np.nan  # a whole chip of nodata inside a slab
    direct = values.astype(np.float64)[~np.isnan(values)]
    count, mean, variance = _channel_moments(values)
    assert count == direct.size
    np.testing.assert_allclose(mean, direct.mean(), rtol=1e-12)
    np.testing.assert_allclose(variance, direct.var(), rtol=1e-10)
