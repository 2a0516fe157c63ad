"""Side-looking radar geometry: local incidence angle, layover and shadow.

Sentinel-1 looks to the right of its track. Ascending passes fly north-north-west
and look east-north-east; descending passes fly south-south-west and look
west-south-west. Angles are in the map frame: azimuths clockwise from north.
"""

from __future__ import annotations

from typing import Final

import numpy as np

from sarslide import conventions as cv

# Horizontal direction of the radar beam (from the sensor to the ground), degrees
# clockwise from north, for Sentinel-1 near 43°N (heading -12° / 192°, right-looking).
LOOK_AZIMUTH_DEG: Final[dict[str, float]] = {cv.ORBIT_ASCENDING: 78.0, cv.ORBIT_DESCENDING: 282.0}

GEOMETRY_NORMAL: Final = 0
GEOMETRY_LAYOVER: Final = 1
GEOMETRY_SHADOW: Final = 2


def compute_cos_local_incidence(
    slope_rad: np.ndarray, aspect_deg: np.ndarray, *, incidence_deg: float, orbit: str
) -> np.ndarray:
    """Cosine of the angle between the surface normal and the direction to the sensor.

    ``cos θ_loc = cos β cos θ - sin β sin θ cos(A - φ)`` with slope β, aspect A (the
    direction the slope faces), ellipsoid incidence θ and look azimuth φ: a slope
    facing the sensor (A ≈ φ + 180°) sees the beam more steeply. Negative values are
    slopes turned away beyond grazing (shadow). Float32.
    """
    theta = np.deg2rad(np.float32(incidence_deg))
    relative = np.deg2rad(aspect_deg - np.float32(LOOK_AZIMUTH_DEG[orbit]))
    cos_loc = np.cos(slope_rad) * np.cos(theta) - np.sin(slope_rad) * np.sin(theta) * np.cos(
        relative
    )
    return cos_loc.astype(np.float32, copy=False)


def compute_geometry_class(
    dem_m: np.ndarray, *, resolution_m: float, incidence_deg: float, orbit: str
) -> np.ndarray:
    """Layover / shadow classes (uint8: 0 normal, 1 layover, 2 shadow) along image rows.

    The beam is taken along the rows (east for ascending, west for descending; the
    ~12° heading is ignored here). Shadow: an earlier point along the beam rises
    above the ray to this one, i.e. ``z + x cot θ`` falls below its running maximum.
    Layover: slant range ``x sin θ - z cos θ`` is not increasing with ground range;
    both the foreshortened slope (active) and the ground it folds over (passive).
    NaN heights are treated as flat ground at the row's lowest height.
    """
    dem = np.asarray(dem_m, dtype=np.float32)
    if orbit == cv.ORBIT_DESCENDING:
        dem = dem[:, ::-1]
    dem = np.where(np.isfinite(dem), dem, np.nanmin(dem, axis=1, keepdims=True, initial=0.0))
    theta = np.deg2rad(incidence_deg)
    ground_m = (np.arange(dem.shape[1], dtype=np.float32) * np.float32(resolution_m))[None, :]
    ray = dem + ground_m * np.float32(1.0 / np.tan(theta))
    shadow = np.zeros(dem.shape, dtype=bool)
    shadow[:, 1:] = np.maximum.accumulate(ray, axis=1)[:, :-1] > ray[:, 1:] + 1e-3
    slant = ground_m * np.float32(np.sin(theta)) - dem * np.float32(np.cos(theta))
    layover = np.zeros(dem.shape, dtype=bool)
    layover[:, 1:] = np.maximum.accumulate(slant, axis=1)[:, :-1] > slant[:, 1:]
    reverse_min = np.minimum.accumulate(slant[:, ::-1], axis=1)[:, ::-1]
    layover[:, :-1] |= reverse_min[:, 1:] < slant[:, :-1]
    classes = np.full(dem.shape, GEOMETRY_NORMAL, dtype=np.uint8)
    classes[layover] = GEOMETRY_LAYOVER
    classes[shadow] = GEOMETRY_SHADOW
    if orbit == cv.ORBIT_DESCENDING:
        classes = classes[:, ::-1]
    return np.ascontiguousarray(classes)
