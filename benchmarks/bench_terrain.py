"""Benchmark terrain derivatives (slope + aspect + curvature) on a Hokkaido-sized DEM.

Grid 4398 x 5382 float32 (the Hokkaido cube's size), a synthetic fractal surface
(spectral synthesis, seeded). Two paths:

* numpy: the DEM in memory, the three derivatives computed eagerly;
* dask: the DEM written to Zarr in 1024-px chunks, opened lazily, the three
  derivatives computed chunk-wise (map_overlap) and streamed to a Zarr store,
  so memory stays bounded by a few chunks per thread.

Usage: python benchmarks/bench_terrain.py [--quick] [--chunk-px 1024]
Writes benchmarks/results/terrain.json (terrain_quick.json with --quick).
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import psutil
import scipy.fft
import xarray as xr
from measure import measure, write_results

from sarslide.terrain import add_terrain_variables

FULL_SHAPE = (4398, 5382)
QUICK_SHAPE = (1100, 1346)
RESOLUTION_M = 10.0


def make_fractal_dem(shape: tuple[int, int], seed: int = 0, beta: float = 3.0) -> xr.DataArray:
    """A float32 fractal surface, 0-1500 m, power spectrum ~ f^-beta, in EPSG:32654."""
    ny, nx = shape
    rng = np.random.default_rng(seed)
    fy = scipy.fft.fftfreq(ny).astype(np.float32)[:, None]
    fx = scipy.fft.rfftfreq(nx).astype(np.float32)[None, :]
    freq = np.hypot(fy, fx)
    freq[0, 0] = 1.0
    amplitude = freq ** (-beta / 2)
    amplitude[0, 0] = 0.0
    phase = rng.uniform(0, 2 * np.pi, amplitude.shape).astype(np.float32)
    spectrum = amplitude * np.exp(1j * phase).astype(np.complex64)
    del amplitude, phase, freq
    z = scipy.fft.irfft2(spectrum, s=shape, workers=-1).astype(np.float32)
    del spectrum
    z -= z.min()
    z *= np.float32(1500.0 / z.max())
    dem = xr.DataArray(
        z,
        dims=("y", "x"),
        coords={
            "y": 4_800_000.0 - RESOLUTION_M * (np.arange(ny) + 0.5),
            "x": 500_000.0 + RESOLUTION_M * (np.arange(nx) + 0.5),
        },
        name="dem",
    )
    return dem.rio.write_crs("EPSG:32654")


def rss_mib() -> float:
    return psutil.Process().memory_info().rss / 2**20


def run_numpy(dem: xr.DataArray) -> dict[str, float]:
    before = rss_mib()
    with measure() as m:
        out = add_terrain_variables(xr.Dataset({"dem": dem}))
    finite = float(np.isfinite(out["dem_slope_radians"].values).mean())
    del out
    gc.collect()
    return {**m, "rss_before_mib": before, "finite_fraction_slope": finite}


def run_dask(dem_store: Path, out_store: Path, chunk_px: int) -> dict[str, float]:
    before = rss_mib()
    with measure() as m:
        ds = xr.open_zarr(dem_store, chunks={"y": chunk_px, "x": chunk_px})
        out = add_terrain_variables(ds).drop_vars("dem")
        out.to_zarr(out_store, mode="w", zarr_format=2, consolidated=True)
    return {**m, "rss_before_mib": before}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"use a {QUICK_SHAPE} grid")
    parser.add_argument("--chunk-px", type=int, default=1024)
    args = parser.parse_args()
    shape = QUICK_SHAPE if args.quick else FULL_SHAPE
    workdir = Path(tempfile.mkdtemp(prefix="bench_terrain_"))
    try:
        dem = make_fractal_dem(shape)
        dem_mib = dem.nbytes / 2**20
        dem_store = workdir / "dem.zarr"
        chunks = {"y": args.chunk_px, "x": args.chunk_px}
        dem.to_dataset().chunk(chunks).to_zarr(dem_store, mode="w", zarr_format=2)
        numpy_result = run_numpy(dem)
        del dem
        gc.collect()
        dask_result = run_dask(dem_store, workdir / "terrain.zarr", args.chunk_px)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    cells = shape[0] * shape[1]
    results = {
        "grid": {"ny": shape[0], "nx": shape[1], "dtype": "float32", "dem_mib": dem_mib},
        "quick": args.quick,
        "computed": ["dem_slope_radians (horn)", "dem_aspect (horn)", "dem_curvature"],
        "numpy": {**numpy_result, "mpx_per_s": cells / 1e6 / numpy_result["wall_s"]},
        "dask": {
            **dask_result,
            "chunk_px": args.chunk_px,
            "mpx_per_s": cells / 1e6 / dask_result["wall_s"],
            "note": "reads DEM from Zarr and writes the three variables to Zarr",
        },
    }
    results["load_average_1min_at_end"] = os.getloadavg()[0]
    path = write_results("terrain", results, quick=args.quick)
    for name in ("numpy", "dask"):
        r = results[name]
        print(f"{name}: {r['wall_s']:.2f} s, peak RSS {r['peak_rss_mib']:.0f} MiB")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
