"""Terrain derivatives of DEMs: slope, aspect, total/plan/profile curvature.

GDAL's angle and sign conventions, Horn and Zevenbergen-Thorne methods, nodata kept
as nodata, lazy over dask chunks. See docs/terrain.md.
"""

from sarslide.terrain.dataset import add_terrain_variables
from sarslide.terrain.derivatives import (
    compute_aspect,
    compute_curvature,
    compute_plan_curvature,
    compute_profile_curvature,
    compute_slope,
)
from sarslide.terrain.spacing import PixelSpacing, resolve_pixel_spacing

__all__ = [
    "PixelSpacing",
    "add_terrain_variables",
    "compute_aspect",
    "compute_curvature",
    "compute_plan_curvature",
    "compute_profile_curvature",
    "compute_slope",
    "resolve_pixel_spacing",
]
