"""benchmarks/bench_train_loop.py --quick: bare and Lightning runs do the same steps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from benchmarks import measure


@pytest.mark.slow  # ~10-20 s: simulates a cube and trains twice
def test_quick_run_compares_the_same_steps_and_writes_its_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from benchmarks import bench_train_loop

    monkeypatch.setattr(measure, "RESULTS_DIR", tmp_path)
    threads = torch.get_num_threads()
    try:
        results = bench_train_loop.main(["--quick", "--threads", "1"])
    finally:
        torch.set_num_threads(threads)
    written = json.loads((tmp_path / "train_loop_quick.json").read_text())
    assert written["mode"] == "quick" and written["torch_threads"] == 1
    (pair,) = written["pairs"]
    assert pair["train_steps"] == pair["fit_steps"] > 0  # the same optimizer steps
    assert pair["bare_cpu_s"] > 0 and pair["fit_cpu_s"] > 0
    expected = 1000 * (pair["fit_cpu_s"] - pair["bare_cpu_s"]) / pair["train_steps"]
    rounding_ms = 1000 * 2 * 0.0005 / pair["train_steps"]  # the times are written to 1 ms
    assert pair["overhead_cpu_ms_per_step"] == pytest.approx(expected, abs=rounding_ms)
    assert results["overhead_cpu_pct_median"] == written["overhead_cpu_pct_median"]
