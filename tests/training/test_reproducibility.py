"""One seed, one machine: the same weights whatever thread count the process had.

torch splits a convolution's weight gradient (and long sums) between its CPU threads,
so the float32 weights of one seed differ between 1, 2 and 3 threads after a few
steps (53 of the 66 tensors of this tiny run differed between 2 and 3 threads before
training pinned its count). Training runs on ``trainer.threads`` and restores the
process's count after.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from sarslide.models.checkpoints import read_checkpoint
from sarslide.training import load_train_config, train
from tests.factories import make_tiny_train_config


def train_weights(
    cube: Any, folder: Path, *, ambient_threads: int
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Train (one thread asked for) in a process set to ``ambient_threads``."""
    values = make_tiny_train_config("in-memory", folder, threads=1)
    # 8 filters: large enough that torch splits the convolutions' sums between threads
    values["model"]["kwargs"] = {"base_filters": 8, "depth": 2}
    before = torch.get_num_threads()
    torch.set_num_threads(ambient_threads)
    try:
        paths = train(load_train_config(values), progress=False, cube=cube)
        assert torch.get_num_threads() == ambient_threads  # restored after the run
    finally:
        torch.set_num_threads(before)
    checkpoint = read_checkpoint(paths.last_checkpoint)
    return checkpoint["state_dict"], checkpoint["hyper_parameters"]["metadata"]


def test_same_seed_gives_identical_weights_whatever_the_thread_count(
    tiny_cube: Any, tmp_path: Path
) -> None:
    two, meta = train_weights(tiny_cube, tmp_path / "two", ambient_threads=2)
    three, _ = train_weights(tiny_cube, tmp_path / "three", ambient_threads=3)
    assert [name for name in two if not torch.equal(two[name], three[name])] == []
    # what a rerun needs beside the config, in the checkpoint
    record = meta["reproducibility"]
    assert record["torch_threads"] == 1 and record["threads_setting"] == 1
    assert record["seed"] == 1 and record["deterministic"] is False
    assert record["torch"] == torch.__version__ and record["lightning"]
    assert record["cpu"] and record["device"] == "cpu (1 threads)"
