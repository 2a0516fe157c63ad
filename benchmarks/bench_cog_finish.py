"""The end of a whole-scene map: streaming rows into the two COGs and finishing them.

A Hokkaido-sized probability map (4398 x 5382 px, float32: a smooth field with a NaN
swath edge, as a SAR footprint in UTM) and its binary map go through the two
``GeoTiffRowWriter`` s of ``predict_map_rasters`` in bands of 480 rows, as the model's
rows arrive. Measured, best of ``--repeat``, the cases interleaved:

- ``gdal_overviews``: the COG driver builds the overviews after the last row (the
  writer before issue 25's change: streaming turned off);
- ``streamed_overviews``: the overviews reduced from the rows as they arrive, the COG
  driver only compresses them (today's writer);
- the COG conversion alone from staged GeoTIFFs (probability and binary: GDAL building
  the overviews, given them, none at all; both conversions in two threads), and
  reading the staged probability GeoTIFF back.

Usage: python benchmarks/bench_cog_finish.py [--quick] [--repeat N]
Writes benchmarks/results/cog_finish.json (``cog_finish_quick.json`` with --quick).
Run it on a quiet machine (``/work/quiet.sh``-style): the numbers are a few seconds.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import rasterio.shutil
from affine import Affine
from measure import write_results

from sarslide.inference import geotiff
from sarslide.inference.cog_overviews import write_overview_vrt
from sarslide.inference.geotiff import GeoTiffRowWriter, RasterGrid, convert_to_cog
from sarslide.inference.sinks import (
    BINARY_BAND,
    BINARY_NODATA,
    PROBABILITY_BAND,
    binarize_probability,
)

BAND_ROWS = 480


def make_probability_map(height: int, width: int) -> np.ndarray:
    """Smooth probabilities (64 px blobs plus noise) with NaN outside a tilted swath."""
    rng = np.random.default_rng(0)
    coarse = rng.normal(size=(height // 64 + 2, width // 64 + 2)) * 3 - 2
    field = np.kron(coarse, np.ones((64, 64)))[:height, :width]
    field += rng.normal(size=(height, width)) * 0.3
    prob = (1 / (1 + np.exp(-field))).astype(np.float32)
    yy, xx = np.mgrid[0:height, 0:width]
    swath = (xx * 0.98 + yy * 0.2 > 0.05 * width) & (xx * 0.98 + yy * 0.2 < 1.04 * width)
    prob[~swath | (yy - xx * 0.15 < -0.05 * height)] = np.nan
    return prob


def stream_both(prob: np.ndarray, grid: RasterGrid, out: Path, *, stream: bool) -> dict[str, float]:
    """Rows into both writers as ``predict_map_rasters`` does; the time of each part."""
    timing: dict[str, float] = {}
    original = geotiff.can_stream_overviews
    if not stream:
        geotiff.can_stream_overviews = lambda *args: False  # type: ignore[assignment]
    try:
        prob_writer = GeoTiffRowWriter(out / "probability.tif", grid, **PROBABILITY_BAND)
        binary_writer = GeoTiffRowWriter(
            out / "landslides.tif",
            grid,
            dtype="uint8",
            nodata=BINARY_NODATA,
            resampling="NEAREST",
            **BINARY_BAND,
        )
        with prob_writer, binary_writer:
            start = time.perf_counter()
            for row in range(0, prob.shape[0], BAND_ROWS):
                rows = prob[row : row + BAND_ROWS]
                prob_writer.write_rows(row, rows)
                binary_writer.write_rows(row, binarize_probability(rows, 0.5))
            timing["write_rows_s"] = time.perf_counter() - start
            start = time.perf_counter()
        timing["finish_s"] = time.perf_counter() - start  # both COGs (binary first)
    finally:
        geotiff.can_stream_overviews = original
    timing["rows_and_finish_s"] = timing["write_rows_s"] + timing["finish_s"]
    return timing


def stage(values: np.ndarray, grid: RasterGrid, path: Path, nodata: float | int) -> Path:
    """The uncompressed tiled GeoTIFF the writer stages, kept."""
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        height=grid.height_px,
        width=grid.width_px,
        count=1,
        dtype=str(values.dtype),
        crs=grid.crs,
        transform=grid.transform,
        nodata=nodata,
        tiled=True,
        blockxsize=256,
        blockysize=256,
    ) as dst:
        dst.write(values, 1)
    return path


def stage_overviews(cog: Path, work: Path, name: str) -> Path:
    """A VRT of the staged raster listing a COG's overviews as uncompressed GeoTIFFs."""
    with rasterio.open(cog) as src:
        count, nodata = len(src.overviews(1)), src.nodata
    levels = []
    for level in range(count):
        with rasterio.open(cog, overview_level=level) as src:
            values = src.read(1)
            grid = RasterGrid(src.height, src.width, src.crs, src.transform)
        levels.append(stage(values, grid, work / f"{name}_overview{level}.tif", nodata))
    return write_overview_vrt(work / f"{name}.vrt", work / f"{name}_staged.tif", levels)


def best_of(cases: dict[str, Callable[[], Any]], repeat: int) -> dict[str, Any]:
    """Each case ``repeat`` times, interleaved; the best wall (or dict of walls)."""
    best: dict[str, Any] = {}
    for _ in range(repeat):
        for name, case in cases.items():
            start = time.perf_counter()
            result = case()
            wall = time.perf_counter() - start
            if isinstance(result, dict):
                previous = best.get(name, {})
                best[name] = {k: min(v, previous.get(k, v)) for k, v in result.items()}
            else:
                best[name] = min(wall, best.get(name, wall))
    return {
        k: ({n: round(s, 3) for n, s in v.items()} if isinstance(v, dict) else round(v, 3))
        for k, v in best.items()
    }


def main(quick: bool, repeat: int) -> None:
    height, width = (1024, 1280) if quick else (4398, 5382)
    grid = RasterGrid(
        height, width, rasterio.crs.CRS.from_epsg(32654), Affine(10, 0, 5e5, 0, -10, 4.8e6)
    )
    prob = make_probability_map(height, width)
    binary = binarize_probability(prob, 0.5)
    load_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench_cog_") as tmp:
        work = Path(tmp)
        for sub in ("old", "new", "cog"):
            (work / sub).mkdir()
        writers = best_of(
            {
                "gdal_overviews": lambda: stream_both(prob, grid, work / "old", stream=False),
                "streamed_overviews": lambda: stream_both(prob, grid, work / "new", stream=True),
            },
            repeat,
        )
        same = all(
            (work / "old" / name).read_bytes() == (work / "new" / name).read_bytes()
            for name in ("probability.tif", "landslides.tif")
        )
        staged = {
            "probability": stage(prob, grid, work / "probability_staged.tif", float("nan")),
            "binary": stage(binary, grid, work / "binary_staged.tif", BINARY_NODATA),
        }
        resampling = {"probability": "AVERAGE", "binary": "NEAREST"}
        vrts = {
            name: stage_overviews(work / "new" / cog, work, name)
            for name, cog in (("probability", "probability.tif"), ("binary", "landslides.tif"))
        }

        def convert(name: str, source: Path, **options: Any) -> Callable[[], Any]:
            def run() -> None:
                if options:  # OVERVIEWS=NONE: what the compression alone costs
                    with rasterio.Env(GDAL_CACHEMAX=geotiff.GDAL_CACHE_MB):
                        rasterio.shutil.copy(
                            source,
                            work / "cog" / f"{name}_none.tif",
                            driver="COG",
                            COMPRESS="DEFLATE",
                            LEVEL=1,
                            PREDICTOR="FLOATING_POINT" if name == "probability" else "YES",
                            BLOCKSIZE=geotiff.COG_BLOCK_PX,
                            NUM_THREADS="ALL_CPUS",
                            **options,
                        )
                    return
                convert_to_cog(source, work / "cog" / f"{name}.tif", resampling=resampling[name])

            return run

        def both_in_threads() -> None:
            threads = [threading.Thread(target=convert(name, staged[name])) for name in staged]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

        def read_back() -> None:
            with rasterio.open(staged["probability"]) as src:
                src.read(1)

        conversions = best_of(
            {
                **{f"{n}_cog_gdal_builds_overviews_s": convert(n, staged[n]) for n in staged},
                **{f"{n}_cog_given_overviews_s": convert(n, vrts[n]) for n in staged},
                **{
                    f"{n}_cog_no_overviews_s": convert(n, staged[n], OVERVIEWS="NONE")
                    for n in staged
                },
                "both_cogs_in_two_threads_s": both_in_threads,
                "read_back_staged_probability_s": read_back,
            },
            repeat,
        )
    results = {
        "scene_px": [height, width],
        "band_rows": BAND_ROWS,
        "repeat": repeat,
        "load_average_1min_start_end": [round(load_start, 1), round(os.getloadavg()[0], 1)],
        "writers": writers,
        "same_cog_bytes": same,
        "cog_conversion_alone": conversions,
    }
    print(results)
    print(write_results("cog_finish", results, quick=quick))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a 1024 x 1280 px map")
    parser.add_argument("--repeat", type=int, default=3, help="rounds, best of (default 3)")
    args = parser.parse_args()
    main(args.quick, args.repeat)
