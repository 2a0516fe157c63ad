"""GPU check: training throughput, the paper recipe's time, whole-scene inference, memory.

One prepared script for a lent GPU machine (under 5 minutes on one H100/H200):

1. Training, U-Net++ R50 and U-Net R50, fp32 and bf16 (fp16 where the GPU lacks
   bf16): train chips/s of bare steps on chips kept on the device (216 chips of
   8 x 128 x 128, batch 16, Adam, cross-entropy, channels_last), and the paper recipe's
   time (216 chips x 100 epochs) estimated from them; then a few epochs of the same
   chips through ``sarslide.training.fit_task`` (Lightning, checkpoints, validation
   AUPRC) with U-Net R50 in the GPU's mixed precision, whose per-epoch time gives the
   recipe's time through ``train`` itself.
2. Whole-scene inference on a Hokkaido-sized synthetic cube (4398 x 5382 px, VV/VH,
   4 acquisitions, composites k=2) with U-Net++ R50: reading composites from Zarr in
   the prefetch thread, tiles of 512 px, batch size from free memory, probability and
   binary COGs written as ``sarslide predict`` does. Wall time, px/s, and the share of
   the wall time the model waited for reading.
3. Peak GPU memory of each part.

``--quick`` runs the same code with tiny sizes (and tiny models) on whatever device
there is, CPU included: the default test suite runs it, so the script is known to work
before a GPU is lent. Full mode refuses to run without a CUDA GPU.

Usage: python benchmarks/gpu_check.py [--quick] [--device auto|cuda|cuda:N|cpu]
       [--output DIR]   (default benchmarks/results)
Results: gpu.json (gpu_quick.json with --quick).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

PAPER_CHIPS, PAPER_EPOCHS, VAL_CHIPS = 216, 100, 46
FULL = {
    "models": ("unetplusplus-resnet50", "unet-resnet50"),
    "fit_model": "unet-resnet50",
    "scene_model": "unetplusplus-resnet50",
    "chips": PAPER_CHIPS,
    "val_chips": VAL_CHIPS,
    "chip_px": 128,
    "channels": 8,
    "batch": 16,
    "warmup_steps": 3,
    "steps": 20,
    "fit_epochs": 4,
    "scene_px": (4398, 5382),
    "tile_px": 512,
    "model_kwargs": {},
}
QUICK = {
    "models": ("unet-tiny",),
    "fit_model": "unet-tiny",
    "scene_model": "unet-tiny",
    "model_kwargs": {"base_filters": 4, "depth": 2},
    "chips": 8,
    "val_chips": 4,
    "chip_px": 16,
    "channels": 8,
    "batch": 4,
    "warmup_steps": 1,
    "steps": 1,
    "fit_epochs": 1,
    "scene_px": (96, 128),
    "tile_px": 64,
}


def _sync(device: Any) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _reset_peak(device: Any) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)


def _peak_mib(device: Any) -> float | None:
    import torch

    if device.type != "cuda":
        return None
    return round(torch.cuda.max_memory_allocated(device) / 2**20, 1)


def make_chips(sizes: dict[str, Any], n: int, device: Any, seed: int = 0) -> tuple[Any, Any]:
    """Random standardised chips and ~10 % positive labels, on ``device``."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    side, channels = sizes["chip_px"], sizes["channels"]
    x = torch.randn(n, channels, side, side, generator=gen)
    y = (torch.rand(n, side, side, generator=gen) < 0.1).long()
    return x.to(device), y.to(device)


def measure_training(name: str, precision: str, sizes: dict[str, Any], device: Any) -> dict:
    """Bare train steps on device-resident chips: chips/s and the recipe's estimated time."""
    import torch

    from sarslide.devices import resolve_precision
    from sarslide.models import create_model
    from sarslide.training.datamodule import ChipBatchLoader

    plan = resolve_precision(precision, device)
    torch.manual_seed(0)
    model = create_model(
        name, in_channels=sizes["channels"], num_classes=2, **sizes["model_kwargs"]
    )
    model = model.to(device).to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=1e-4)
    scaler = torch.amp.GradScaler(device.type, enabled=plan.needs_grad_scaler)
    loss_fn = torch.nn.CrossEntropyLoss()
    x, y = make_chips(sizes, sizes["chips"], device)
    loader = ChipBatchLoader(x, y, batch_size=sizes["batch"], shuffle=True)

    def batches() -> Any:
        while True:
            yield from loader

    stream = batches()

    def step() -> None:
        xb, yb = next(stream)
        with plan.autocast(device):
            loss = loss_fn(model(xb.contiguous(memory_format=torch.channels_last)), yb)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()

    _reset_peak(device)
    model.train()
    for _ in range(sizes["warmup_steps"]):
        step()
    _sync(device)
    start = time.perf_counter()
    for _ in range(sizes["steps"]):
        step()
    _sync(device)
    train_s = (time.perf_counter() - start) / sizes["steps"]
    val_x = x[: sizes["batch"]]
    model.eval()
    with torch.inference_mode(), plan.autocast(device):
        model(val_x)
        _sync(device)
        start = time.perf_counter()
        for _ in range(sizes["steps"]):
            model(val_x)
        _sync(device)
    infer_s = (time.perf_counter() - start) / sizes["steps"]
    train_rate = sizes["batch"] / train_s
    infer_rate = sizes["batch"] / infer_s
    recipe_s = PAPER_EPOCHS * (PAPER_CHIPS / train_rate + VAL_CHIPS / infer_rate)
    return {
        "model": name,
        "precision": plan.name,
        "train_chips_per_s": round(train_rate, 2),
        "inference_chips_per_s": round(infer_rate, 2),
        "paper_recipe_s_bare_estimate": round(recipe_s, 1),
        "peak_gpu_mib": _peak_mib(device),
    }


def measure_fit(sizes: dict[str, Any], device: Any, run_dir: Path) -> dict:
    """A few epochs through ``fit_task`` (Lightning): the recipe's time through ``train``."""
    import torch

    from sarslide.compat.torch_stack import lightning
    from sarslide.devices import resolve_precision
    from sarslide.training.config import TrainerConfig
    from sarslide.training.datamodule import ChipBatchLoader
    from sarslide.training.run import fit_task
    from sarslide.training.task import SegmentationTask

    class DeviceChips(lightning.LightningDataModule):
        def __init__(self) -> None:
            super().__init__()
            self.train = make_chips(sizes, sizes["chips"], device, seed=1)
            self.val = make_chips(sizes, sizes["val_chips"], device, seed=2)

        def train_dataloader(self) -> ChipBatchLoader:
            return ChipBatchLoader(*self.train, batch_size=sizes["batch"], shuffle=True)

        def val_dataloader(self) -> ChipBatchLoader:
            return ChipBatchLoader(*self.val, batch_size=sizes["batch"], shuffle=False)

    torch.manual_seed(0)
    precision = resolve_precision("auto", device)
    task = SegmentationTask(
        sizes["fit_model"], in_channels=sizes["channels"], model_kwargs=sizes["model_kwargs"]
    )
    trainer_cfg = TrainerConfig(
        max_epochs=sizes["fit_epochs"], device=str(device), precision=precision.name
    )
    _reset_peak(device)
    paths = fit_task(task, DeviceChips(), trainer_cfg, run_dir, progress=False, resume=False)
    epoch_s = paths.fit_s / sizes["fit_epochs"]
    return {
        "model": sizes["fit_model"],
        "precision": paths.precision,
        "epochs": sizes["fit_epochs"],
        "fit_s": round(paths.fit_s, 2),
        "train_chips": sizes["chips"],
        "val_chips": sizes["val_chips"],
        "paper_recipe_s_through_fit": round(
            epoch_s * PAPER_EPOCHS * PAPER_CHIPS / sizes["chips"], 1
        ),
        "peak_gpu_mib": _peak_mib(device),
    }


def measure_scene(sizes: dict[str, Any], device: Any, root: Path) -> dict:
    """Whole-scene prediction of a synthetic cube, as ``sarslide predict`` streams it."""
    import numpy as np
    import torch

    from benchmarks.bench_inference import write_synthetic_cube
    from sarslide.chips import DataConfig, NormalisationStats, build_composite_stack
    from sarslide.datacube import open_cube
    from sarslide.devices import resolve_precision
    from sarslide.inference.geotiff import grid_from_cube
    from sarslide.inference.map_rasters import predict_map_rasters
    from sarslide.inference.tiling import Tiling
    from sarslide.models import create_model, get_model_spec
    from sarslide.models.predict import auto_batch_size, make_torch_predictor, prepare_model

    height, width = sizes["scene_px"]
    start = time.perf_counter()
    cube_path = write_synthetic_cube(root / "scene.zarr", height, width)
    cube_write_s = time.perf_counter() - start
    cube = open_cube(cube_path, task="mapping")
    stack = build_composite_stack(cube, DataConfig(cube=str(cube_path), timesteps_k=2))
    names = [str(c) for c in stack["channel"].values]
    stats = NormalisationStats(names, [-1.4, -1.4, -2.0, -2.0], [0.25] * 4)
    name, tile = sizes["scene_model"], sizes["tile_px"]
    torch.manual_seed(0)
    model = create_model(name, in_channels=len(names), num_classes=2, **sizes["model_kwargs"])
    plan = resolve_precision("auto", device)
    model = prepare_model(model, device=device, channels_last=True)
    batch = auto_batch_size(model, (len(names), tile, tile), device, plan)
    predictor = make_torch_predictor(model, num_classes=2, device=device, precision=plan)
    predictor(np.zeros((batch, len(names), tile, tile), np.float32))  # warm-up
    grid = grid_from_cube(cube)
    _reset_peak(device)
    start = time.perf_counter()
    run = predict_map_rasters(
        stack,
        predictor,
        grid,
        root / "probability.tif",
        root / "landslides.tif",
        threshold=0.5,
        normalise=stats.apply,
        tiling=Tiling(
            tile_size_px=tile,
            overlap_px=64 if tile >= 256 else 8,
            size_multiple_px=get_model_spec(name).stride_px,
            batch_size=batch,
        ),
    )
    wall = time.perf_counter() - start
    return {
        "model": name,
        "precision": plan.name,
        "scene_px": [height, width],
        "tile_px": tile,
        "batch_size": batch,
        "tiles": run.n_tiles,
        "wall_s": round(wall, 2),
        "pixels_per_s": round(height * width / wall),
        "read_s_in_prefetch_thread": round(run.read_s, 2),
        "model_forward_s": round(run.forward_s, 2),
        "waited_on_reading_s": round(run.wait_s, 2),
        "share_waiting_on_reading": round(run.wait_s / wall, 3),
        "synthetic_cube_write_s": round(cube_write_s, 1),
        "peak_gpu_mib": _peak_mib(device),
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes; any device")
    parser.add_argument("--device", default="auto", help="auto, cuda, cuda:N, cpu")
    parser.add_argument("--output", type=Path, default=None, help="results folder")
    args = parser.parse_args(argv)

    import torch

    from benchmarks import measure
    from sarslide.devices import describe_device, resolve_device

    device = resolve_device(args.device)
    if not args.quick and device.type != "cuda":
        raise SystemExit(
            f"gpu_check full mode needs a CUDA GPU; this machine has {describe_device(device)}. "
            "Run with --quick for the tiny CPU check."
        )
    sizes = QUICK if args.quick else FULL
    started = time.perf_counter()
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    mixed = "bf16" if device.type != "cuda" or torch.cuda.is_bf16_supported() else "fp16"
    training = [
        measure_training(name, precision, sizes, device)
        for name in sizes["models"]
        for precision in ("fp32", mixed)
    ]
    for case in training:
        sys.stderr.write(f"train {case}\n")
    with tempfile.TemporaryDirectory(prefix="gpu_check_") as tmp:
        fit = measure_fit(sizes, device, Path(tmp) / "fit")
        sys.stderr.write(f"fit {fit}\n")
        scene = measure_scene(sizes, device, Path(tmp))
        sys.stderr.write(f"scene {scene}\n")
    results = {
        "mode": "quick" if args.quick else "full",
        "device": describe_device(device),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "sizes": {k: list(v) if isinstance(v, tuple) else v for k, v in sizes.items()},
        "training": training,
        "fit": fit,
        "scene": scene,
        "peak_gpu_mib": max((c["peak_gpu_mib"] or 0 for c in [*training, fit, scene]), default=0)
        or None,
        "total_s": round(time.perf_counter() - started, 1),
        "median_train_chips_per_s": statistics.median(c["train_chips_per_s"] for c in training),
    }
    default_dir = measure.RESULTS_DIR
    measure.RESULTS_DIR = args.output or default_dir
    try:
        path = measure.write_results("gpu", results, quick=args.quick)
    finally:
        measure.RESULTS_DIR = default_dir
    sys.stderr.write(f"wrote {path} in {results['total_s']} s\n")
    return results


if __name__ == "__main__":
    main()
