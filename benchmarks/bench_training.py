"""Training and inference throughput (chips/s) per model, batch 16, 8 x 128 x 128 inputs.

For each model: a few Adam steps with cross-entropy (train chips/s, after one warm-up
step) and a few no-grad forward passes in eval mode (inference chips/s), fp32, on
the CPU (torch threads = all cores) and, when available, on CUDA. Random init; no
weights are downloaded. ``--quick`` measures fewer models and steps.

Usage: python benchmarks/bench_training.py [--quick] [--device cpu|cuda|all]
Results: benchmarks/results/training.json (training_quick.json with --quick).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

MODELS = ("unet-small", "unet-resnet18", "unet-resnet50", "unetplusplus-resnet50")
QUICK_MODELS = ("unet-small", "unet-resnet18")
BATCH = 16
CHANNELS = 8
SIZE_PX = 128


def _sync(device: str) -> None:
    import torch

    if device == "cuda":
        torch.cuda.synchronize()


def measure_model(name: str, device: str, *, train_steps: int, infer_steps: int) -> dict[str, Any]:
    """Train and inference chips/s of one model on one device."""
    import torch

    from sarslide.models import create_model

    torch.manual_seed(0)
    model = create_model(name, in_channels=CHANNELS, num_classes=2).to(device)
    n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    x = torch.randn(BATCH, CHANNELS, SIZE_PX, SIZE_PX, device=device)
    y = (torch.rand(BATCH, SIZE_PX, SIZE_PX, device=device) < 0.1).long()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=1e-4)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        loss_fn(model(x), y).backward()
        optimizer.step()

    model.train()
    step()  # warm-up
    _sync(device)
    start = time.perf_counter()
    for _ in range(train_steps):
        step()
    _sync(device)
    train_s = (time.perf_counter() - start) / train_steps

    model.eval()
    with torch.inference_mode():
        model(x)
        _sync(device)
        start = time.perf_counter()
        for _ in range(infer_steps):
            model(x)
        _sync(device)
    infer_s = (time.perf_counter() - start) / infer_steps
    return {
        "model": name,
        "device": device,
        "trainable_parameters": n_params,
        "train_step_s": round(train_s, 4),
        "train_chips_per_s": round(BATCH / train_s, 2),
        "inference_batch_s": round(infer_s, 4),
        "inference_chips_per_s": round(BATCH / infer_s, 2),
        "train_steps": train_steps,
        "inference_steps": infer_steps,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer models and steps")
    parser.add_argument("--device", default="all", choices=("cpu", "cuda", "all"))
    args = parser.parse_args(argv)

    import torch

    from benchmarks.measure import write_results

    devices = ["cpu"] if args.device in ("cpu", "all") else []
    if args.device in ("cuda", "all") and torch.cuda.is_available():
        devices.append("cuda")
    models = QUICK_MODELS if args.quick else MODELS
    cases = []
    for device in devices:
        for name in models:
            heavy = device == "cpu" and "resnet50" in name
            train_steps = 1 if (args.quick or heavy) else 3
            infer_steps = 2 if (args.quick or heavy) else 5
            if device == "cuda":
                train_steps, infer_steps = 20, 50
            case = measure_model(name, device, train_steps=train_steps, infer_steps=infer_steps)
            print(
                f"{device:5s} {name:24s} train {case['train_chips_per_s']:8.2f} chips/s  "
                f"inference {case['inference_chips_per_s']:8.2f} chips/s"
            )
            cases.append(case)
    results = {
        "mode": "quick" if args.quick else "full",
        "batch_size": BATCH,
        "input": [CHANNELS, SIZE_PX, SIZE_PX],
        "precision": "fp32",
        "torch_threads": torch.get_num_threads(),
        "cuda_device": torch.cuda.get_device_name(0) if "cuda" in devices else None,
        "cases": cases,
    }
    path = write_results("training", results, quick=args.quick)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
