"""A run folder is never replaced, checkpoints are atomic, interruptions exit 130/143."""

from __future__ import annotations

import builtins
import errno
import io
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from sarslide import conventions as cv
from sarslide.datacube import open_cube, write_cube
from sarslide.errors import CheckpointError, ConfigError, CubeContentError, OutputExistsError
from sarslide.models.checkpoints import read_checkpoint
from sarslide.training import load_train_config, train
from tests.factories import write_tiny_training_run


def test_train_refuses_another_runs_folder(
    tiny_cube: Any, tiny_config_values: dict[str, Any], tmp_path: Path
) -> None:
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "checkpoints" / "best.ckpt").write_bytes(b"someone's model")
    cfg = load_train_config(tiny_config_values)
    with pytest.raises(OutputExistsError, match=r"best\.ckpt but no last\.ckpt"):
        train(cfg, progress=False, cube=tiny_cube)
    (run / "checkpoints" / "best.ckpt").unlink()
    (run / "config.yaml").write_text(
        load_train_config(tiny_config_values, ["model.name=unet"]).to_yaml()
    )
    changed = r"other settings \(model\.name: 'unet' in the run, 'unet-tiny' now"
    with pytest.raises(ConfigError, match=changed):
        train(cfg, progress=False, cube=tiny_cube)
    shutil.rmtree(run)
    run.mkdir()
    (run / "results.xlsx").write_bytes(b"a user's file")
    with pytest.raises(OutputExistsError, match="not a sarslide training run"):
        train(cfg, progress=False, cube=tiny_cube)
    assert (run / "results.xlsx").read_bytes() == b"a user's file"


def test_train_refuses_an_in_memory_cube_in_db_before_writing(
    tiny_cube: Any, tiny_config_values: dict[str, Any], tmp_path: Path
) -> None:
    tiny_cube[cv.VAR_VV] = 10 * np.log10(tiny_cube[cv.VAR_VV])
    store = write_cube(tiny_cube, tmp_path / "db.zarr")
    with pytest.raises(CubeContentError) as from_store:
        open_cube(store)
    cfg = load_train_config(tiny_config_values)
    with pytest.raises(CubeContentError) as in_memory:
        train(cfg, progress=False, cube=tiny_cube)
    assert str(in_memory.value) == str(from_store.value).replace(f" in {str(store)!r}", "")
    assert "\n" not in str(in_memory.value)
    # the run folder it created is gone again (as for a store in dB)
    assert not Path(cfg.output_dir).exists()


def test_a_failed_start_leaves_a_users_empty_folder_as_it_was(
    tiny_cube: Any, tiny_config_values: dict[str, Any]
) -> None:
    tiny_cube[cv.VAR_VV] = 10 * np.log10(tiny_cube[cv.VAR_VV])
    cfg = load_train_config(tiny_config_values)
    run = Path(cfg.output_dir)
    run.mkdir(parents=True)  # made by the user: stays, empty
    with pytest.raises(CubeContentError):
        train(cfg, progress=False, cube=tiny_cube)
    assert run.is_dir() and not list(run.iterdir())


class _FullDiskFile(io.RawIOBase):
    """A file on a full disk: half of what is written arrives, then ENOSPC."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.written = 0

    def write(self, data: Any) -> int:
        if self.written > 2048:
            raise OSError(errno.ENOSPC, "No space left on device")
        self.written += len(data)
        return int(self.real.write(data))

    def writable(self) -> bool:
        return True

    def close(self) -> None:
        self.real.close()
        super().close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


@pytest.fixture
def full_disk(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Make ``folder`` a full disk on another filesystem than the system temp folder."""
    state: dict[str, Path | None] = {"folder": None}
    real_open, real_rename = builtins.open, os.rename

    def inside(path: Any) -> bool:
        folder = state["folder"]
        return (
            folder is not None
            and isinstance(path, (str, os.PathLike))
            and (Path(path).resolve().is_relative_to(folder.resolve()))
        )

    def fake_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        handle = real_open(file, mode, *args, **kwargs)
        return _FullDiskFile(handle) if "w" in mode and inside(file) else handle

    def fake_rename(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        if inside(dst) and not inside(src):
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        real_rename(src, dst, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", fake_open)
    monkeypatch.setattr(os, "rename", fake_rename)
    monkeypatch.setattr(shutil, "_USE_CP_SENDFILE", False)
    return state


@pytest.mark.slow
def test_full_disk_keeps_the_previous_checkpoint_and_the_run_resumable(
    tiny_cube: Any, tiny_config_values: dict[str, Any], full_disk: dict[str, Any]
) -> None:
    first = train(load_train_config(tiny_config_values), progress=False, cube=tiny_cube)
    before = first.last_checkpoint.read_bytes()
    longer = load_train_config(tiny_config_values, ["trainer.max_epochs=2"])
    full_disk["folder"] = first.last_checkpoint.parent
    with pytest.raises(CheckpointError, match=r"No space left.*previous checkpoint is kept"):
        train(longer, progress=False, cube=tiny_cube)
    full_disk["folder"] = None
    assert first.last_checkpoint.read_bytes() == before  # intact, not truncated
    hidden = [p.name for p in first.last_checkpoint.parent.iterdir() if p.name.startswith(".")]
    assert hidden == []
    resumed = train(longer, progress=False, cube=tiny_cube)
    assert read_checkpoint(resumed.last_checkpoint)["epoch"] == 1


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_interrupted_training_exits_non_zero_and_keeps_last_ckpt(
    tmp_path: Path, signum: int, code: int
) -> None:
    config = write_tiny_training_run(tmp_path, max_epochs=10_000)
    sarslide = Path(sys.executable).parent / "sarslide"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    process = subprocess.Popen(
        [str(sarslide), "train", str(config), "--no-progress"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    last = tmp_path / "run" / "checkpoints" / "last.ckpt"
    deadline = time.monotonic() + 240
    while not last.is_file() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert last.is_file(), process.communicate(timeout=60)
    process.send_signal(signum)
    out, err = process.communicate(timeout=120)
    assert process.returncode == code, err[-3000:]
    text = " ".join((out + err).split())
    assert "interrupted" in text and "resume" in text and "Traceback" not in text
    assert torch.load(last, weights_only=False)["epoch"] >= 0  # readable
    assert not [p for p in (tmp_path / "run").rglob(".*partial*")]
    assert not (tmp_path / ".run.lock").exists()
