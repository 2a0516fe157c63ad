"""benchmarks/gpu_check.py --quick: the GPU check runs unchanged on a CPU-only machine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch


def test_gpu_check_quick_runs_on_the_cpu_and_writes_its_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from benchmarks import gpu_check

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    torch.set_num_threads(1)
    results = gpu_check.main(["--quick", "--output", str(tmp_path)])
    written = json.loads((tmp_path / "gpu_quick.json").read_text())
    assert written["mode"] == "quick" and written["device"].startswith("cpu")
    assert [(c["model"], c["precision"]) for c in written["training"]] == [
        ("unet-tiny", "fp32"),
        ("unet-tiny", "bf16"),
    ]
    assert all(c["train_chips_per_s"] > 0 for c in written["training"])
    assert written["fit"]["epochs"] == 1 and written["fit"]["paper_recipe_s_through_fit"] > 0
    scene = written["scene"]
    assert scene["scene_px"] == [96, 128] and scene["tiles"] > 1
    assert 0 <= scene["share_waiting_on_reading"] <= 1
    assert (tmp_path / "gpu_quick.json").is_file() and results["peak_gpu_mib"] is None


def test_gpu_check_full_mode_refuses_a_machine_without_cuda(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from benchmarks import gpu_check

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(SystemExit, match=r"needs a CUDA GPU.*--quick"):
        gpu_check.main([])
