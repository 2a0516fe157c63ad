"""benchmarks/bench_engine_metrics.py: a run updates its checkpoints' entries only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks import bench_engine_metrics, measure


def fake_entry(checkpoint: str, auprc: float) -> dict[str, Any]:
    run = {
        "test_region_auprc": auprc,
        "test_region_auprc_change": 0.0,
        "test_chips_auprc_change": 0.0,
        "max_abs_probability_difference": 0.0,
    }
    return {"checkpoint": checkpoint, "runs": {"torch_fp32": run}}


def test_merge_replaces_the_measured_checkpoint_and_keeps_the_others() -> None:
    previous = {
        "date": "2026-12-06T03:45:56",
        "load_average_1min_end": 16.1,
        "models": [fake_entry("/demo.ckpt", 0.85), fake_entry("/transfer.ckpt", 0.36)],
    }
    measured = [fake_entry("/transfer.ckpt", 0.40), fake_entry("/r50.ckpt", 0.9)]
    merged = bench_engine_metrics.merge_models(previous, measured)
    assert [m["checkpoint"] for m in merged] == ["/demo.ckpt", "/transfer.ckpt", "/r50.ckpt"]
    assert merged[1] is measured[0] and merged[2] is measured[1]
    # the kept entry carries when and under what load it was measured
    assert merged[0]["date"] == "2026-12-06T03:45:56"
    assert merged[0]["load_average_1min_end"] == 16.1
    assert bench_engine_metrics.merge_models({}, measured) == measured


def test_a_run_on_one_checkpoint_keeps_the_file_s_other_models(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(measure, "RESULTS_DIR", tmp_path)
    measure.write_results(
        "engine_metrics",
        {"models": [fake_entry("/demo.ckpt", 0.85), fake_entry("/transfer.ckpt", 0.36)]},
        quick=False,
    )

    def measure_checkpoint(checkpoint: str, folder: Path) -> dict[str, Any]:
        return fake_entry(checkpoint, 0.9)

    monkeypatch.setattr(bench_engine_metrics, "measure_checkpoint", measure_checkpoint)
    bench_engine_metrics.main(["/r50.ckpt"], quick=False)
    models = json.loads((tmp_path / "engine_metrics.json").read_text())["models"]
    assert [m["checkpoint"] for m in models] == ["/demo.ckpt", "/transfer.ckpt", "/r50.ckpt"]
    assert models[0]["runs"]["torch_fp32"]["test_region_auprc"] == 0.85
    assert not (tmp_path / "engine_metrics_quick.json").exists()
