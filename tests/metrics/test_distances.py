"""Hausdorff distances against scipy's directed_hausdorff on known shapes."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import directed_hausdorff

from sarslide.errors import DataSelectionError
from sarslide.metrics.distances import (
    compute_directed_hausdorff,
    compute_hausdorff,
    compute_hausdorff95,
)


def _scipy_hausdorff(a: np.ndarray, b: np.ndarray) -> float:
    pa, pb = np.argwhere(a), np.argwhere(b)
    return max(directed_hausdorff(pa, pb)[0], directed_hausdorff(pb, pa)[0])


def _disk(shape: tuple[int, int], centre: tuple[float, float], radius: float) -> np.ndarray:
    rows, cols = np.mgrid[0 : shape[0], 0 : shape[1]]
    return (rows - centre[0]) ** 2 + (cols - centre[1]) ** 2 <= radius**2


def test_squares_offset_known_value() -> None:
    a = np.zeros((40, 40), bool)
    b = np.zeros((40, 40), bool)
    a[5:15, 5:15] = True
    b[8:18, 9:19] = True  # shifted by (3, 4): distance 5
    assert compute_hausdorff(a, b) == pytest.approx(5.0)
    assert compute_hausdorff(a, b) == pytest.approx(_scipy_hausdorff(a, b))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_scipy_on_disks_and_random_shapes(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a = _disk((50, 60), (20, 25), 8) | (rng.random((50, 60)) > 0.995)
    b = _disk((50, 60), (28, 30), 5)
    assert compute_hausdorff(a, b) == pytest.approx(_scipy_hausdorff(a, b))
    pa, pb = np.argwhere(a), np.argwhere(b)
    assert compute_directed_hausdorff(a, b) == pytest.approx(directed_hausdorff(pa, pb)[0])


def test_true_maximum_not_average() -> None:
    a = np.zeros((30, 30), bool)
    a[10:12, 10:12] = True
    b = a.copy()
    b[28, 28] = True  # one far outlier: max distance, not an average
    assert compute_hausdorff(a, b) == pytest.approx(np.hypot(28 - 11, 28 - 11))
    assert compute_hausdorff95(a, b) < compute_hausdorff(a, b)


def test_hd95_percentile_of_pooled_distances() -> None:
    a = np.zeros((1, 30), bool)
    b = np.zeros((1, 30), bool)
    a[0, :20] = True
    b[0, :10] = True  # a -> b distances 0..10 (10 zeros, then 1..10); b -> a all 0
    pooled = np.r_[np.zeros(10), np.arange(1, 11), np.zeros(10)]
    assert compute_hausdorff95(a, b) == pytest.approx(np.percentile(pooled, 95))


def test_empty_masks() -> None:
    empty = np.zeros((10, 10), bool)
    full = np.ones((10, 10), bool)
    assert compute_hausdorff(empty, empty) == 0.0
    assert np.isnan(compute_hausdorff(empty, full))
    assert compute_hausdorff95(full, empty, empty_value=14.1) == 14.1


def test_shape_mismatch() -> None:
    with pytest.raises(DataSelectionError, match="same non-empty shape"):
        compute_hausdorff(np.ones((3, 3)), np.ones((3, 4)))
