"""Does an engine or a reduced precision move the metric? Test AUPRC per engine.

Evaluates one trained checkpoint (``sarslide evaluate``: test chips and the whole test
region of its training cube) with torch fp32, ONNX Runtime fp32 and torch bf16
autocast, and reports each AUPRC, its change against torch fp32 and the largest
probability difference over the test region. A reduced precision may be chosen by
``auto`` only where the test-region AUPRC moves by less than 0.005 (issue 25).

Usage: python benchmarks/bench_engine_metrics.py [CHECKPOINT] [--quick]
(default CHECKPOINT: demo-output/run/checkpoints/best.ckpt of 'make demo')
Writes benchmarks/results/engine_metrics.json (engine_metrics_quick.json with --quick).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

RUNS = (("torch", "fp32"), ("onnx", "fp32"), ("torch", "bf16"))
AUPRC_TOLERANCE = 0.005


def main(checkpoint: str, quick: bool) -> None:
    import numpy as np

    from benchmarks.measure import write_results
    from sarslide.datacube import open_cube
    from sarslide.evaluation.config import EvaluateConfig
    from sarslide.evaluation.evaluate import evaluate_checkpoint, predict_region
    from sarslide.models.engines import load_inference_model
    from sarslide.models.training_cube import resolve_training_cube

    results: dict[str, Any] = {"checkpoint": checkpoint, "runs": {}}
    regions = {}
    with tempfile.TemporaryDirectory(prefix="bench_engine_metrics_") as tmp:
        for engine, precision in RUNS:
            name = f"{engine}_{precision}"
            cfg = EvaluateConfig(
                checkpoint=checkpoint,
                output_dir=str(Path(tmp) / name),
                engine=engine,
                precision=precision,
                device="cpu",
            )
            start = time.perf_counter()
            result = evaluate_checkpoint(cfg)
            assert result.region is not None  # whole_region is on by default
            results["runs"][name] = {
                "test_chips_auprc": result.chips.auprc,
                "test_region_auprc": result.region.auprc,
                "test_region_pixels": result.region.n_pixels,
                "engine": result.engine,
                "wall_s": round(time.perf_counter() - start, 1),
            }
            loaded = load_inference_model(checkpoint, engine=engine, precision=precision)
            cube = open_cube(
                resolve_training_cube(
                    checkpoint, loaded.bundle.data_config.cube, loaded.bundle.extra
                )
            )
            regions[name] = predict_region(loaded, cube, options=cfg)
    reference = results["runs"]["torch_fp32"]
    for name, run in results["runs"].items():
        run["test_region_auprc_change"] = run["test_region_auprc"] - reference["test_region_auprc"]
        run["test_chips_auprc_change"] = run["test_chips_auprc"] - reference["test_chips_auprc"]
        both = np.isfinite(regions[name]) & np.isfinite(regions["torch_fp32"])
        run["max_abs_probability_difference"] = float(
            np.max(np.abs(regions[name][both] - regions["torch_fp32"][both]))
        )
        run["within_auprc_tolerance"] = abs(run["test_region_auprc_change"]) < AUPRC_TOLERANCE
    results["load_average_1min_end"] = round(os.getloadavg()[0], 1)
    path = write_results("engine_metrics", results, quick=quick)
    sys.stderr.write(f"wrote {path}\n")


DEFAULT_CHECKPOINT = HERE.parent / "demo-output" / "run" / "checkpoints" / "best.ckpt"


if __name__ == "__main__":
    given = [a for a in sys.argv[1:] if not a.startswith("--")]
    checkpoint = Path(given[0]) if given else DEFAULT_CHECKPOINT
    if not checkpoint.is_file():  # run_all.py runs every script: no trained model, no metric
        sys.stderr.write(
            f"bench_engine_metrics: no checkpoint at {checkpoint}; run 'make demo' first or "
            "pass a CHECKPOINT. Nothing measured.\n"
        )
        raise SystemExit(0)
    main(str(checkpoint), "--quick" in sys.argv)
