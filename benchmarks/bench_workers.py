"""The model on dask.distributed workers: 1 vs 2 worker processes, per-block work, transfer.

A synthetic cube (as ``bench_inference``) and a unet-small checkpoint with seeded random
weights are written to a temporary folder; the map is made locally (this process, all
cores) and then with ``predict_stack(workers=WorkerBlocks(...))`` on a ``LocalCluster``
of 1 and of 2 worker processes (one thread each), cluster start-up and the model load
on each worker (done first, as a worker plugin would) not timed; blocks of one tile. Reported
per run: wall, the workers' per-block read (composites + standardisation) and forward
seconds, the model load per worker, the bytes each block sends back and a measured
client <- worker transfer rate (median of 5 round trips of one block's result), from
which docs/predict.md extrapolates N GPU workers on paper.

Usage: python benchmarks/bench_workers.py [--quick]
Writes benchmarks/results/workers.json (workers_quick.json with --quick).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

SIZES = {"full": (2048, 2048), "quick": (1024, 1024)}
MODEL = "unet-small"
BLOCK_PX = 512  # one tile per block: several blocks per worker even on the quick scene


def write_checkpoint(path: Path) -> Path:
    """A checkpoint in ``sarslide train``'s format (random weights, 4 channels, k=2)."""
    import numpy as np
    import torch

    from sarslide.chips import DataConfig, NormalisationStats
    from sarslide.models import create_model

    names = ["vv_before", "vv_after", "vh_before", "vh_after"]
    torch.manual_seed(0)
    model = create_model(MODEL, in_channels=4, num_classes=2, encoder_weights=None)
    stats = NormalisationStats(names, np.array([-1.4, -1.4, -2.0, -2.0]), np.full(4, 0.25), 1)
    torch.save(
        {
            "state_dict": {f"model.{k}": v for k, v in model.state_dict().items()},
            "hyper_parameters": {
                "model_name": MODEL,
                "num_classes": 2,
                "model_kwargs": {},
                "metadata": {
                    "channel_names": names,
                    "normalisation": stats.to_dict(),
                    "data_config": DataConfig(cube="c.zarr", timesteps_k=2).model_dump(mode="json"),
                    "threshold": 0.5,
                },
            },
        },
        path,
    )
    return path


def warm_worker(spec: Any) -> float:
    """Load the model on this worker (its per-process cache); the seconds it took."""
    from sarslide.inference.worker_predict import load_worker_model

    return load_worker_model(spec)[1]


def transfer_rate_mib_s(client: Any, nbytes: int) -> float:
    """Median MiB/s of bringing an ``nbytes`` float32 array from a worker to the client."""
    import numpy as np

    def make(n: int, seed: int) -> Any:
        return np.random.default_rng(seed).random(n // 4, dtype=np.float32)

    rates = []
    for seed in range(5):
        future = client.submit(make, nbytes, seed, pure=False)
        client.gather(client.submit(len, future))  # made on the worker first
        start = time.perf_counter()
        future.result()
        rates.append(nbytes / 2**20 / (time.perf_counter() - start))
    return statistics.median(rates)


def run_map(stack: Any, fns: dict[str, Any], tiling: Any, workers: Any) -> dict[str, Any]:
    """One map into memory (local when ``workers`` is None), timed, with its stats."""
    import numpy as np

    from sarslide.inference.predict_scene import predict_stack
    from sarslide.inference.sinks import ArraySink

    start = time.perf_counter()
    out: dict[str, Any] = {}
    probability = np.full(stack.shape[1:], np.nan, np.float32)
    stats = predict_stack(
        stack,
        fns["predictor"],
        sink=ArraySink(probability),
        tiling=tiling,
        normalise=fns["normalise"],
        workers=workers,
        block_size_px=BLOCK_PX,
    )
    out["wall_s"] = round(time.perf_counter() - start, 2)
    out["blocks"] = stats.notes.get("blocks")
    out["tiles"] = stats.n_tiles
    out["read_s_sum"] = round(stats.read_s, 2)
    out["forward_s_sum"] = round(stats.forward_s, 2)
    out["client_waited_s"] = round(stats.wait_s, 2)
    out["blend_s"] = round(stats.blend_s, 2)
    out["worker_model_load_s_sum"] = round(stats.notes.get("worker_model_load_s", 0.0), 2)
    out["blocks_by_worker_pid"] = stats.notes.get("blocks_by_worker_pid")
    out["probability"] = probability
    return out


def main(quick: bool) -> None:
    import numpy as np
    from distributed import Client, LocalCluster

    from benchmarks.bench_inference import write_synthetic_cube
    from benchmarks.measure import write_results
    from sarslide.chips import DataConfig, build_composite_stack
    from sarslide.datacube import open_cube
    from sarslide.inference.tiling import Tiling
    from sarslide.inference.worker_predict import WorkerBlocks, WorkerModelSpec
    from sarslide.models.engines import load_inference_model

    mode = "quick" if quick else "full"
    height, width = SIZES[mode]
    results: dict[str, Any] = {"mode": mode, "scene_px": [height, width], "model": MODEL}
    with tempfile.TemporaryDirectory(prefix="bench_workers_") as tmp:
        root = Path(tmp)
        cube_path = write_synthetic_cube(root / "c.zarr", height, width)
        ckpt = write_checkpoint(root / "best.ckpt")
        stack = build_composite_stack(
            open_cube(cube_path, task="mapping"), DataConfig(cube=str(cube_path), timesteps_k=2)
        )
        local = load_inference_model(ckpt, engine="onnx")
        normalise = local.bundle.normalisation.apply  # type: ignore[union-attr]
        fns = {"predictor": local.predict_batch, "normalise": normalise}
        tiling = Tiling(tile_size_px=512, overlap_px=64, size_multiple_px=16, batch_size=2)
        runs = {"local_all_cores": run_map(stack, fns, tiling, None)}
        reference = runs["local_all_cores"].pop("probability")
        results["load_average_1min_start"] = round(os.getloadavg()[0], 1)
        for n_workers in (1, 2):
            with (
                LocalCluster(
                    n_workers=n_workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=":0",
                ) as cluster,
                Client(cluster) as client,
            ):
                spec = WorkerModelSpec(str(ckpt), engine="onnx", device="cpu")
                name = f"workers_{n_workers}"
                start = time.perf_counter()  # each worker loads the model before the clock
                client.run(warm_worker, spec)
                warm_s = round(time.perf_counter() - start, 2)
                runs[name] = run_map(stack, fns, tiling, WorkerBlocks(client, spec))
                probability = runs[name].pop("probability")
                runs[name]["model_load_on_all_workers_s"] = warm_s
                runs[name]["max_abs_difference_vs_local"] = float(
                    np.nanmax(np.abs(probability - reference))
                )
                per_block_bytes = 6 * 512 * 512 * 4  # a block of 2 x 3 tiles' probabilities
                runs[name]["transfer_mib_s"] = round(
                    transfer_rate_mib_s(client, per_block_bytes), 1
                )
        results["load_average_1min_end"] = round(os.getloadavg()[0], 1)
        for run in runs.values():
            blocks = run["blocks"] or 1
            run["read_s_per_block"] = round(run["read_s_sum"] / blocks, 3)
            run["forward_s_per_block"] = round(run["forward_s_sum"] / blocks, 3)
        results["runs"] = runs
        results["speedup_2_over_1_workers"] = round(
            runs["workers_1"]["wall_s"] / runs["workers_2"]["wall_s"], 3
        )
        results["result_bytes_per_512px_tile"] = 512 * 512 * 4
    results["notes"] = (
        "Engine onnx (ONNX Runtime fp32) everywhere; workers are processes with one thread "
        "each (dask sets OMP_NUM_THREADS=1), the local run uses all cores. The machine has "
        "2 cores shared with other jobs: the load average says how busy it was."
    )
    path = write_results("workers", results, quick=quick)
    sys.stderr.write(f"wrote {path}\n")


if __name__ == "__main__":
    main("--quick" in sys.argv)
