from __future__ import annotations

import numpy as np
import pytest

from sarslide.simulate import geometry
from sarslide.simulate.config import EventCubeSpec
from sarslide.simulate.static_layers import simulate_static_layers


def _ridge(height_m: float, half_width_px: int = 10, cols: int = 60) -> np.ndarray:
    """A symmetric north-south ridge: west face rises, east face falls (one row x cols)."""
    x = np.arange(cols)
    profile = np.clip(height_m * (1 - np.abs(x - cols / 2) / half_width_px), 0, None)
    return np.tile(profile.astype(np.float32), (3, 1))


def test_flat_ground_sees_the_ellipsoid_incidence_angle() -> None:
    cos = geometry.compute_cos_local_incidence(
        np.zeros((2, 2), np.float32),
        np.zeros((2, 2), np.float32),
        incidence_deg=36.0,
        orbit="ascending",
    )
    np.testing.assert_allclose(cos, np.cos(np.deg2rad(36.0)), rtol=1e-6)


@pytest.mark.parametrize(("orbit", "facing_deg"), [("ascending", 258.0), ("descending", 102.0)])
def test_a_slope_facing_the_sensor_at_the_incidence_angle_is_seen_head_on(
    orbit: str, facing_deg: float
) -> None:
    slope = np.full((1, 1), np.deg2rad(36.0), np.float32)
    towards = geometry.compute_cos_local_incidence(
        slope, np.full((1, 1), facing_deg, np.float32), incidence_deg=36.0, orbit=orbit
    )
    away = geometry.compute_cos_local_incidence(
        slope,
        np.full((1, 1), (facing_deg + 180) % 360, np.float32),
        incidence_deg=36.0,
        orbit=orbit,
    )
    np.testing.assert_allclose(towards, 1.0, atol=1e-6)
    assert away[0, 0] < 0.35  # grazing on the far side


def test_steep_ridge_gives_layover_facing_and_shadow_behind_the_sensor() -> None:
    dem = _ridge(height_m=200.0, half_width_px=10)  # 20 m per 10 m px: 63° faces
    ascending = geometry.compute_geometry_class(
        dem, resolution_m=10.0, incidence_deg=36.0, orbit="ascending"
    )
    row = ascending[1]
    # ascending looks east: the west face (columns 20-30) lays over, the east face shadows
    assert (row[21:30] == geometry.GEOMETRY_LAYOVER).all()
    assert (row[31:40] == geometry.GEOMETRY_SHADOW).all()
    descending = geometry.compute_geometry_class(
        dem, resolution_m=10.0, incidence_deg=36.0, orbit="descending"
    )
    assert (descending[1][31:40] == geometry.GEOMETRY_LAYOVER).all()
    assert (descending[1][21:30] == geometry.GEOMETRY_SHADOW).all()


def test_gentle_terrain_has_no_layover_or_shadow() -> None:
    dem = _ridge(height_m=30.0, half_width_px=10)  # 17° faces
    classes = geometry.compute_geometry_class(
        dem, resolution_m=10.0, incidence_deg=36.0, orbit="ascending"
    )
    assert (classes == geometry.GEOMETRY_NORMAL).all()


def test_layover_appears_in_steep_simulated_terrain_and_grows_with_relief() -> None:
    def share(std_m: float) -> tuple[float, float]:
        static = simulate_static_layers(
            EventCubeSpec(height_px=96, width_px=96, terrain_std_m=std_m)
        )
        classes = static["geometry_ascending"].values
        return float((classes == 1).mean()), float((classes == 2).mean())

    gentle, steep = share(20.0), share(400.0)
    assert gentle[0] < 0.005
    assert steep[0] > 0.05 and steep[1] > 0.0
