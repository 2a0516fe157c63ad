"""Peak memory of building a cube: an AOI vs one 4x larger (2x per side).

Synthetic Sentinel-1 RTC GeoTIFFs (4 timesteps, VV/VH, UTM 54N, 10 m), a DEM in
EPSG:4326 (GLO-30 like, so it is reprojected) and landslide polygons in EPSG:4326
are written to a temporary folder; each AOI is then built in a fresh subprocess with
the library's loaders (odc-stac reads, lazy terrain, lazy label rasterisation) and
``write_cube`` streaming chunk by chunk. Target: peak RSS of the 4x AOI <= 1.3x.

Usage: python benchmarks/bench_build.py [--quick] [--chunk-px 512]
Writes benchmarks/results/build.json (build_quick.json with --quick).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

FULL_SIDES_PX = (1536, 3072)
QUICK_SIDES_PX = (384, 768)
ORIGIN = (500_000.0, 4_700_000.0)  # upper-left, EPSG:32654
TIMES = ("2018-08-12T20:40:31", "2018-08-24T20:40:32", "2018-09-05T20:40:33", "2018-09-17T20:40:33")


def write_inputs(folder: Path, side_px: int) -> None:
    """RTC rasters covering ``side_px`` + margin, a lon/lat DEM and labels, written by rows."""
    import geopandas as gpd
    import rasterio
    from pyproj import Transformer
    from rasterio.transform import from_origin
    from rasterio.windows import Window
    from shapely.geometry import box

    size = side_px + 64
    rng = np.random.default_rng(0)
    profile = {
        "driver": "GTiff",
        "height": size,
        "width": size,
        "count": 1,
        "dtype": "float32",
        "crs": "EPSG:32654",
        "transform": from_origin(ORIGIN[0] - 320, ORIGIN[1] + 320, 10, 10),
        "tiled": True,
        "blockxsize": 512,
        "blockysize": 512,
        "nodata": -32768.0,
        "compress": "deflate",
    }
    for n in range(len(TIMES)):
        for band, scale in (("vv", 0.05), ("vh", 0.0125)):
            with rasterio.open(folder / f"rtc_{n}_{band}.tif", "w", **profile) as dst:
                for row in range(0, size, 512):
                    rows = min(512, size - row)
                    block = rng.gamma(4.0, scale, (rows, size)).astype("float32")
                    dst.write(block, 1, window=Window(0, row, size, rows))
    to_lonlat = Transformer.from_crs("EPSG:32654", "EPSG:4326", always_xy=True)
    extent_m = size * 10.0
    lon0, lat0, lon1, lat1 = to_lonlat.transform_bounds(
        ORIGIN[0] - 400, ORIGIN[1] - extent_m, ORIGIN[0] + extent_m, ORIGIN[1] + 400
    )
    step = 1 / 3600
    h, w = int((lat1 - lat0) / step) + 2, int((lon1 - lon0) / step) + 2
    lat = lat1 - step * (np.arange(h) + 0.5)
    dem = (500 + 2000 * (lat - lat0))[:, None] + 50 * np.sin(np.arange(w) / 40.0)[None, :]
    with rasterio.open(
        folder / "dem.tif",
        "w",
        driver="GTiff",
        height=h,
        width=w,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=from_origin(lon0, lat1, step, step),
        tiled=True,
        blockxsize=512,
        blockysize=512,
        nodata=-32767.0,
    ) as dst:
        dst.write(dem.astype("float32"), 1)
    squares = [
        box(ORIGIN[0] + x, ORIGIN[1] - y - 80, ORIGIN[0] + x + 80, ORIGIN[1] - y)
        for x in range(0, side_px * 10, 700)
        for y in range(0, side_px * 10, 900)
    ]
    gpd.GeoDataFrame(geometry=squares, crs="EPSG:32654").to_crs("EPSG:4326").to_file(
        folder / "labels.geojson"
    )


def build_once(folder: Path, side_px: int, chunk_px: int, out: Path) -> dict[str, float]:
    """Build the cube of the ``side_px`` AOI from the files in ``folder`` (run in a subprocess)."""
    import pandas as pd
    import pystac
    from measure import measure
    from odc.geo.geobox import GeoBox
    from shapely.geometry import box, mapping

    from sarslide.datacube import write_cube
    from sarslide.sources.dem import load_dem
    from sarslide.sources.labels import rasterize_labels
    from sarslide.sources.rtc import group_acquisitions, load_rtc

    warnings.simplefilter("ignore")
    geometry = mapping(box(141.0, 42.0, 142.0, 43.0))
    nodata = {"raster:bands": [{"nodata": -32768.0}]}
    rtc_items = []
    for n, when in enumerate(TIMES):
        item = pystac.Item(
            f"rtc{n}",
            geometry,
            [141.0, 42.0, 142.0, 43.0],
            pd.Timestamp(when, tz="UTC"),
            {"sat:orbit_state": "descending", "sat:relative_orbit": 46},
        )
        for band in ("vv", "vh"):
            item.add_asset(
                band, pystac.Asset(str(folder / f"rtc_{n}_{band}.tif"), extra_fields=nodata)
            )
        rtc_items.append(item)
    dem_item = pystac.Item(
        "dem", geometry, [141.0, 42.0, 142.0, 43.0], pd.Timestamp("2021-01-01", tz="UTC"), {}
    )
    dem_item.add_asset("data", pystac.Asset(str(folder / "dem.tif")))
    geobox = GeoBox.from_bbox(
        (ORIGIN[0], ORIGIN[1] - side_px * 10, ORIGIN[0] + side_px * 10, ORIGIN[1]),
        crs="EPSG:32654",
        resolution=10,
    )
    import psutil

    baseline_mib = psutil.Process().memory_info().rss / 2**20  # after imports and set-up
    with measure() as m:
        ds = load_rtc(group_acquisitions(rtc_items), geobox, chunk_px=chunk_px)
        ds = ds.merge(
            load_dem([dem_item], geobox, chunk_px=chunk_px), compat="override", join="exact"
        )
        labels = rasterize_labels(folder / "labels.geojson", geobox, chunk_px=chunk_px)
        ds[labels.name] = labels.assign_coords(x=ds.x, y=ds.y)
        ds.attrs.update(event_start="2018-08-30", event_end="2018-08-31")
        write_cube(ds, out, chunks={"y": chunk_px, "x": chunk_px}, progress=False)
    return {
        "side_px": side_px,
        "pixels": side_px * side_px,
        "baseline_rss_mib": baseline_mib,
        "build_rss_mib": m["peak_rss_mib"] - baseline_mib,
        **m,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small AOIs (seconds)")
    parser.add_argument("--chunk-px", type=int, default=512)
    parser.add_argument("--_child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._child:
        folder, side, out = args._child
        print(json.dumps(build_once(Path(folder), int(side), args.chunk_px, Path(out))))
        return
    from measure import write_results

    sides = QUICK_SIDES_PX if args.quick else FULL_SIDES_PX
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_inputs(folder, max(sides))
        for side in sides:
            cmd = [
                sys.executable,
                __file__,
                "--chunk-px",
                str(args.chunk_px),
                "--_child",
                str(folder),
                str(side),
                str(folder / f"cube_{side}.zarr"),
            ]
            done = subprocess.run(cmd, check=True, capture_output=True, text=True)
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(runs[-1])
    ratio = runs[1]["peak_rss_mib"] / runs[0]["peak_rss_mib"]
    build_ratio = runs[1]["build_rss_mib"] / max(runs[0]["build_rss_mib"], 1.0)
    results = {
        "what": "peak RSS of load_rtc + load_dem (+terrain) + labels + write_cube, "
        "one fresh process per AOI",
        "chunk_px": args.chunk_px,
        "timesteps": len(TIMES),
        "runs": runs,
        "area_ratio": (sides[1] / sides[0]) ** 2,
        "peak_rss_ratio": round(ratio, 3),
        "target_ratio": 1.3,
        "meets_target": ratio <= 1.3,
        "build_rss_ratio_above_baseline": round(build_ratio, 3),
    }
    path = write_results("build", results, quick=args.quick)
    print(f"peak RSS ratio for a {results['area_ratio']:.0f}x larger AOI: {ratio:.2f} -> {path}")


if __name__ == "__main__":
    main()
