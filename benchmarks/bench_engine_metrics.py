"""Does an engine or a reduced precision move the metric? Test AUPRC per engine and precision.

For each trained checkpoint given (a demo model, a transfer run's model trained on
several events), the test chips and every pixel of the test region (for a
leave-one-event-out model: the held-out event's whole scene) are scored with torch
fp32, ONNX Runtime fp32, torch bf16 autocast and ONNX Runtime int8 (the model exported
with ``sarslide export --check-precision``: int8 calibrated on training chips). Each
run's AUPRC, its change against torch fp32, and the largest probability change over the
test region are reported, beside the change the export's own check recorded on the
validation chips (what ``--precision auto`` decides on). A reduced precision may be
chosen by ``auto`` only where the AUPRC moves by less than 0.005 (issue 25).

Usage: python benchmarks/bench_engine_metrics.py [CHECKPOINT ...] [--quick]
(default: demo-output/run/checkpoints/best.ckpt of 'make demo' and the first unseen-event
run of 'make transfer', transfer-output/study/runs/unseen-*/train/checkpoints/best.ckpt,
those that exist)
Updates benchmarks/results/engine_metrics.json (engine_metrics_quick.json with --quick)
per checkpoint: a model measured again replaces its entry (same checkpoint path), the
entries of other checkpoints already there are kept.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

RUNS = (("torch", "fp32"), ("onnx", "fp32"), ("torch", "bf16"), ("onnx", "int8"))
AUPRC_TOLERANCE = 0.005
# when and under what load each model was measured (a kept entry written before these
# were per model takes the file-wide value it was written with)
ENTRY_FACTS = ("date", "load_average_1min_end")


def test_regions(checkpoint: str) -> tuple[list[tuple[Any, Any, Any]], Any]:
    """``(bundle, cube, test-region mask)`` per cube the checkpoint's test split covers,
    and the test chips (standardised inputs, labels)."""
    import dataclasses

    from sarslide.chips import build_chip_splits
    from sarslide.datacube import open_cube
    from sarslide.models.engines import read_model_file_bundle
    from sarslide.models.training_cube import resolve_training_cube

    bundle = read_model_file_bundle(checkpoint)
    data, _ = bundle.chip_inputs()
    if not data.events:
        cube_path = resolve_training_cube(checkpoint, str(data.cube), bundle.extra)
        data = data.model_copy(update={"cube": cube_path})
    splits = build_chip_splits(data)
    regions = []
    if data.events:
        for name in data.event_names:
            cube = open_cube(str(data.for_event(name).cube))
            shape = (cube.sizes["y"], cube.sizes["x"])
            mask = splits.event_plans[name].region_mask("test", shape)
            if mask.any():
                event = dataclasses.replace(bundle, data_config=data.for_event(name))
                regions.append((event, cube, mask))
    else:
        cube = open_cube(str(data.cube))
        shape = (cube.sizes["y"], cube.sizes["x"])
        regions.append((bundle, cube, splits.plan.region_mask("test", shape)))
    return regions, splits


def score_run(model: Any, regions: list[Any], splits: Any) -> tuple[dict[str, Any], Any]:
    """Test chips' and test regions' AUPRC of one loaded model, and its region scores."""
    import numpy as np

    from sarslide import conventions as cv
    from sarslide.chips.normalisation import standardise_chips
    from sarslide.evaluation.evaluate import predict_region
    from sarslide.metrics.binary import compute_auprc, select_valid

    _, normalisation = model.bundle.chip_inputs()
    x, y = standardise_chips(splits.get("test"), normalisation)
    chips_auprc = compute_auprc(*select_valid(y, model.predict(x, batch_size=8)))
    labels, scores = [], []
    for bundle, cube, mask in regions:
        probability = predict_region(model, cube, bundle=bundle)
        truth = np.asarray(cube[cv.VAR_LANDSLIDES].transpose(*cv.SPATIAL_DIMS).values) > 0
        valid = mask & np.isfinite(probability)
        labels.append(truth[valid])
        scores.append(probability[valid])
    y_region, p_region = np.concatenate(labels), np.concatenate(scores)
    return {
        "test_chips_auprc": chips_auprc,
        "test_region_auprc": compute_auprc(y_region, p_region),
        "test_region_pixels": int(y_region.size),
        "engine": model.describe(),
    }, p_region


def measure_checkpoint(checkpoint: str, folder: Path) -> dict[str, Any]:
    """Every run of ``RUNS`` on one checkpoint (see the module docstring)."""
    import numpy as np

    from sarslide.models.engines import load_inference_model
    from sarslide.models.export import export_model

    start = time.perf_counter()
    exported = export_model(checkpoint, folder / "model.onnx", check_precision=True)
    result: dict[str, Any] = {
        "checkpoint": checkpoint,
        "export_with_check_s": round(time.perf_counter() - start, 1),
        "export_precision_check": exported.precision_check,
        "runs": {},
    }
    regions, splits = test_regions(checkpoint)
    result["model_name"] = regions[0][0].model_name
    scores = {}
    for engine, precision in RUNS:
        name = f"{engine}_{precision}"
        source = exported.onnx if precision == "int8" else checkpoint
        start = time.perf_counter()
        model = load_inference_model(source, engine=engine, precision=precision)
        result["runs"][name], scores[name] = score_run(model, regions, splits)
        result["runs"][name]["wall_s"] = round(time.perf_counter() - start, 1)
    reference = result["runs"]["torch_fp32"]
    for name, run in result["runs"].items():
        for key in ("test_region_auprc", "test_chips_auprc"):
            run[f"{key}_change"] = run[key] - reference[key]
        run["max_abs_probability_difference"] = float(
            np.max(np.abs(scores[name] - scores["torch_fp32"]))
        )
        run["within_auprc_tolerance"] = abs(run["test_region_auprc_change"]) < AUPRC_TOLERANCE
    result["date"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    result["load_average_1min_end"] = round(os.getloadavg()[0], 1)
    return result


def merge_models(previous: dict[str, Any], measured: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The previous results' models with those just ``measured`` in place of the entries
    of the same checkpoint (others kept, in order; new checkpoints appended). A kept
    entry without its own date or load average takes the file-wide ones (ENTRY_FACTS)."""
    fresh = {entry["checkpoint"]: entry for entry in measured}
    models = []
    for entry in previous.get("models", []):
        if entry["checkpoint"] in fresh:
            models.append(fresh.pop(entry["checkpoint"]))
            continue
        inherited = {k: previous[k] for k in ENTRY_FACTS if k in previous and k not in entry}
        models.append({**entry, **inherited})
    return models + list(fresh.values())


def main(checkpoints: list[str], quick: bool) -> None:
    from benchmarks.measure import results_path, write_results

    measured: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench_engine_metrics_") as tmp:
        for index, checkpoint in enumerate(checkpoints):
            folder = Path(tmp) / str(index)
            folder.mkdir()
            measured.append(measure_checkpoint(checkpoint, folder))
            for name, run in measured[-1]["runs"].items():
                sys.stderr.write(
                    f"{checkpoint}: {name} test region AUPRC {run['test_region_auprc']:.4f} "
                    f"({run['test_region_auprc_change']:+.5f}), test chips "
                    f"{run['test_chips_auprc_change']:+.5f}, max |dp| "
                    f"{run['max_abs_probability_difference']:.2e}\n"
                )
    path = results_path("engine_metrics", quick=quick)
    previous = json.loads(path.read_text()) if path.exists() else {}
    results = {"models": merge_models(previous, measured), "tolerance_auprc": AUPRC_TOLERANCE}
    path = write_results("engine_metrics", results, quick=quick)
    sys.stderr.write(f"wrote {path}\n")


DEMO_CHECKPOINT = HERE.parent / "demo-output" / "run" / "checkpoints" / "best.ckpt"
TRANSFER_RUNS = HERE.parent / "transfer-output" / "study" / "runs"


def default_checkpoints() -> list[str]:
    """The demo's model and the first unseen-event model of 'make transfer', if there."""
    transfer = sorted(TRANSFER_RUNS.glob("unseen-*/train/checkpoints/best.ckpt"))[:1]
    return [str(p) for p in [DEMO_CHECKPOINT, *transfer] if p.is_file()]


if __name__ == "__main__":
    given = [a for a in sys.argv[1:] if not a.startswith("--")] or default_checkpoints()
    given = [str(Path(c).resolve()) for c in given]
    missing = [c for c in given if not Path(c).is_file()]
    if missing or not given:  # run_all.py runs every script: no trained model, no metric
        sys.stderr.write(
            f"bench_engine_metrics: no checkpoint at {', '.join(missing) or DEMO_CHECKPOINT}; "
            "run 'make demo' (and 'make transfer') first or pass CHECKPOINT paths. "
            "Nothing measured.\n"
        )
        raise SystemExit(0)
    main(given, "--quick" in sys.argv)
