"""Chipping a Hokkaido-sized cube: the paper code's path vs sarslide, same chips.

One run: write a synthetic cube (18 x 4398 x 5382 float32 vv and vh, gamma-like
speckle, landslide blobs) to a temporary Zarr store with ``write_cube``, then run each
path ``--repeat`` times, alternating, each run in a fresh subprocess (its own peak RSS,
the kernel's exact high-water mark):

(a) the paper code's path ("paper"): xarray log10 (same floor) of vv/vh, the orbit
    filter ``ds.where(..., drop=True)``, mean over the k acquisitions on each side,
    scene-wide mean and std of each composite, ``.load()``,
    ``xbatcher.BatchGenerator`` over 128 x 128 chips, keep chips with a landslide
    pixel; and "lean", the same without the orbit filter and the statistics;
(b) sarslide: ``build_chip_splits`` (labels first, raw windows of the 2k needed
    acquisitions, log10 and mean on the chosen chips only), split "random" so that
    every positive chip is kept; once with the default reducer ``mean`` (one log of
    the product per pixel), once with ``mean_exact`` (k log10s, as the references).

Checks the chips are the same: same origins and labels, and inputs equal within
``TOLERANCE_LOG10`` (``mean`` takes the mean of the k logs as one log of their product,
float32 rounding: ~1e-7 apart); ``bit_identical`` says whether they are equal bit for
bit (expected with ``mean_exact``). Records wall time, CPU seconds and peak RSS of
every run, their medians, the speedup of the medians and of each alternating pair, and
the load average (the machine may be shared: wall times are noisy, CPU seconds
steadier), in benchmarks/results/chips.json. ``--quick``: a quarter of the size per side.

Usage: python benchmarks/bench_chips.py [--quick] [--keep DIR] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from measure import measure, write_results  # noqa: E402

K = 4
CHIP_PX = 128
FLOOR = 1e-4
TOLERANCE_LOG10 = 1e-5  # max abs difference of chip inputs, log10 units
CHANNELS = ["vv_before", "vv_after", "vh_before", "vh_after"]
ORBIT = "descending"  # every acquisition of the synthetic cube: the filter drops none
ROLES = ("paper", "lean", "ours", "ours_exact")  # run in this order, alternating
OURS = {"ours": "vs", "ours_exact": "exact_vs"}  # result key prefix of each of our paths


def make_cube(n_time: int, height: int, width: int, seed: int = 0):  # type: ignore[no-untyped-def]
    """A lazy synthetic cube: speckle x a smooth mean field, landslide discs."""
    import dask.array as da
    import pandas as pd
    import rioxarray  # noqa: F401
    import xarray as xr

    rng = np.random.default_rng(seed)
    labels = np.zeros((height, width), dtype=np.uint8)
    n_blobs = max(4, int(300 * height * width / (4398 * 5382)))
    rows = rng.integers(0, height, n_blobs)
    cols = rng.integers(0, width, n_blobs)
    radii = rng.integers(16, 40, n_blobs)
    for r, c, rad in zip(rows, cols, radii, strict=True):  # data generation only
        r0, r1, c0, c1 = (
            max(r - rad, 0),
            min(r + rad + 1, height),
            max(c - rad, 0),
            min(c + rad + 1, width),
        )
        yy, xx = np.ogrid[r0:r1, c0:c1]
        labels[r0:r1, c0:c1] |= ((yy - r) ** 2 + (xx - c) ** 2 <= rad**2).astype(np.uint8)

    # a pool of exponential speckle blocks (incompressible, like real data), reused
    # across chunks with a per-chunk scale: cheap to write a multi-GB cube
    pool_rng = np.random.default_rng(seed + 1)
    pool = [
        (-np.log1p(-pool_rng.random((1024, 1024), dtype=np.float32))).astype(np.float32)
        for _ in range(7)
    ]
    for block in pool:
        block[pool_rng.random(block.shape) < 1e-4] = 0.0  # a few exact zeros, as in real data

    def speckle(block_info=None, scale=0.2):  # type: ignore[no-untyped-def]
        loc = block_info[None]["array-location"]
        h, w = block_info[None]["chunk-shape"][1:]
        t, r, c = loc[0][0], loc[1][0] // 1024, loc[2][0] // 1024
        base = pool[(3 * t + 5 * r + c + int(scale * 100)) % len(pool)]
        return (base[:h, :w] * np.float32(scale * (1 + 0.02 * t)))[None]

    chunks = (1, 1024, 1024)
    shape = (n_time, height, width)
    vv = da.map_blocks(
        speckle,
        chunks=da.core.normalize_chunks(chunks, shape),
        dtype=np.float32,
        meta=np.array((), np.float32),
    )
    vh = da.map_blocks(
        lambda block_info=None: speckle(block_info, 0.05),
        chunks=da.core.normalize_chunks(chunks, shape),
        dtype=np.float32,
        meta=np.array((), np.float32),
    )
    times = pd.date_range("2018-07-02T20:40", periods=n_time, freq="6D")
    y = 4_750_000.0 - 10.0 * (np.arange(height) + 0.5)
    x = 500_000.0 + 10.0 * (np.arange(width) + 0.5)
    ds = xr.Dataset(
        {
            "vv": (("timestep", "y", "x"), vv),
            "vh": (("timestep", "y", "x"), vh),
            "landslides": (("y", "x"), labels),
        },
        coords={
            "timestep": times,
            "y": y,
            "x": x,
            "sat:orbit_state": ("timestep", np.array(["descending"] * n_time)),
        },
        attrs={"event_start": "2018-09-05T18:08:00", "event_end": "2018-09-07T00:00:00"},
    )
    return ds.rio.write_crs("EPSG:32654")


def _import_all() -> float:
    """Import what either path uses, so both start from the same RSS; returns it (MiB).

    Import time (seconds on a loaded 2-core machine) is a per-process cost, not
    chipping; neither path pays it inside the measurement.
    """
    import distributed  # noqa: F401  (xarray / dask import it on first compute)
    import psutil
    import rioxarray  # noqa: F401  (open_cube validates the CRS with it)
    import scipy.sparse  # noqa: F401
    import xarray  # noqa: F401
    import xbatcher  # noqa: F401
    import zarr  # noqa: F401

    import sarslide.chips
    import sarslide.datacube  # noqa: F401

    return float(psutil.Process().memory_info().rss / 2**20)


def _cpu_s() -> float:
    """CPU seconds (user + system) of this process: robust to other load on the machine."""
    import psutil

    times = psutil.Process().cpu_times()
    return float(times.user + times.system)


def run_reference(store: str, out: str, *, faithful: bool) -> None:
    """(a) The paper code's path: xarray log + mean, xbatcher, positive filter.

    ``faithful``: also the steps of the paper code's ``before_after_ds`` that do not
    change the chips: the orbit filter ``ds.where(orbit == ..., drop=True)`` over the
    whole dataset (it broadcasts the 2-D labels over time), and the scene-wide mean and
    std of every composite, computed with the ``.load()``. Otherwise ("lean") only the
    log, the mean of the selected acquisitions and the load. Both select the same
    acquisitions as sarslide (the paper code's date-string slices skip one; defect 5),
    and use log10 with the same floor (the paper code: ``np.log``, no floor), so that
    the chips can be compared.
    """
    import xarray as xr
    import xbatcher

    from sarslide.chips import select_event_timesteps

    rss_before = _import_all()
    cpu_before = _cpu_s()
    with measure() as m:
        ds = xr.open_zarr(store)
        for var in ("vv", "vh"):
            ds[var] = np.log10(np.maximum(ds[var], np.float32(FLOOR)))
        if faithful:
            # computed first: this store's orbit coordinate opens lazily, the paper's eagerly
            ds = ds.where((ds["sat:orbit_state"] == ORBIT).compute(), drop=True)
        before, after = select_event_timesteps(
            ds["timestep"].values, ds.attrs["event_start"], ds.attrs["event_end"], K
        )
        variables = ["vv", "vh", "landslides"] if faithful else ["vv", "vh"]
        the_ds = (
            ds[variables]
            .isel(timestep=before)
            .mean("timestep")
            .rename({"vv": "vv_before", "vh": "vh_before"})
        )
        after_ds = ds[["vv", "vh"]].isel(timestep=after).mean("timestep")
        the_ds["vv_after"] = after_ds["vv"]
        the_ds["vh_after"] = after_ds["vh"]
        if faithful:
            for var in list(the_ds.data_vars):
                the_ds[f"{var}_mean"] = the_ds[var].mean()
                the_ds[f"{var}_std"] = the_ds[var].std()
        else:
            the_ds["landslides"] = ds["landslides"]
        the_ds = the_ds.load()
        chips = []
        for batch in xbatcher.BatchGenerator(the_ds, {"x": CHIP_PX, "y": CHIP_PX}):
            if batch["landslides"].sum().item() > 0:
                chips.append(batch)
        y_index, x_index = the_ds.indexes["y"], the_ds.indexes["x"]
        origins = np.array(
            [[y_index.get_loc(b["y"].values[0]), x_index.get_loc(b["x"].values[0])] for b in chips]
        )
        inputs = np.stack([np.stack([b[c].values for c in CHANNELS]) for b in chips]).astype(
            np.float32
        )
        labels = np.stack([(b["landslides"].values > 0).astype(np.uint8) for b in chips])
    m["cpu_s"] = _cpu_s() - cpu_before  # before saving the chips for the comparison
    np.savez(out, origins=origins, inputs=inputs, labels=labels)
    m["rss_before_mib"] = rss_before
    Path(out + ".json").write_text(json.dumps(m))


def run_ours(store: str, out: str, *, exact: bool) -> None:
    """(b) sarslide: build_chip_splits, all positive chips kept (random split);
    ``exact``: reducer ``mean_exact`` (k log10s per pixel, as the references)."""
    from sarslide.chips import DataConfig, build_chip_splits

    cfg = DataConfig(
        cube=store,
        channels=CHANNELS,
        timesteps_k=K,
        log_floor=FLOOR,
        reducer="mean_exact" if exact else "mean",
        split="random",
        chip_min_valid_fraction=0.0,
    )
    rss_before = _import_all()
    cpu_before = _cpu_s()
    with measure() as m:
        splits = build_chip_splits(cfg)
        parts = [splits.train, splits.val, splits.test]
    m["cpu_s"] = _cpu_s() - cpu_before  # before saving the chips for the comparison
    np.savez(
        out,
        origins=np.concatenate([p.origins_px for p in parts]),
        inputs=np.concatenate([p.inputs for p in parts]),
        labels=np.concatenate([p.labels for p in parts]),
    )
    m["rss_before_mib"] = rss_before
    m["counts"] = splits.train.counts  # type: ignore[assignment]
    Path(out + ".json").write_text(json.dumps(m))


_MEDIAN_KEYS = ("wall_s", "cpu_s", "peak_rss_mib", "rss_before_mib")


def _sorted(path: str) -> dict[str, np.ndarray]:
    data = dict(np.load(path))
    order = np.lexsort((data["origins"][:, 1], data["origins"][:, 0]))
    return {k: v[order] for k, v in data.items()}


def _compare(ref: dict[str, np.ndarray], ours: dict[str, np.ndarray]) -> dict[str, object]:
    """Same chips: same origins and labels, inputs equal within ``TOLERANCE_LOG10``."""
    same_set = ref["origins"].shape == ours["origins"].shape and np.array_equal(
        ref["origins"], ours["origins"]
    )
    same_nan = same_set and np.array_equal(np.isnan(ref["inputs"]), np.isnan(ours["inputs"]))
    max_diff = (
        float(np.nanmax(np.abs(ref["inputs"] - ours["inputs"]), initial=0.0))
        if same_nan
        else float("inf")
    )
    return {
        "n_chips": {"reference": len(ref["origins"]), "ours": len(ours["origins"])},
        "identical_chips": bool(
            same_nan
            and max_diff <= TOLERANCE_LOG10
            and np.array_equal(ref["labels"], ours["labels"])
        ),
        "max_abs_diff": max_diff,
        "bit_identical": bool(
            same_set and np.array_equal(ref["inputs"], ours["inputs"], equal_nan=True)
        ),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a quarter of the size per side")
    parser.add_argument("--role", choices=ROLES, help=argparse.SUPPRESS)
    parser.add_argument("--store", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--keep", help="reuse / keep the synthetic cube in this folder")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs of each path, alternating (medians are reported; default 3)",
    )
    args = parser.parse_args()
    if args.role in ("paper", "lean"):
        run_reference(args.store, args.out, faithful=args.role == "paper")
        return 0
    if args.role in OURS:
        run_ours(args.store, args.out, exact=args.role == "ours_exact")
        return 0

    from sarslide.datacube import write_cube

    shape = (18, 1100, 1346) if args.quick else (18, 4398, 5382)
    with tempfile.TemporaryDirectory(dir=args.keep) as tmp:
        store = Path(args.keep or tmp) / f"bench_chips_{'quick' if args.quick else 'full'}.zarr"
        start = time.perf_counter()
        reused = store.exists()
        if not reused:
            write_cube(make_cube(*shape), store, progress=True)
        write_s = time.perf_counter() - start
        results: dict[str, object] = {
            "load_average_at_start": list(os.getloadavg()),
            "shape": list(shape),
            "k": K,
            "chip_px": CHIP_PX,
            "write_cube_s": round(write_s, 1),
            "cube_reused": reused,
        }
        runs: dict[str, list[dict[str, float]]] = {role: [] for role in ROLES}
        for _ in range(max(1, args.repeat)):  # alternating: all see the same machine load
            for role in ROLES:
                out = str(Path(tmp) / f"{role}.npz")
                command = [sys.executable, __file__, "--role", role, "--store", str(store)]
                subprocess.run([*command, "--out", out], check=True)
                got = json.loads(Path(out + ".json").read_text())
                runs[role].append(got)
                print(
                    f"{role}: {got['wall_s']:.2f} s, {got['cpu_s']:.2f} CPU s, "
                    f"peak {got['peak_rss_mib']:.0f} MiB",
                    flush=True,
                )
        for role, role_runs in runs.items():
            results[role] = {
                **{key: float(np.median([r[key] for r in role_runs])) for key in _MEDIAN_KEYS},
                "runs": role_runs,
            }
        identical = True
        for our_role, prefix in OURS.items():
            ours = _sorted(str(Path(tmp) / f"{our_role}.npz"))
            our_m = results[our_role]
            for role in ("paper", "lean"):
                check = _compare(_sorted(str(Path(tmp) / f"{role}.npz")), ours)
                identical = identical and bool(check["identical_chips"])
                ref_m = results[role]
                results[f"{prefix}_{role}"] = {
                    **check,
                    "speedup": round(ref_m["wall_s"] / our_m["wall_s"], 2),  # type: ignore[index]
                    "speedup_per_pair": [
                        round(r["wall_s"] / o["wall_s"], 2)
                        for r, o in zip(runs[role], runs[our_role], strict=True)
                    ],
                    "cpu_speedup": round(ref_m["cpu_s"] / our_m["cpu_s"], 2),  # type: ignore[index]
                    "peak_rss_ratio": round(our_m["peak_rss_mib"] / ref_m["peak_rss_mib"], 3),  # type: ignore[index]
                }
        results["identical_chips"] = identical
        results["tolerance_log10"] = TOLERANCE_LOG10
        results["positive_rate_in_positive_chips"] = (
            float(ours["labels"].mean()) if len(ours["labels"]) else None
        )
        results["load_average_at_end"] = list(os.getloadavg())
        zarray = json.loads((store / "vv" / ".zarray").read_text())
        results["store_compressor"] = zarray.get("compressor")
    path = write_results("chips", results, quick=args.quick)
    keys = ("identical_chips", "vs_paper", "vs_lean", "exact_vs_paper", "exact_vs_lean")
    print(json.dumps({k: results[k] for k in keys}))
    print(f"wrote {path}")
    return 0 if identical else 1


if __name__ == "__main__":
    raise SystemExit(main())
