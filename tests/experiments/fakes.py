"""Fast, deterministic stand-ins for a real train + evaluate run."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from sarslide.experiments.grid import EXPECTED_CHANNELS, RunSpec
from sarslide.experiments.records import RunOutput

_BASE = {"vv": 0.40, "vh": 0.30, "vv+vh": 0.45, "sar+dem": 0.50, "dem": 0.17}


def fake_metrics(spec: RunSpec) -> dict[str, float]:
    """AUPRC rising with k, VV above VH, seeds adding a little noise."""
    k = spec.timesteps_k or 0
    noise = ((spec.seed * 7919 + k * 104729) % 13) / 1000.0
    auprc = _BASE[spec.input_set] + 0.05 * k + noise
    return {
        "auprc_chips": auprc,
        "auprc_region": auprc / 2,
        "auroc_chips": 0.8,
        "auroc_region": 0.75,
        "f1_chips": 0.5,
        "f1_region": 0.3,
        "baseline_auprc_chips": 0.09,
        "baseline_auprc_region": 0.02,
    }


def fake_run(spec: RunSpec) -> RunOutput:
    """A picklable fake that logs each call to ``<output_dir>/calls.log``."""
    log = Path(spec.run_dir).parent.parent / "calls.log"
    with log.open("a") as handle:
        handle.write(f"{spec.run_id} {os.getpid()}\n")
    (Path(spec.run_dir) / "partial.bin").write_bytes(b"x")
    return RunOutput(
        channel_names=list(EXPECTED_CHANNELS[spec.input_set]),
        metrics=fake_metrics(spec),
        split=str(spec.train.get("split", "spatial")),
    )


class CountingRun:
    """In-process fake: counts calls, can raise KeyboardInterrupt on the n-th call."""

    def __init__(self, interrupt_on_call: int | None = None) -> None:
        self.calls: list[str] = []
        self.interrupt_on_call = interrupt_on_call

    def __call__(self, spec: RunSpec) -> RunOutput:
        self.calls.append(spec.run_id)
        if self.interrupt_on_call is not None and len(self.calls) == self.interrupt_on_call:
            (Path(spec.run_dir) / "half-written.ckpt").write_bytes(b"partial")
            raise KeyboardInterrupt
        return RunOutput(
            channel_names=list(EXPECTED_CHANNELS[spec.input_set]),
            metrics=fake_metrics(spec),
            split="spatial",
        )


def interrupting_run(spec: RunSpec) -> RunOutput:
    """Picklable fake for two workers: the k=2 run blocks (writing its pid first);
    the k=1 run waits until it has started, then sends SIGINT to the runner."""
    pid_file = Path(spec.run_dir).parent.parent / "blocked.pid"
    if spec.timesteps_k == 2:
        pid_file.write_text(str(os.getpid()))
        time.sleep(60)  # terminated by the interrupted runner long before this ends
        (Path(spec.run_dir) / "finished-late").write_text("the worker outlived the runner")
    else:
        deadline = time.monotonic() + 120  # worker start-up is slow on a loaded machine
        while not pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(os.getppid(), signal.SIGINT)
    return fake_run(spec)
