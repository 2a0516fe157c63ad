"""Training under Lightning's DDP strategy on CPU: two processes, one set of outputs.

Runs the real CLI (DDP's launcher starts the second process by re-running the
command), so rank 1 executes everything rank 0 does up to the end of ``fit``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sarslide.models.checkpoints import load_model_from_checkpoint
from sarslide.ownership import MANIFEST_NAME
from tests.factories import write_tiny_training_run


@pytest.mark.slow
@pytest.mark.parametrize("checkpoint_interval_s", [0.0, 120.0], ids=["every-epoch", "at-end"])
def test_ddp_on_two_cpu_processes_writes_one_complete_run(
    tmp_path: Path, checkpoint_interval_s: float
) -> None:
    """Both checkpoint schedules: written by both ranks each epoch (the write decision
    broadcast from rank 0), or held in memory and written once at the end of fit."""
    config = write_tiny_training_run(
        tmp_path,
        max_epochs=2,
        devices=2,
        strategy="ddp",
        checkpoint_interval_s=checkpoint_interval_s,
    )
    sarslide = Path(sys.executable).parent / "sarslide"
    done = subprocess.run(
        [str(sarslide), "train", str(config), "--no-progress"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert done.stdout.count("best checkpoint") == 1  # printed by rank 0 only
    run = tmp_path / "run"
    _, bundle = load_model_from_checkpoint(run / "checkpoints" / "best.ckpt")
    assert bundle.extra["threshold_source"] == "validation chips, best checkpoint"
    assert (run / "training_curve.png").stat().st_size > 0
    metrics = (run / "metrics.csv").read_text().splitlines()
    assert "val/loss" in metrics[0] and len(metrics) >= 3  # header + 2 epochs
    # no temporary file or lock left behind; the ownership manifest stays (by design)
    assert [p.name for p in run.rglob(".*")] == [MANIFEST_NAME]
