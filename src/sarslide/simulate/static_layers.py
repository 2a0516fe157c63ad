"""The static layers of a simulated cube: terrain, land cover, landslides, geometry.

Computed at once in numpy (float32 / uint8): the DEM by spectral synthesis, its
derivatives by ``sarslide.terrain``, land cover, static texture, landslide labels
and each landslide's change, non-landslide change patches, and layover/shadow
classes for both orbit directions.
"""

from __future__ import annotations

import numpy as np
import rioxarray  # noqa: F401
import xarray as xr
from scipy import ndimage

from sarslide import conventions as cv
from sarslide.simulate import geometry
from sarslide.simulate.backscatter import generate_texture
from sarslide.simulate.change_patches import place_change_patches
from sarslide.simulate.config import EventCubeSpec
from sarslide.simulate.fractal_terrain import generate_gaussian_field
from sarslide.simulate.land_cover import generate_land_cover
from sarslide.simulate.landslide_changes import draw_landslide_changes
from sarslide.simulate.landslides import (
    LandslideSizes,
    compute_landslide_susceptibility,
    place_landslides,
)
from sarslide.terrain import add_terrain_variables

DEM_SMOOTHING_PX = 1.0


def simulate_static_layers(spec: EventCubeSpec) -> xr.Dataset:
    """DEM and its derivatives, land cover, texture, landslides, layover/shadow (numpy).

    Internal layers (not written to cubes): ``land_cover``, ``texture``,
    ``landslide_exposure``, ``landslide_change_vv_db``/``_vh_db``, ``change_patch_id``
    (0 = none), ``geometry_ascending``/``geometry_descending``.
    """
    shape = (spec.height_px, spec.width_px)
    dem = generate_gaussian_field(
        shape,
        resolution_m=spec.resolution_m,
        spectral_exponent=spec.terrain_spectral_exponent,
        corner_wavelength_m=spec.terrain_corner_wavelength_m,
        std=spec.terrain_std_m,
        seed=spec.seed,
        purpose="terrain",
    )
    # A 10 m DEM is smoother than the fractal at the pixel scale (sensor footprint).
    dem = ndimage.gaussian_filter(dem, DEM_SMOOTHING_PX) + np.float32(spec.base_elevation_m)
    ds = xr.Dataset(
        {cv.VAR_DEM: (cv.SPATIAL_DIMS, dem, variable_attrs(cv.VAR_DEM))},
        coords=_spatial_coords(spec),
    ).rio.write_crs(spec.crs)
    ds = add_terrain_variables(ds, edges="extend")
    for name in (cv.VAR_DEM_SLOPE, cv.VAR_DEM_ASPECT, cv.VAR_DEM_CURVATURE):
        ds[name] = ds[name].astype(np.float32)
    slope = ds[cv.VAR_DEM_SLOPE].values
    aspect = ds[cv.VAR_DEM_ASPECT].values
    land_cover = generate_land_cover(
        slope,
        vegetation_fraction=spec.vegetation_fraction,
        built_up_fraction=spec.built_up_fraction,
        resolution_m=spec.resolution_m,
        seed=spec.seed,
    )
    susceptibility = compute_landslide_susceptibility(
        slope, ds[cv.VAR_DEM_CURVATURE].values, land_cover
    )
    labels = place_landslides(
        susceptibility,
        aspect,
        fraction=spec.landslide_fraction,
        resolution_m=spec.resolution_m,
        seed=spec.seed,
        sizes=LandslideSizes(
            spec.landslide_median_length_m,
            spec.landslide_length_log_std,
            *spec.landslide_length_range_m,
        ),
    )
    ds[cv.VAR_LANDSLIDES] = (cv.SPATIAL_DIMS, labels, variable_attrs(cv.VAR_LANDSLIDES))
    changes = draw_landslide_changes(
        labels,
        vv_change_db=spec.landslide_vv_change_db,
        vh_change_db=spec.landslide_vh_change_db,
        spread_db=spec.landslide_change_spread_db,
        vegetation_remaining=spec.landslide_vegetation_remaining,
        resolution_m=spec.resolution_m,
        seed=spec.seed,
    )
    ds["landslide_exposure"] = (cv.SPATIAL_DIMS, changes.exposure)
    ds["landslide_change_vv_db"] = (cv.SPATIAL_DIMS, changes.vv_db)
    ds["landslide_change_vh_db"] = (cv.SPATIAL_DIMS, changes.vh_db)
    ds["change_patch_id"] = (
        cv.SPATIAL_DIMS,
        place_change_patches(
            slope,
            labels,
            fraction=spec.confounder_fraction,
            max_slope_deg=spec.confounder_max_slope_deg,
            resolution_m=spec.resolution_m,
            seed=spec.seed,
        ),
    )
    ds["land_cover"] = (cv.SPATIAL_DIMS, land_cover)
    ds["texture"] = (
        cv.SPATIAL_DIMS,
        generate_texture(shape, resolution_m=spec.resolution_m, seed=spec.seed),
    )
    for orbit in cv.ORBIT_STATES:
        ds[f"geometry_{orbit}"] = (
            cv.SPATIAL_DIMS,
            geometry.compute_geometry_class(
                dem,
                resolution_m=spec.resolution_m,
                incidence_deg=spec.incidence_angle_deg,
                orbit=orbit,
            ),
        )
    return ds


def _spatial_coords(spec: EventCubeSpec) -> dict[str, np.ndarray]:
    res = spec.resolution_m
    return {
        cv.DIM_Y: spec.origin_y_m - res * (np.arange(spec.height_px) + 0.5),
        cv.DIM_X: spec.origin_x_m + res * (np.arange(spec.width_px) + 0.5),
    }


def variable_attrs(name: str) -> dict[str, str]:
    var = cv.VARIABLES[name]
    return {"units": var.units, "long_name": var.long_name}
