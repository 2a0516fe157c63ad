"""benchmarks/bench_workers.py: per-block work and transfer figures, and a quick run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import measure


def test_task_stream_figures_split_reads_predictions_and_transfers() -> None:
    pytest.importorskip("distributed")
    from benchmarks.bench_workers import task_stream_figures

    def step(action: str, start: float, stop: float) -> dict[str, object]:
        return {"action": action, "start": start, "stop": stop}

    tasks = [
        {"key": ("getitem-abc", 0, 0, 0), "startstops": [step("compute", 0.0, 0.5)]},
        {"key": "finalize-abc", "startstops": [step("compute", 1.0, 1.5)]},
        {
            "key": "predict_block_task-1f2e",
            "startstops": [step("transfer", 2.0, 2.25), step("compute", 3.0, 5.0)],
        },
        {"key": "predict_block_task-9a8b", "startstops": [step("compute", 6.0, 8.0)]},
    ]
    assert task_stream_figures(tasks, blocks=2) == {
        "read_task_s_per_block": 0.5,
        "predict_task_s_per_block": 2.0,
        "worker_to_worker_transfer_s_per_block": 0.125,
    }


@pytest.mark.slow  # ~25 s on the shared 2 cores: a cube, three maps, two clusters
def test_quick_run_in_process_writes_consistent_figures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("distributed")
    from benchmarks import bench_workers

    monkeypatch.setattr(measure, "RESULTS_DIR", tmp_path)
    bench_workers.main(["--quick", "--scene-px", "600", "--model", "unet-tiny", "--in-process"])
    written = json.loads((tmp_path / "workers_quick.json").read_text())
    assert written["mode"] == "quick" and written["scene_px"] == [600, 600]
    for name in ("workers_1", "workers_2"):
        run = written["runs"][name]
        assert run["max_abs_difference_vs_local"] == 0.0  # the same map as the local path
        assert run["blocks"] == run["tiles"] == 4 and sum(run["blocks_by_worker_pid"].values()) == 4
        # one 512 px tile's float32 probabilities and the window's nodata mask as bits
        assert run["bytes_to_client_per_block"] == 512 * 512 * 4 + 512 * 512 // 8
        assert 0 < run["bytes_to_worker_per_block"] < run["bytes_to_client_per_block"]
        assert run["predict_task_s_per_block"] > 0 and run["read_task_s_per_block"] > 0
        parts = run["blend_s"] + run["row_write_s"] + run["cog_s"]
        assert run["assembly_s"] == pytest.approx(parts, abs=2e-3)
        assert run["model_on_workers"]["engine"] == "onnx"
    assert written["speedup_2_over_1_workers"] == pytest.approx(
        written["runs"]["workers_1"]["wall_s"] / written["runs"]["workers_2"]["wall_s"], abs=1e-3
    )
