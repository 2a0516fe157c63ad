"""Benchmark the simulated event cube: the default cube and a Hokkaido-sized one.

* default: ``simulate_event_cube()`` (512 x 512, 8 acquisitions) computed in memory,
  then written with ``write_cube``;
* hokkaido: 4398 x 5382 px, 18 acquisitions alternating orbits (16 pairs), as the
  real Hokkaido cube. Static layers (terrain, landslides, layover/shadow) are built
  in numpy; VV/VH/coherence/phase are dask arrays generated block by block (1024 px)
  and reduced (a mean per variable), so every value is generated once without
  being kept. ``--write-large`` also streams it to a Zarr store (~6 GB on disk).

Wall times depend on the machine's load (recorded as load_average_1min_at_start);
CPU seconds (all threads of the process) less so.

Usage: python benchmarks/bench_simulate.py [--quick] [--write-large]
Writes benchmarks/results/simulate.json (simulate_quick.json with --quick).
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import dask
import dask.array as da
from measure import measure, write_results

from sarslide import conventions as cv
from sarslide.datacube import write_cube
from sarslide.simulate import simulate_event_cube

HOKKAIDO = {"height_px": 4398, "width_px": 5382, "timesteps": 18, "orbit": "both"}
QUICK_LARGE = {"height_px": 1100, "width_px": 1346, "timesteps": 8, "orbit": "both"}


def _store_size_mib(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def bench_default(workdir: Path) -> dict[str, Any]:
    cpu0 = time.process_time()
    with measure() as simulate_m:
        ds = simulate_event_cube()
    cpu_s = time.process_time() - cpu0
    with measure() as write_m:
        store = write_cube(ds, workdir / "default.zarr")
    return {
        "sizes": dict(ds.sizes),
        "simulate_wall_s": round(simulate_m["wall_s"], 2),
        "simulate_peak_rss_mib": round(simulate_m["peak_rss_mib"]),
        "simulate_cpu_s": round(cpu_s, 2),
        "write_wall_s": round(write_m["wall_s"], 2),
        "write_peak_rss_mib": round(write_m["peak_rss_mib"]),
        "store_mib": round(_store_size_mib(store), 1),
    }


def bench_large(spec: dict[str, Any], workdir: Path, *, write: bool) -> dict[str, Any]:
    gc.collect()
    cpu0 = time.process_time()
    with measure() as static_m:
        ds = simulate_event_cube(lazy=True, **spec)
    cpu1 = time.process_time()
    per_date = (cv.VAR_VV, cv.VAR_VH, cv.VAR_COHERENCE, cv.VAR_INTERFEROGRAM)
    with measure() as generate_m:
        means = dask.compute(*(da.nanmean(ds[name].data, dtype="float64") for name in per_date))
    cpu2 = time.process_time()
    result: dict[str, Any] = {
        "sizes": dict(ds.sizes),
        "gigabytes_float32": round(sum(ds[name].size * 4 for name in ds.data_vars) / 1e9, 2),
        "static_layers_wall_s": round(static_m["wall_s"], 2),
        "static_layers_peak_rss_mib": round(static_m["peak_rss_mib"]),
        "static_layers_cpu_s": round(cpu1 - cpu0, 1),
        "generate_all_values_cpu_s": round(cpu2 - cpu1, 1),
        "generate_all_values_wall_s": round(generate_m["wall_s"], 2),
        "generate_all_values_peak_rss_mib": round(generate_m["peak_rss_mib"]),
        "means": {name: round(float(m), 4) for name, m in zip(per_date, means, strict=True)},
        "landslide_fraction": round(float((ds[cv.VAR_LANDSLIDES] > 0).mean()), 4),
    }
    if write:
        with measure() as write_m:
            store = write_cube(ds, workdir / "large.zarr")
        result["write_wall_s"] = round(write_m["wall_s"], 2)
        result["write_peak_rss_mib"] = round(write_m["peak_rss_mib"])
        result["store_mib"] = round(_store_size_mib(store))
        shutil.rmtree(store)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a 1100 x 1346 x 8 large cube")
    parser.add_argument("--write-large", action="store_true", help="also write the large cube")
    args = parser.parse_args()
    large_spec = QUICK_LARGE if args.quick else HOKKAIDO
    with tempfile.TemporaryDirectory(prefix="bench-simulate-") as tmp:
        workdir = Path(tmp)
        results = {
            "quick": args.quick,
            "load_average_1min_at_start": round(os.getloadavg()[0], 1),
            "default": bench_default(workdir),
            "large": {
                "spec": large_spec,
                **bench_large(large_spec, workdir, write=args.write_large),
            },
        }
    path = write_results("simulate", results, quick=args.quick)
    print(f"wrote {path}")
    print(results)


if __name__ == "__main__":
    main()
