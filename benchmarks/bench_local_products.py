"""Opening local RTC products: how many ``rasterio.open`` calls and how long, for a whole folder.

The real OPERA RTC-S1 series of ``/work/shared/data/s1-rtc-opera-dists1-10SGD`` (21 dates x
15 bursts x VV/VH = 630 files; ``--quick`` or without it: the 24-file cut vendored in
``tests/data``), with an AOI inside one burst (T137-292321-IW1). Two jobs, each in a
fresh subprocess with ``rasterio.open`` counted:

- ``respond_search``: respond's planning search of the folder (``find_local_passes``, the
  event 2023-10-20 with a 30-day window either side): what respond does before the map;
- ``cube_build``: ``sarslide cube build --rtc FOLDER --aoi ... --dem none`` at 30 m,
  with a hash of every array of the store (to compare builds across versions).

``--src PATH`` runs the jobs on another checkout's ``src`` too, interleaved with this one
(``this, other, other, this, ...``), to compare versions under the same load.

Usage: python benchmarks/bench_local_products.py [--quick] [--repeat 2] [--src OTHER/src]
Writes benchmarks/results/local_products.json (local_products_quick.json with --quick).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).parents[1]
SHARED = Path("/work/shared/data/s1-rtc-opera-dists1-10SGD")
VENDORED = REPO / "tests" / "data" / "s1-rtc-opera-dists1-10SGD"
AOI = "-120.727,34.580,-120.717,34.588"  # inside T137-292321-IW1
EVENT = "2023-10-20"

CHILD = r"""
import hashlib, json, sys, time
from collections import Counter
from pathlib import Path
import pandas as pd
import rasterio
import zarr
from sarslide.sources.aoi import parse_aoi
from sarslide.sources.build import build_cube
from sarslide.sources.config import BuildConfig
try:
    from sarslide.response.search import find_local_passes
except ImportError:  # before the package was renamed
    from sarslide.respond.search import find_local_passes
job, folder, out, aoi, event = sys.argv[1:6]
opens = Counter()
original = rasterio.open
def counted(path, *args, **kwargs):
    opens[str(path)] += 1
    return original(path, *args, **kwargs)
rasterio.open = counted
start = time.perf_counter()  # after the imports: the job alone
digest, detail = None, {}
if job == "respond_search":
    when = pd.Timestamp(event)
    found = find_local_passes([folder], parse_aoi(aoi), start=when - pd.Timedelta(days=30),
                              end=when + pd.Timedelta(days=30))
    detail = {"passes": len(found.passes), "items": len(found.items)}
else:
    cfg = BuildConfig.from_options(aoi=aoi, rtc=[folder], dem="none", resolution_m=30,
                                   event_start=event, event_end=event, chunk_px=64)
    store = build_cube(cfg, Path(out) / "cube.zarr", progress=False).store
    wall = time.perf_counter() - start
    sha = hashlib.sha256()
    def walk(group, prefix=""):
        for name, array in sorted(group.arrays()):
            sha.update(f"{prefix}{name}".encode()); sha.update(array[...].tobytes())
        for name, sub in sorted(group.groups()):
            walk(sub, f"{prefix}{name}/")
    walk(zarr.open_group(str(store), mode="r"))
    digest = sha.hexdigest()[:16]
wall = wall if job != "respond_search" else time.perf_counter() - start
ours = {k: v for k, v in opens.items() if folder in k}
print(json.dumps({"wall_s": round(wall, 2), "opens": sum(ours.values()),
                  "files_opened": len(ours), "max_opens_per_file": max(ours.values(), default=0),
                  "arrays_sha256": digest, **detail}))
"""


def run_job(job: str, folder: Path, src: Path) -> dict[str, Any]:
    """One job in a fresh interpreter with ``src`` first on the path."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    with tempfile.TemporaryDirectory() as out:
        done = subprocess.run(
            [sys.executable, "-c", CHILD, job, str(folder), out, AOI, EVENT],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["load_1min"] = os.getloadavg()[0]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the 24-file vendored cut")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--src", type=Path, help="another checkout's src, run interleaved")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from benchmarks.measure import write_results

    folder = VENDORED if args.quick or not SHARED.is_dir() else SHARED
    versions = {"this": REPO / "src", **({"other": args.src.resolve()} if args.src else {})}
    runs: list[dict[str, Any]] = []
    for rep in range(args.repeat):
        for job in ("respond_search", "cube_build"):
            order = list(versions) if rep % 2 == 0 else list(reversed(versions))
            for name in order:
                result = {"job": job, "version": name, **run_job(job, folder, versions[name])}
                print(json.dumps(result), flush=True)
                runs.append(result)
    results = {
        "folder": str(folder),
        "aoi": AOI,
        "versions": {k: str(v) for k, v in versions.items()},
        "runs": runs,
    }
    print(write_results("local_products", results, quick=args.quick))


if __name__ == "__main__":
    main()
