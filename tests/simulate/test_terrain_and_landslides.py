from __future__ import annotations

import numpy as np

from sarslide.simulate.fractal_terrain import generate_gaussian_field
from sarslide.simulate.landslides import compute_landslide_susceptibility, place_landslides


def _field(shape: tuple[int, int], seed: int = 0) -> np.ndarray:
    return generate_gaussian_field(
        shape,
        resolution_m=10.0,
        spectral_exponent=4.0,
        corner_wavelength_m=500.0,
        std=50.0,
        seed=seed,
        purpose="test",
    )


def test_fractal_field_is_float32_seeded_and_has_the_requested_std() -> None:
    field = _field((256, 256))
    assert field.dtype == np.float32 and field.shape == (256, 256)
    np.testing.assert_array_equal(field, _field((256, 256)))
    assert not np.array_equal(field, _field((256, 256), seed=1))
    assert 35.0 < field.std() < 60.0  # 256 px = 5 corner wavelengths: close to 50


def test_fractal_relief_grows_with_the_window_while_pixel_slopes_stay() -> None:
    small, large = _field((32, 32)), _field((512, 512))
    assert np.ptp(small) < np.ptp(large)
    slope_small = np.abs(np.diff(small, axis=1)).mean()
    slope_large = np.abs(np.diff(large, axis=1)).mean()
    assert 0.7 < slope_small / slope_large < 1.3


def test_susceptibility_rises_with_slope_and_concavity() -> None:
    slope = np.deg2rad(np.array([[10.0, 30.0, 45.0]] * 3, np.float32))
    flat_curv = np.zeros_like(slope)
    s = compute_landslide_susceptibility(slope, flat_curv)
    assert (np.diff(s, axis=1) > 0).all()
    hollow = compute_landslide_susceptibility(slope, np.full_like(slope, -1.0) + 0 * slope)
    mixed = np.zeros((3, 3), np.float32)
    mixed[:, 0] = -3.0  # concave column
    mixed[:, 2] = 3.0
    m = compute_landslide_susceptibility(np.full((3, 3), np.deg2rad(30.0), np.float32), mixed)
    assert m[1, 0] > m[1, 2]
    assert np.isfinite(hollow).all()


def test_landslides_reach_the_fraction_and_run_downslope() -> None:
    shape = (200, 200)
    susceptibility = np.ones(shape, np.float32)
    east_facing = np.full(shape, 90.0, np.float32)  # downslope is +x (columns)
    labels = place_landslides(susceptibility, east_facing, fraction=0.06, resolution_m=10.0, seed=0)
    assert labels.dtype == np.uint8 and set(np.unique(labels)) == {0, 1}
    assert 0.055 < labels.mean() < 0.07
    # each blob is longer along x than along y: per-blob spread via connected components
    from scipy import ndimage

    blobs, count = ndimage.label(labels)
    elongation = []
    for index in range(1, count + 1):
        r, c = np.nonzero(blobs == index)
        if r.size > 20:
            elongation.append(np.ptp(c) / max(np.ptp(r), 1))
    assert np.median(elongation) > 1.3
    assert (
        place_landslides(susceptibility, east_facing, fraction=0.0, resolution_m=10.0, seed=0).sum()
        == 0
    )


def test_landslides_start_where_susceptibility_is_high() -> None:
    shape = (120, 120)
    susceptibility = np.zeros(shape, np.float32)
    susceptibility[:, 60:] = 1.0
    labels = place_landslides(
        susceptibility, np.full(shape, 180.0, np.float32), fraction=0.05, resolution_m=10.0, seed=1
    )
    assert labels[:, 64:].sum() > 20 * labels[:, :56].sum()
