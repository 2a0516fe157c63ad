"""A small replica of a published datacube (Boehm et al. 2022, Zenodo record 7248056).

Laid out as the four public cubes are (docs/build.md, "The replica of a published
cube"): a Zarr v2 store with consolidated metadata written by xarray, not by sarslide
(no chunk manifest); dims ``timestep``, ``timepair``, ``y``, ``x``; ``vv``/``vh``
(timestep, y, x) linear gamma0; ``dem``, ``dem_aspect``, ``dem_slope_radians``,
``dem_curvature`` and the extra ``dem_slope_riserun``, ``extraction_mask``,
``old_landslides``, ``reactivated_landslides`` (y, x); ``landslides`` (y, x) float
with NaN outside the mapped area; ``interferogram``/``coherence`` (timepair, y, x);
the orbit state per timestep as the single letters 'a'/'d' the paper's code selects
with (``ds['sat:orbit_state'] == 'd'``); the CRS written by rioxarray (``spatial_ref``
with ``crs_wkt`` and ``GeoTransform``, ``grid_mapping`` on each variable). Values are
random but realistic (linear VV mean ~0.2 with a heavy tail, VH ~0.05, as in
tests/../shared/data/README.md), with brighter VV/VH after the event inside landslides.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

CRS = "EPSG:32654"  # Hokkaido's UTM zone
EVENT = ("2018-09-05T18:08:00", "2018-09-07T00:00:00")


def write_zenodo_replica(
    path: Path,
    *,
    size_px: int = 96,
    timesteps: int = 8,
    orbit_states: list[str | bytes] | None = None,
    seed: int = 0,
) -> Path:
    """Write the replica store at ``path`` (``*.zarr``) and return it."""
    import rioxarray  # noqa: F401  (registers .rio)

    rng = np.random.default_rng(seed)
    shape = (size_px, size_px)
    times = pd.date_range("2018-08-01T20:40:00", periods=timesteps, freq="6D")
    states = orbit_states or ["d" if n % 3 else "a" for n in range(timesteps)]
    y = 4_750_000.0 - 10.0 * (np.arange(size_px) + 0.5)
    x = 540_000.0 + 10.0 * (np.arange(size_px) + 0.5)
    yy, xx = np.mgrid[0:size_px, 0:size_px]
    slides = np.zeros(shape, dtype="float32")
    for cy, cx, r in ((20, 24, 7), (60, 70, 9), (75, 20, 6), (30, 75, 8)):
        slides[(yy - cy) ** 2 + (xx - cx) ** 2 <= r**2] = 1.0
    mapped = np.ones(shape, dtype=bool)
    mapped[:, -6:] = False  # outside the mapped area: NaN labels
    landslides = np.where(mapped, slides, np.nan).astype("float32")
    after = times > pd.Timestamp(EVENT[1])
    vv = rng.gamma(2.0, 0.1, (timesteps, *shape)).astype("float32")
    vh = rng.gamma(2.0, 0.025, (timesteps, *shape)).astype("float32")
    vv[after] *= np.where(slides > 0, 2.5, 1.0).astype("float32")
    vh[after] *= np.where(slides > 0, 2.0, 1.0).astype("float32")
    vv[0, :3, :3] = np.nan  # nodata at a corner, as at scene edges
    dem = (300.0 + 2.0 * yy + 40.0 * np.sin(xx / 9.0)).astype("float32")
    gy, gx = np.gradient(dem, 10.0)
    riserun = np.hypot(gx, gy).astype("float32")
    n_pairs = timesteps - 1
    pair_start, pair_end = times[:-1], times[1:]
    dims3 = ("timestep", "y", "x")
    ds = xr.Dataset(
        {
            "vv": (dims3, vv),
            "vh": (dims3, vh),
            "dem": (("y", "x"), dem),
            "dem_aspect": (("y", "x"), np.degrees(np.arctan2(-gx, gy)).astype("float32") % 360),
            "dem_slope_radians": (("y", "x"), np.arctan(riserun).astype("float32")),
            "dem_slope_riserun": (("y", "x"), riserun),
            "dem_curvature": (("y", "x"), rng.normal(0, 0.5, shape).astype("float32")),
            "landslides": (("y", "x"), landslides),
            "extraction_mask": (("y", "x"), mapped.astype("float32")),
            "old_landslides": (("y", "x"), np.zeros(shape, dtype="float32")),
            "reactivated_landslides": (("y", "x"), np.zeros(shape, dtype="float32")),
            "interferogram": (
                ("timepair", "y", "x"),
                rng.uniform(-np.pi, np.pi, (n_pairs, *shape)).astype("float32"),
            ),
            "coherence": (
                ("timepair", "y", "x"),
                rng.uniform(0.1, 0.6, (n_pairs, *shape)).astype("float32"),
            ),
        },
        coords={
            "timestep": times.values,
            "timepair": np.arange(n_pairs),
            "timepair_start": ("timepair", pair_start.values),
            "timepair_end": ("timepair", pair_end.values),
            "y": y,
            "x": x,
            "sat:orbit_state": ("timestep", np.array(states)),
            "sat:relative_orbit": ("timestep", np.where(np.array(states) == "a", 46, 18)),
        },
        attrs={"event_start": EVENT[0], "event_end": EVENT[1]},
    )
    with warnings.catch_warnings():  # rioxarray multiplies Affine objects with '*'
        warnings.simplefilter("ignore", PendingDeprecationWarning)
        ds = ds.rio.write_crs(CRS).rio.write_transform()  # grid_mapping on every variable
    ds = ds.chunk({"timestep": 1, "timepair": 1, "y": 48, "x": 48})
    ds.to_zarr(path, mode="w", consolidated=True, zarr_format=2)
    return path
