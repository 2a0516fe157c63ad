"""The model on dask.distributed workers: 1 vs 2 worker processes, per-block work and transfer.

A synthetic cube (as ``bench_inference``) and a checkpoint with seeded random weights
are written to a temporary folder. The map is made locally (this process, all cores,
ONNX Runtime) and then with ``predict_map_rasters(workers=WorkerBlocks(...))`` on a
``LocalCluster`` of 1 and of 2 worker processes (one thread each), as ``predict
--scheduler`` makes it: the workers read the composites and run the model, this
process (the client) blends the blocks and writes the GeoTIFFs and COGs. Cluster
start-up and the model load on each worker (done first, as it is once per worker
process) are not timed. Blocks of one 512 px tile.

Reported per run (``runs.workers_N``):

- ``wall_s``: the map, reads to COGs; ``speedup_2_over_1_workers``.
- per block, on the workers (dask's task stream): ``read_task_s`` (Zarr decode, log10,
  mean composites), ``predict_task_s`` (standardise + the block's forward passes),
  ``forward_s``, ``worker_to_worker_transfer_s``.
- per block, sent: ``bytes_to_worker`` (the pickled task arguments and the block's
  optimised read graph the client sends) and ``bytes_to_client`` (the tiles' float32
  probabilities and the nodata mask that come back); ``transfer_mib_s``: the measured
  worker -> client rate (median of 5 round trips of one block's result) and
  ``transfer_s`` = bytes / rate.
- on the client: ``client_waited_s`` (for the workers), ``blend_s``, ``row_write_s``,
  ``cog_s`` (the COG conversion after the last row) and ``assembly_s`` (their sum),
  per block and in all.

docs/predict.md ("The model on the workers") extrapolates N GPU workers from these.

Usage: python benchmarks/bench_workers.py [--quick] [--scene-px N] [--model NAME]
       [--in-process]   (threads instead of worker processes: a test of the script)
Writes benchmarks/results/workers.json (workers_quick.json with --quick).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

SIZES = {"full": 2048, "quick": 1024}
MODEL = "unet-small"
BLOCK_PX = 512  # one tile per block: several blocks per worker even on the quick scene
TILE_PX, OVERLAP_PX, BATCH = 512, 64, 2


def write_checkpoint(path: Path, model_name: str = MODEL) -> Path:
    """A checkpoint in ``sarslide train``'s format (random weights, 4 channels, k=2)."""
    import numpy as np
    import torch

    from sarslide.chips import DataConfig, NormalisationStats
    from sarslide.models import create_model

    names = ["vv_before", "vv_after", "vh_before", "vh_after"]
    torch.manual_seed(0)
    model = create_model(model_name, in_channels=4, num_classes=2, encoder_weights=None)
    stats = NormalisationStats(names, np.array([-1.4, -1.4, -2.0, -2.0]), np.full(4, 0.25), 1)
    torch.save(
        {
            "state_dict": {f"model.{k}": v for k, v in model.state_dict().items()},
            "hyper_parameters": {
                "model_name": model_name,
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


def measured_worker_blocks(client: Any, spec: Any) -> Any:
    """``WorkerBlocks`` that also counts what each block sends and brings back."""
    import cloudpickle
    import dask

    from sarslide.inference.worker_predict import WorkerBlocks

    class MeasuredWorkerBlocks(WorkerBlocks):
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            self.bytes_to_worker: list[int] = []
            self.bytes_to_client: list[int] = []

        def predict_blocks(self, *args: Any) -> Iterator[Any]:
            for block in super().predict_blocks(*args):
                mask_bytes = -(-block.nodata.size // 8)  # it travels as bits (np.packbits)
                self.bytes_to_client.append(block.probabilities.nbytes + mask_bytes)
                yield block

        def _submit(self, stack: Any, blocks: Any, windows: Any, n: int, *args: Any) -> Any:
            normalise, tiling = args
            height, width = int(stack.shape[1]), int(stack.shape[2])
            y0, y1, x0, x1 = windows[n]
            window = stack.data[:, y0 : min(y1, height), x0 : min(x1, width)]
            task = (self.spec, blocks[n], windows[n], normalise, tiling.batch_size)
            (culled,) = dask.optimize(window)  # what compute sends: this window's tasks only
            graph = dict(culled.__dask_graph__())
            sent = len(cloudpickle.dumps(task)) + len(cloudpickle.dumps(graph))
            self.bytes_to_worker.append(sent)
            return super()._submit(stack, blocks, windows, n, *args)

    return MeasuredWorkerBlocks(client, spec)


def run_map(
    stack: Any, fns: dict[str, Any], tiling: Any, workers: Any, out: Path
) -> dict[str, Any]:
    """One map into GeoTIFFs + COGs (local when ``workers`` is None), timed, with its stats."""
    from sarslide.inference.geotiff import grid_from_cube, read_raster
    from sarslide.inference.map_rasters import predict_map_rasters

    out.mkdir(parents=True)
    start = time.perf_counter()
    stats = predict_map_rasters(
        stack,
        fns["predictor"],
        grid_from_cube(fns["cube"]),
        out / "probability.tif",
        out / "landslides.tif",
        threshold=0.5,
        normalise=fns["normalise"],
        tiling=tiling,
        workers=workers,
        block_size_px=BLOCK_PX,
    )
    wall = time.perf_counter() - start
    blocks = int(stats.notes.get("blocks") or stats.n_tiles)  # local: one tile per block too
    cog_s = wall - stats.wall_s  # the writers' close: COG conversion of both rasters
    assembly = stats.blend_s + stats.write_s + cog_s
    result: dict[str, Any] = {
        "wall_s": round(wall, 2),
        "blocks": blocks,
        "tiles": stats.n_tiles,
        "forward_s_sum": round(stats.forward_s, 2),
        "read_s_sum": round(stats.read_s, 2),  # workers: standardising only (see read_task)
        "client_waited_s": round(stats.wait_s, 2),
        "blend_s": round(stats.blend_s, 3),
        "row_write_s": round(stats.write_s, 3),
        "cog_s": round(cog_s, 3),
        "assembly_s": round(assembly, 3),
        "assembly_s_per_block": round(assembly / blocks, 4),
        "forward_s_per_block": round(stats.forward_s / blocks, 3),
        "blocks_by_worker_pid": stats.notes.get("blocks_by_worker_pid"),
        "model_on_workers": stats.notes.get("model_on_workers"),
    }
    result["probability"] = read_raster(out / "probability.tif")[0]
    return result


def task_stream_figures(tasks: list[dict[str, Any]], blocks: int) -> dict[str, float]:
    """Per-block worker seconds from dask's task stream: read tasks, predict tasks, transfers."""
    from distributed.utils import key_split

    read = predict = transfer = 0.0
    for task in tasks:
        for step in task.get("startstops", ()):
            seconds = float(step["stop"] - step["start"])
            if step["action"] == "transfer":
                transfer += seconds
            elif step["action"] == "compute":
                if key_split(task["key"]) == "predict_block_task":
                    predict += seconds
                else:
                    read += seconds
    return {
        "read_task_s_per_block": round(read / blocks, 4),
        "predict_task_s_per_block": round(predict / blocks, 4),
        "worker_to_worker_transfer_s_per_block": round(transfer / blocks, 4),
    }


def run_on_workers(
    n_workers: int, ctx: dict[str, Any], reference: Any, *, processes: bool
) -> dict[str, Any]:
    """The map on a ``LocalCluster`` of ``n_workers`` (model loaded on each first)."""
    import numpy as np
    from distributed import Client, LocalCluster, get_task_stream

    from sarslide.inference.worker_predict import WorkerModelSpec

    with (
        LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=processes,
            dashboard_address=":0",
        ) as cluster,
        Client(cluster) as client,
    ):
        spec = WorkerModelSpec(str(ctx["checkpoint"]), engine="onnx", device="cpu")
        start = time.perf_counter()  # each worker loads the model before the clock
        client.run(warm_worker, spec)
        warm_s = round(time.perf_counter() - start, 2)
        workers = measured_worker_blocks(client, spec)
        with get_task_stream(client) as stream:
            run = run_map(
                ctx["stack"], ctx["fns"], ctx["tiling"], workers, ctx["root"] / f"w{n_workers}"
            )
        probability = run.pop("probability")
        blocks = run["blocks"]
        run.update(task_stream_figures(stream.data, blocks))
        run["model_load_on_all_workers_s"] = warm_s
        run["max_abs_difference_vs_local"] = float(np.nanmax(np.abs(probability - reference)))
        to_worker, to_client = workers.bytes_to_worker, workers.bytes_to_client
        run["bytes_to_worker_per_block"] = round(statistics.mean(to_worker)) if to_worker else 0
        run["bytes_to_client_per_block"] = round(statistics.mean(to_client)) if to_client else 0
        rate = transfer_rate_mib_s(client, max(run["bytes_to_client_per_block"], 2**20))
        run["transfer_mib_s"] = round(rate, 1)
        run["transfer_s_per_block"] = round(run["bytes_to_client_per_block"] / 2**20 / rate, 4)
    return run


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1024 px scene (default 2048)")
    parser.add_argument("--scene-px", type=int, default=None, help="scene side (px)")
    parser.add_argument("--model", default=MODEL, help="registry model name")
    parser.add_argument(
        "--in-process", action="store_true", help="threads, not processes (tests the script)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    from benchmarks.bench_inference import write_synthetic_cube
    from benchmarks.measure import write_results
    from sarslide.chips import DataConfig, build_composite_stack
    from sarslide.datacube import open_cube
    from sarslide.inference.tiling import Tiling
    from sarslide.models.engines import load_inference_model

    args = parse_args(argv)
    mode = "quick" if args.quick else "full"
    side = args.scene_px or SIZES[mode]
    results: dict[str, Any] = {"mode": mode, "scene_px": [side, side], "model": args.model}
    results["load_average_1min_start"] = round(os.getloadavg()[0], 1)
    with tempfile.TemporaryDirectory(prefix="bench_workers_") as tmp:
        root = Path(tmp)
        cube_path = write_synthetic_cube(root / "c.zarr", side, side)
        ckpt = write_checkpoint(root / "best.ckpt", args.model)
        cube = open_cube(cube_path, task="mapping")
        stack = build_composite_stack(cube, DataConfig(cube=str(cube_path), timesteps_k=2))
        local = load_inference_model(ckpt, engine="onnx")
        normalise = local.bundle.normalisation.apply  # type: ignore[union-attr]
        fns = {"predictor": local.predict_batch, "normalise": normalise, "cube": cube}
        tiling = Tiling(
            tile_size_px=TILE_PX,
            overlap_px=OVERLAP_PX,
            size_multiple_px=local.size_multiple_px,
            batch_size=BATCH,
        )
        runs = {"local_all_cores": run_map(stack, fns, tiling, None, root / "local")}
        reference = runs["local_all_cores"].pop("probability")
        ctx = {"checkpoint": ckpt, "stack": stack, "fns": fns, "tiling": tiling, "root": root}
        for n_workers in (1, 2):
            runs[f"workers_{n_workers}"] = run_on_workers(
                n_workers, ctx, reference, processes=not args.in_process
            )
    results["load_average_1min_end"] = round(os.getloadavg()[0], 1)
    results["runs"] = runs
    results["speedup_2_over_1_workers"] = round(
        runs["workers_1"]["wall_s"] / runs["workers_2"]["wall_s"], 3
    )
    results["result_bytes_per_512px_tile"] = 512 * 512 * 4
    results["notes"] = (
        "Engine onnx (ONNX Runtime fp32) everywhere; workers are "
        + ("threads of this process (--in-process)" if args.in_process else "processes")
        + " with one thread each (dask sets OMP_NUM_THREADS=1), the local run uses all "
        "cores. Blocks of one tile (512 px, overlap 64). cog_s: the COG conversion of both "
        "rasters after the last row. The machine has 2 cores, often shared with other jobs: "
        "the load average says how busy it was."
    )
    path = write_results("workers", results, quick=args.quick)
    sys.stderr.write(f"wrote {path}\n")
    return results


if __name__ == "__main__":
    main()
