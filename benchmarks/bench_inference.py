"""Whole-scene inference: wall time, pixels/s, peak RSS, overhead over the bare model forward.

A synthetic cube (VV/VH, 4 acquisitions, composites k=2 -> 4 channels) is written to
a temporary Zarr store; each case runs in its own subprocess (clean peak RSS) and
streams the probability and binary COGs exactly as ``sarslide predict`` does
(polygons, figures and the report are not timed).

Overhead = (wall - waiting for composite reads - model forward) / model forward, where
the model forward is the time spent inside the model calls of the same run (checked
against a standalone loop of model calls on tiles of the same shape). Reads run in the
prefetch thread, one block ahead (``prefetch_blocks`` 1); the ``*_reads_in_turn`` case
reads each block before its model calls (0), as before issue 15.
``overhead_including_reading_pct`` = (wall - model forward) / model forward.

Engines: the ``*_onnx`` cases run ONNX Runtime fp32 (the graph exported in memory, as
``--engine onnx`` does from a checkpoint), the ``*_onnx_int8`` ones its int8 graph
(``sarslide.models.quantize.quantize_int8``, calibrated on 16 standardised 128 px
windows of the scene, as ``export --check-precision`` calibrates on training chips),
the ``*_torch_bf16`` ones torch with bf16 autocast; each reports its largest
probability difference to the torch fp32 case of the same scene
(``max_abs_probability_difference_vs_torch_fp32``) and its speed-up. Random weights
say nothing of a metric: the closing note adds each precision's test-region AUPRC
change on trained models from ``results/engine_metrics.json``
(``bench_engine_metrics.py``), where that file exists.

Usage: python benchmarks/bench_inference.py [--quick] [--only NAME[,NAME]] [--repeat N]
(e.g. --only memory; --repeat 3 runs the chosen cases interleaved three times, medians)
Writes benchmarks/results/inference.json (inference_quick.json with --quick).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

FULL = {
    "hokkaido": (4398, 5382),
    "four_x": (8796, 10764),
    "crop_small": (2048, 2048),
    "crop_r50": (1024, 1536),
}
QUICK = {
    "hokkaido": (1024, 1280),
    "four_x": (2048, 2560),
    "crop_small": (1024, 1024),
    "crop_r50": (768, 768),
}


def write_synthetic_cube(
    path: Path, height: int, width: int, *, timesteps: int = 4, seed: int = 0
) -> Path:
    """A contract-valid cube with lazily generated VV/VH (never whole in memory)."""
    import dask.array as da
    import numpy as np
    import pandas as pd
    import rioxarray  # noqa: F401
    import xarray as xr

    from sarslide import conventions as cv
    from sarslide.datacube import write_cube

    times = pd.date_range("2018-08-12T20:40", periods=timesteps, freq="12D")
    rng = da.random.RandomState(seed)
    shape, chunks = (timesteps, height, width), (1, 1024, 1024)
    ds = xr.Dataset(
        {
            cv.VAR_VV: (
                (cv.DIM_TIMESTEP, cv.DIM_Y, cv.DIM_X),
                rng.gamma(4, 0.05, shape, chunks=chunks).astype("float32"),
            ),
            cv.VAR_VH: (
                (cv.DIM_TIMESTEP, cv.DIM_Y, cv.DIM_X),
                rng.gamma(4, 0.0125, shape, chunks=chunks).astype("float32"),
            ),
        },
        coords={
            cv.DIM_TIMESTEP: times,
            cv.DIM_Y: 4_750_000.0 - 10.0 * (np.arange(height) + 0.5),
            cv.DIM_X: 500_000.0 + 10.0 * (np.arange(width) + 0.5),
            cv.COORD_ORBIT_STATE: (cv.DIM_TIMESTEP, np.array(["descending"] * timesteps)),
        },
        attrs={
            cv.ATTR_EVENT_START: str(times[timesteps // 2 - 1] + pd.Timedelta("1D")),
            cv.ATTR_EVENT_END: str(times[timesteps // 2 - 1] + pd.Timedelta("2D")),
        },
    ).rio.write_crs("EPSG:32654")
    return write_cube(ds, path)


def process_cpu_s() -> float:
    """CPU seconds (user + system) this process has used, all threads."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_case(case: dict[str, Any]) -> dict[str, Any]:
    """One measured prediction (runs inside a subprocess)."""
    import numpy as np
    import torch

    from benchmarks.measure import measure
    from sarslide.chips import DataConfig, NormalisationStats, build_composite_stack
    from sarslide.datacube import open_cube
    from sarslide.inference.geotiff import grid_from_cube
    from sarslide.inference.map_rasters import predict_map_rasters
    from sarslide.inference.predict_scene import predict_stack
    from sarslide.inference.tiling import Tiling
    from sarslide.models import create_model, get_model_spec

    torch.manual_seed(0)
    cube = open_cube(case["cube"], task="mapping")
    height, width = case["crop"] or (cube.sizes["y"], cube.sizes["x"])
    cube = cube.isel(y=slice(0, height), x=slice(0, width))
    stack = build_composite_stack(
        cube, DataConfig(cube=case["cube"], channels="vv+vh", timesteps_k=2)
    )
    names = [str(c) for c in stack["channel"].values]
    stats = NormalisationStats(names, [-1.4, -1.4, -2.0, -2.0], [0.25, 0.25, 0.25, 0.25])
    model = create_model(case["model"], in_channels=len(names), num_classes=2, encoder_weights=None)
    load_start = time.perf_counter()
    calibration = None
    if case.get("engine") == "onnx_int8":
        calibration = sample_calibration_windows(stack, stats.apply)
    predictor, engine_version = make_engine_predictor(model, case, len(names), calibration)
    load_s = time.perf_counter() - load_start
    grid = grid_from_cube(cube)
    tile = case["tile_size_px"]
    predictor(np.zeros((1, len(names), 64, 64), np.float32))  # warm-up (allocator, kernels)
    out = Path(case["out_dir"])
    tiling = Tiling(
        tile_size_px=tile,
        overlap_px=case["overlap_px"],
        margin_px=0,
        size_multiple_px=get_model_spec(case["model"]).stride_px,
        batch_size=case["batch_size"],
    )
    cpu_start = process_cpu_s()
    with measure() as m:
        run = predict_map_rasters(
            stack,
            predictor,
            grid,
            out / "probability.tif",
            out / "landslides.tif",
            threshold=0.5,
            normalise=stats.apply,
            tiling=tiling,
            prefetch_blocks=case.get("prefetch_blocks", 1),
        )
    wall = m["wall_s"]
    cpu_run = process_cpu_s() - cpu_start
    # The bare forward: the model alone on as many batches of the same shape (nothing
    # else running), the reference of ``overhead_over_standalone_forward_pct``.
    # (the run's tiles, as many per call as the run's calls held on average: a block
    # of one large tile makes a call of one)
    per_call = max(1, round(run.n_tiles / max(run.n_batches, 1)))
    batch = (
        np.random.default_rng(0)
        .normal(size=(per_call, len(names), *run.tile_px))
        .astype(np.float32)
    )
    n_probe = run.n_batches
    start, cpu_start = time.perf_counter(), process_cpu_s()
    for _ in range(n_probe):
        predictor(batch)
    bare_per_batch = (time.perf_counter() - start) / max(n_probe, 1)
    cpu_bare = process_cpu_s() - cpu_start
    # The bare reads: the same blocks read and standardised in turn, with no model.
    start = time.perf_counter()
    predict_stack(
        stack,
        lambda b: np.zeros((b.shape[0], *b.shape[2:]), np.float32),
        sink=_NullSink(),
        normalise=stats.apply,
        tiling=tiling,
        prefetch_blocks=0,
    )
    bare_reads = time.perf_counter() - start
    bare_forward = bare_per_batch * run.n_batches
    pixels = height * width
    load = os.getloadavg()
    # reading overlaps the model in the prefetch thread: only the wait for it adds
    overhead = wall - run.wait_s - run.forward_s
    return {
        **{k: case[k] for k in ("name", "model", "tile_size_px", "overlap_px", "batch_size")},
        "engine": case.get("engine", "torch"),
        "engine_version": engine_version,
        "engine_load_s": round(load_s, 2),
        "load_average_1min_start_end": [round(case.get("load_before", 0.0), 1), round(load[0], 1)],
        "scene_px": [height, width],
        "pixels": pixels,
        "tiles": run.n_tiles,
        "batches": run.n_batches,
        "work_ratio": round(run.work_ratio, 3),
        "wall_s": round(wall, 2),
        "pixels_per_s": round(pixels / wall),
        "peak_rss_mib": round(m["peak_rss_mib"], 1),
        "prefetch_blocks": case.get("prefetch_blocks", 1),
        "read_composites_s": round(run.read_s, 2),
        "model_waited_on_reading_s": round(run.wait_s, 2),
        "model_forward_s": round(run.forward_s, 2),
        "blend_s": round(run.blend_s, 2),
        "write_rows_s": round(run.write_s, 2),
        "cog_and_rest_s": round(wall - run.wait_s - run.forward_s - run.blend_s - run.write_s, 2),
        "forward_per_batch_in_run_s": round(run.forward_s / max(run.n_batches, 1), 3),
        "forward_per_batch_standalone_s": round(bare_per_batch, 3),
        "overhead_tiling_blending_writing_pct": round(100 * overhead / run.forward_s, 1),
        "overhead_including_reading_pct": round(100 * (wall - run.forward_s) / run.forward_s, 1),
        # against the forward measured alone (no reader thread competing for the cores)
        "overhead_over_standalone_forward_pct": round(100 * (wall / bare_forward - 1), 1),
        # the "within 1.15x of the bare forward incl. reads": the forward and the
        # reads each measured alone, in turn
        "bare_forward_s": round(bare_forward, 2),
        "bare_reads_s": round(bare_reads, 2),
        "wall_over_bare_forward": round(wall / bare_forward, 3),
        "wall_over_bare_forward_plus_reads": round(wall / (bare_forward + bare_reads), 3),
        "tile_px_used": [run.tile_px[0], run.tile_px[1]],
        "work_ratio_used": round(run.work_ratio, 3),
        "chunks_computed": run.chunks_computed,
        # CPU seconds (all threads) of the run and of the bare forward: on a shared
        # machine their ratio moves less with the load than the walls do
        "cpu_s": round(cpu_run, 2),
        "cpu_bare_forward_s": round(cpu_bare, 2),
        "cpu_over_bare_forward_pct": round(100 * (cpu_run / max(cpu_bare, 1e-9) - 1), 1),
        "ort_spinning": case.get("ort_spinning", False),
    }


ENGINES = ("torch", "onnx", "onnx_int8", "torch_bf16")


class _NullSink:
    """Drops the rows (the bare-reads probe keeps nothing)."""

    def write_rows(self, row_start: int, rows: Any) -> None:
        del row_start, rows


def sample_calibration_windows(stack: Any, normalise: Any, count: int = 16) -> Any:
    """``count`` standardised 128 px windows of the composite stack (seeded positions)."""
    import numpy as np

    rng = np.random.default_rng(0)
    size = 128
    height, width = stack.shape[-2:]
    windows = []
    for _ in range(count):
        y0, x0 = rng.integers(0, height - size), rng.integers(0, width - size)
        values = np.asarray(stack[:, y0 : y0 + size, x0 : x0 + size].values, np.float32)
        windows.append(normalise(values, channel_axis=0))
    return np.nan_to_num(np.stack(windows)).astype(np.float32)


def make_engine_predictor(
    model: Any, case: dict[str, Any], n_channels: int, calibration: Any = None
) -> tuple[Any, str]:
    """The case's engine around ``model``: torch fp32 (channels-last), ONNX Runtime fp32
    (exported in memory, as ``--engine onnx`` does from a checkpoint) or int8 (that
    graph quantised on ``calibration``), torch bf16 autocast."""
    import torch

    from sarslide.models.onnx_engine import (
        OnnxPredictor,
        create_onnx_session,
        export_onnx_bytes,
        onnxruntime_version,
    )
    from sarslide.models.predict import make_torch_predictor
    from sarslide.models.quantize import quantize_int8

    engine = case.get("engine", "torch")
    if engine in ("onnx", "onnx_int8"):
        graph = export_onnx_bytes(model, in_channels=n_channels, tile_px=64)
        if engine == "onnx_int8":
            graph = quantize_int8(graph, calibration)
        precision = "int8" if engine == "onnx_int8" else "fp32"
        session = create_onnx_session(graph, spinning=case.get("ort_spinning", False))
        return OnnxPredictor(session), f"onnxruntime {onnxruntime_version()} {precision}"
    precision = "bf16" if engine == "torch_bf16" else "fp32"
    channels_last = case.get("channels_last", True)
    predictor = make_torch_predictor(
        model, num_classes=2, channels_last=channels_last, precision=precision
    )
    return predictor, f"torch {torch.__version__} {precision}"


METRIC_RUNS = {"onnx": "onnx_fp32", "onnx_int8": "onnx_int8", "torch_bf16": "torch_bf16"}


def metric_changes() -> list[str]:
    """Each engine's test-region AUPRC change on trained models, from
    ``results/engine_metrics.json`` (``bench_engine_metrics.py``), where it exists."""
    path = HERE / "results" / "engine_metrics.json"
    if not path.exists():
        return ["metric change: no results/engine_metrics.json (run bench_engine_metrics.py)"]
    lines = []
    for model in json.loads(path.read_text()).get("models", []):
        check = (model.get("export_precision_check") or {}).get("results", {})
        for engine, run_name in METRIC_RUNS.items():
            run = model["runs"].get(run_name)
            if run is None:
                continue
            recorded = check.get(run_name.split("_")[-1]) if run_name != "onnx_fp32" else None
            note = (
                f"; export check on val chips {recorded['auprc_change']:+.4f}, "
                f"{'passed' if recorded['passed'] else 'failed'}"
                if recorded
                else ""
            )
            lines.append(
                f"metric change, {engine} on {model['checkpoint']}: test-region AUPRC "
                f"{run['test_region_auprc_change']:+.5f} (test chips "
                f"{run['test_chips_auprc_change']:+.5f}{note})"
            )
    return lines


def compare_probability_maps(reference: Path, other: Path) -> float:
    """Largest |p - p_reference| over the pixels valid in both COGs."""
    import numpy as np
    import rasterio

    with rasterio.open(reference) as a, rasterio.open(other) as b:
        pa, pb = a.read(1), b.read(1)
    both = np.isfinite(pa) & np.isfinite(pb)
    return float(np.max(np.abs(pa[both] - pb[both]))) if both.any() else float("nan")


def _subprocess(case: dict[str, Any]) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": f"{HERE.parent}:{HERE.parent / 'src'}"}
    case = {**case, "load_before": os.getloadavg()[0]}
    proc = subprocess.run(
        [sys.executable, __file__, "--case", json.dumps(case)],
        capture_output=True,
        text=True,
        env=env,
    )
    if proc.returncode:
        raise RuntimeError(f"case {case['name']} failed:\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    sys.stderr.write(
        f"{case['name']}: {result['wall_s']} s, {result['peak_rss_mib']} MiB, "
        f"overhead {result['overhead_tiling_blending_writing_pct']} %\n"
    )
    return result


def main(quick: bool, only: list[str] | None = None, repeat: int = 1) -> None:
    """Run the cases (those whose name contains one of ``only``, if given).

    With ``only``, the other cases are kept from the previous results file of the same
    mode, so one case can be re-measured after a change. ``repeat``: rounds over the
    chosen cases, interleaved (torch, onnx, bf16, torch, ...), each case's median wall
    reported beside every round's.
    """
    import statistics

    from benchmarks.measure import results_path, write_results

    sizes = QUICK if quick else FULL
    mode = "quick" if quick else "full"
    results: dict[str, Any] = {"mode": mode, "sizes": sizes, "cases": [], "repeat": repeat}
    previous_path = results_path("inference", quick=quick)
    previous = json.loads(previous_path.read_text()) if previous_path.exists() else {}
    with tempfile.TemporaryDirectory(prefix="bench_inference_") as tmp:
        root = Path(tmp)
        from sarslide.inference.config import TilingOptions

        tile = int(TilingOptions.model_fields["tile_size_px"].default)  # predict's default
        cases = [
            ("small_overlap0", "unet-small", "hokkaido", None, 0, "torch"),
            ("small_overlap64_default", "unet-small", "hokkaido", None, 64, "torch"),
            ("small_overlap64_default_onnx", "unet-small", "hokkaido", None, 64, "onnx"),
            (
                "small_overlap64_default_onnx_int8",
                "unet-small",
                "hokkaido",
                None,
                64,
                "onnx_int8",
            ),
            (  # the tile of before (512 px): what the larger default tile saves
                "small_overlap64_tile512_onnx_int8",
                "unet-small",
                "hokkaido",
                None,
                64,
                "onnx_int8",
            ),
            (
                "small_overlap64_default_torch_bf16",
                "unet-small",
                "hokkaido",
                None,
                64,
                "torch_bf16",
            ),
            ("small_overlap64_reads_in_turn", "unet-small", "hokkaido", None, 64, "torch"),
            (
                "small_overlap50pct_crop",
                "unet-small",
                "hokkaido",
                sizes["crop_small"],
                tile // 2,
                "torch",
            ),
            ("r50_overlap0_crop", "unet-resnet50", "hokkaido", sizes["crop_r50"], 0, "torch"),
            ("r50_overlap0_crop_onnx", "unet-resnet50", "hokkaido", sizes["crop_r50"], 0, "onnx"),
            (
                "r50_overlap0_crop_onnx_int8",
                "unet-resnet50",
                "hokkaido",
                sizes["crop_r50"],
                0,
                "onnx_int8",
            ),
            (
                "r50_overlap0_crop_torch_bf16",
                "unet-resnet50",
                "hokkaido",
                sizes["crop_r50"],
                0,
                "torch_bf16",
            ),
            (
                "r50_overlap50pct_crop",
                "unet-resnet50",
                "hokkaido",
                sizes["crop_r50"],
                tile // 2,
                "torch",
            ),
            ("memory_tiny_hokkaido", "unet-tiny", "hokkaido", None, 64, "torch"),
            ("tiny_hokkaido_reads_in_turn", "unet-tiny", "hokkaido", None, 64, "torch"),
            ("memory_tiny_four_x", "unet-tiny", "four_x", None, 64, "torch"),
        ]
        if only:
            cases = [c for c in cases if any(part in c[0] for part in only)]
        start = time.perf_counter()
        cubes = {  # only those the chosen cases read
            name: write_synthetic_cube(root / f"{name}.zarr", *sizes[name])
            for name in sorted({c[2] for c in cases})
        }
        results["cube_write_s"] = round(time.perf_counter() - start, 1)
        rounds: dict[str, list[dict[str, Any]]] = {c[0]: [] for c in cases}
        for round_index in range(repeat):
            for name, model, cube, crop, overlap, engine in cases:
                out = root / f"{name}-{round_index}"
                out.mkdir()
                case = {
                    "name": name,
                    "model": model,
                    "engine": engine,
                    "cube": str(cubes[cube]),
                    "crop": crop,
                    "tile_size_px": 512 if "tile512" in name else tile,
                    "overlap_px": overlap,
                    "batch_size": 2,
                    "prefetch_blocks": 0 if "in_turn" in name else 1,
                    "out_dir": str(out),
                }
                rounds[name].append(_subprocess(case))
        for runs in rounds.values():
            walls = [r["wall_s"] for r in runs]
            median_run = sorted(runs, key=lambda r: r["wall_s"])[len(runs) // 2]
            results["cases"].append(
                {**median_run, "wall_s_rounds": walls, "wall_s_median": statistics.median(walls)}
            )
        for name, engine in ((c[0], c[5]) for c in cases):
            reference = name.removesuffix(f"_{engine}")
            if engine != "torch" and reference in rounds:
                difference = compare_probability_maps(
                    root / f"{reference}-0" / "probability.tif",
                    root / f"{name}-0" / "probability.tif",
                )
                case_result = next(c for c in results["cases"] if c["name"] == name)
                case_result["max_abs_probability_difference_vs_torch_fp32"] = difference
                torch_wall = next(c for c in results["cases"] if c["name"] == reference)
                case_result["speedup_vs_torch_fp32_median"] = round(
                    torch_wall["wall_s_median"] / case_result["wall_s_median"], 3
                )
    if only and previous.get("mode") == mode:
        measured = {c["name"] for c in results["cases"]}
        kept = [c for c in previous.get("cases", []) if c["name"] not in measured]
        results["cases"] = kept + results["cases"]
    by_name = {c["name"]: c for c in results["cases"]}
    hokkaido_px = sizes["hokkaido"][0] * sizes["hokkaido"][1]
    for name in ("r50_overlap0_crop", "r50_overlap50pct_crop", "small_overlap50pct_crop"):
        if name not in by_name:
            continue
        c = by_name[name]
        c["extrapolated_hokkaido_wall_s"] = round(hokkaido_px / c["pixels_per_s"])
        c["note"] = (
            f"run on a {c['scene_px'][0]} x {c['scene_px'][1]} crop of the Hokkaido-sized cube; "
            "extrapolated_hokkaido_wall_s = Hokkaido pixels / the crop's pixels per second"
        )
    summary = []
    for c in results["cases"]:
        if "speedup_vs_torch_fp32_median" not in c:
            continue
        reference = by_name[c["name"].removesuffix(f"_{c['engine']}")]
        summary.append(
            f"{c['name']}: {c['engine']} {c['wall_s_median']} s vs torch fp32 "
            f"{reference['wall_s_median']} s ({c['speedup_vs_torch_fp32_median']}x), "
            f"wall over bare forward {c['overhead_over_standalone_forward_pct']} % "
            f"(torch {reference['overhead_over_standalone_forward_pct']} %), max |dp| "
            f"{c['max_abs_probability_difference_vs_torch_fp32']:.1e}"
        )
    summary += metric_changes()
    results["engine_summary"] = summary
    if {"memory_tiny_four_x", "memory_tiny_hokkaido"} <= set(by_name):
        ratio = (
            by_name["memory_tiny_four_x"]["peak_rss_mib"]
            / by_name["memory_tiny_hokkaido"]["peak_rss_mib"]
        )
        results["memory_four_x_over_hokkaido"] = round(ratio, 3)
        results["memory_target_met"] = ratio <= 1.2
    results["notes"] = (
        "Random weights (timings do not depend on them); synthetic VV/VH, 4 acquisitions, "
        "composites k=2, 4 channels; tile 512 px, batch 2; torch cases fp32 channels_last "
        "(bf16 autocast where named), onnx cases ONNX Runtime fp32 with all graph "
        "optimisations; CPU threads as the machine gives. load_average_1min_start_end: the "
        "machine's load around each run. Wall time covers reading "
        "composites from Zarr, tiling, model, blending, writing rows and the COG conversion "
        "of the probability and binary maps. The machine was shared with other jobs; "
        "compare ratios (overhead, memory) rather than absolute seconds."
    )
    path = write_results("inference", results, quick=quick)
    for line in summary:  # the closing note: each engine against torch on the same scene
        sys.stderr.write(line + "\n")
    sys.stderr.write(f"wrote {path}\n")


if __name__ == "__main__":
    if "--case" in sys.argv:
        print(json.dumps(run_case(json.loads(sys.argv[sys.argv.index("--case") + 1]))))
    else:
        only = sys.argv[sys.argv.index("--only") + 1].split(",") if "--only" in sys.argv else None
        repeat = int(sys.argv[sys.argv.index("--repeat") + 1]) if "--repeat" in sys.argv else 1
        main("--quick" in sys.argv, only, repeat)
