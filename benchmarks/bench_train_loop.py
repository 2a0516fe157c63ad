"""Training loop overhead: the same steps bare and through ``sarslide.training.train``.

Both runs use the same chips (the ``quick`` preset on the simulated demo cube, 1024 px),
model, batch size, epochs, seed and torch threads. The bare run is a plain loop:
per epoch every train batch (flips, forward, loss, backward, Adam step) and every
validation batch (forward, loss) and nothing else. The ``train`` run is the whole
Lightning fit (``RunPaths.fit_s``: sanity check, logging, validation metrics,
scheduler, checkpoints). Overhead = fit / bare - 1, in wall time and in the process's
CPU time (with ``--threads 1`` the CPU time barely moves when other jobs share the
cores; wall time does, so the 1-minute load average is recorded with each pair). Bare
and ``train`` runs alternate (``--repeat`` pairs) and medians are reported.

Usage: python benchmarks/bench_train_loop.py [--quick] [--repeat N] [--epochs N]
Results: benchmarks/results/train_loop.json (train_loop_quick.json with --quick).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

FULL = {"size_px": 1024, "epochs": 30, "overrides": []}
# Tiny: a 256 px scene, 32 px chips, the 8-filter U-Net, 2 epochs (seconds).
QUICK = {
    "size_px": 256,
    "epochs": 2,
    "overrides": [
        "data.chip_size_px=32",
        "model.name=unet-tiny",
        "trainer.batch_size=4",
    ],
}


def build_config(cube_path: Path, out_dir: Path, epochs: int, overrides: list[str]) -> Any:
    import torch

    from sarslide.training import load_train_config

    return load_train_config(
        "quick",
        [
            f"data.cube={cube_path}",
            f"trainer.max_epochs={epochs}",
            "trainer.accelerator=cpu",
            # train() runs on trainer.threads: the bare loop's count, for a fair pair
            f"trainer.threads={torch.get_num_threads()}",
            f"output_dir={out_dir}",
            *overrides,
        ],
    )


def run_bare(cfg: Any, splits: Any) -> dict[str, Any]:
    """The fit's work and nothing else: train steps and validation forwards, timed."""
    import lightning
    import torch

    from sarslide.training.datamodule import LandslideDataModule, flip_batch
    from sarslide.training.task import SegmentationTask

    lightning.seed_everything(cfg.trainer.seed, workers=True, verbose=False)
    data = LandslideDataModule(
        splits,
        batch_size=cfg.trainer.batch_size,
        augment_flips=cfg.trainer.augment_flips,
        ignore_index=cfg.loss.ignore_index,
    )
    task = SegmentationTask(
        model_name=cfg.model.name,
        in_channels=data.in_channels,
        num_classes=cfg.loss.num_classes,
        model_kwargs=cfg.model.kwargs,
        loss=cfg.loss.name,
        lr=cfg.optim.lr,
        weight_decay=cfg.optim.weight_decay,
    )
    model, loss_fn = task.model, task.loss_fn
    model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(
        model.parameters(), lr=cfg.optim.lr, weight_decay=cfg.optim.weight_decay
    )
    train_x, train_y = data.dataset("train").tensors
    val_x, val_y = data.dataset("val").tensors
    batch = cfg.trainer.batch_size
    steps = 0
    start, start_cpu = time.perf_counter(), time.process_time()
    for _ in range(cfg.trainer.max_epochs):
        model.train()
        order = torch.randperm(len(train_x))
        for i in range(0, len(order), batch):
            idx = order[i : i + batch]
            x, y = train_x[idx], train_y[idx]
            if cfg.trainer.augment_flips:
                x, y = flip_batch(x, y)
            loss = loss_fn(model(x.contiguous(memory_format=torch.channels_last)), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            steps += 1
        model.eval()
        with torch.no_grad():
            for i in range(0, len(val_x), batch):
                x = val_x[i : i + batch].contiguous(memory_format=torch.channels_last)
                loss_fn(model(x), val_y[i : i + batch])
    wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    return {"bare_s": wall, "bare_cpu_s": cpu, "train_steps": steps}


def run_train(cfg: Any) -> dict[str, Any]:
    """The same steps through ``train`` (chips are cached in the process)."""
    from sarslide.training import train

    start = time.perf_counter()
    paths = train(cfg, progress=False, resume=False)
    return {
        "fit_s": paths.fit_s,
        "fit_cpu_s": paths.fit_cpu_s,
        "train_total_s": time.perf_counter() - start,
        "fit_steps": paths.fit_steps,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny scene and model (seconds)")
    parser.add_argument("--repeat", type=int, default=None, help="bare/train pairs (default 2)")
    parser.add_argument("--epochs", type=int, default=None, help="override the epochs")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    args = parser.parse_args(argv)

    from sarslide.compat import ensure_torchvision_importable

    ensure_torchvision_importable()
    import torch

    from benchmarks.measure import write_results
    from sarslide.chips import build_chip_splits
    from sarslide.datacube import write_cube
    from sarslide.simulate import simulate_event_cube

    if args.threads:
        torch.set_num_threads(args.threads)
    sizes = QUICK if args.quick else FULL
    epochs = args.epochs or int(sizes["epochs"])
    repeat = args.repeat or (1 if args.quick else 2)
    pairs = []
    with tempfile.TemporaryDirectory(prefix="bench_train_loop_") as tmp:
        root = Path(tmp)
        side = int(sizes["size_px"])
        cube = simulate_event_cube(seed=0, height_px=side, width_px=side)
        cube_path = write_cube(cube, root / "cube.zarr")
        overrides = list(sizes["overrides"])  # type: ignore[call-overload]
        for i in range(repeat):
            cfg = build_config(cube_path, root / f"run{i}", epochs, overrides)
            splits = build_chip_splits(cfg.data)
            bare = run_bare(cfg, splits)
            fitted = run_train(cfg)
            pair = {
                **bare,
                **fitted,
                "overhead_pct": 100 * (fitted["fit_s"] / bare["bare_s"] - 1),
                "overhead_cpu_pct": 100 * (fitted["fit_cpu_s"] / bare["bare_cpu_s"] - 1),
                # absolute: what a GPU step (milliseconds) would carry on top of itself
                "overhead_cpu_ms_per_step": 1000
                * (fitted["fit_cpu_s"] - bare["bare_cpu_s"])
                / bare["train_steps"],
                "load_average_1min": os.getloadavg()[0],
            }
            sys.stderr.write(
                f"pair {i}: bare {bare['bare_s']:.1f} s, fit {fitted['fit_s']:.1f} s "
                f"({pair['overhead_pct']:+.1f} % wall, {pair['overhead_cpu_pct']:+.1f} % CPU), "
                f"train() {fitted['train_total_s']:.1f} s, load {pair['load_average_1min']:.1f}\n"
            )
            pairs.append(pair)
    bare_s = statistics.median(p["bare_s"] for p in pairs)
    fit_s = statistics.median(p["fit_s"] for p in pairs)
    results = {
        "mode": "quick" if args.quick else "full",
        "preset": "quick",
        "scene_px": [side, side],
        "overrides": overrides,
        "epochs": epochs,
        "train_steps": pairs[0]["train_steps"],
        "torch_threads": torch.get_num_threads(),
        "pairs": [{k: round(v, 3) for k, v in p.items()} for p in pairs],
        "bare_s_median": round(bare_s, 2),
        "fit_s_median": round(fit_s, 2),
        "overhead_pct_median": round(statistics.median(p["overhead_pct"] for p in pairs), 1),
        "overhead_cpu_pct_median": round(
            statistics.median(p["overhead_cpu_pct"] for p in pairs), 1
        ),
        "overhead_cpu_ms_per_step_median": round(
            statistics.median(p["overhead_cpu_ms_per_step"] for p in pairs), 1
        ),
        "target_overhead_pct": 10,
        "notes": (
            "bare = train steps (flips, forward, loss, backward, Adam) + validation forwards "
            "in a plain loop; fit = Lightning fit inside sarslide.training.train (sanity "
            "check, logging, validation AUPRC, scheduler, checkpoints). CPU, fp32, "
            "channels_last. The machine may be shared: bare and fit runs alternate; "
            "CPU-time overhead is the load-robust figure."
        ),
    }
    path = write_results("train_loop", results, quick=args.quick)
    sys.stderr.write(f"wrote {path}\n")
    return results


if __name__ == "__main__":
    main()
