"""One atomic write, output manifests and locks: the rules every command keeps."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from sarslide.atomic import host_id, replacing, write_json_atomic
from sarslide.errors import OutputBusyError, OutputExistsError
from sarslide.ownership import (
    check_not_input,
    claim_output,
    hold_lock,
    lock_path,
    write_manifest,
)


def dead_pid() -> int:
    """The pid of a process that has ended."""
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(done.stdout)


def hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_replacing_writes_files_and_folders_or_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    with replacing(target) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".out.txt.partial-")
        tmp.write_text("new")
    assert target.read_text() == "new"
    with pytest.raises(RuntimeError), replacing(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("disk full")
    assert target.read_text() == "new" and hidden(tmp_path) == []
    folder = tmp_path / "store"
    for content in ("a", "b"):
        with replacing(folder) as tmp:
            tmp.mkdir()
            (tmp / content).write_text(content)
    assert [p.name for p in folder.iterdir()] == ["b"] and hidden(tmp_path) == []


def test_stale_partials_of_gone_processes_are_removed_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    stale = tmp_path / f".cube.zarr.partial-{host_id()}-{dead_pid()}-abcdef"
    (stale / "vv").mkdir(parents=True)
    (stale / "vv" / "0.0.0").write_bytes(b"x" * 100)
    other_target = tmp_path / f".other.zarr.partial-{host_id()}-{dead_pid()}-abcdef"
    other_target.mkdir()
    with (
        caplog.at_level(logging.WARNING, logger="sarslide"),
        replacing(tmp_path / "cube.zarr") as tmp,
    ):
        tmp.mkdir()
    assert not stale.exists() and other_target.exists()
    assert "interrupted write of cube.zarr" in caplog.text


def test_metrics_json_has_no_bare_nan(tmp_path: Path) -> None:
    import numpy as np

    from sarslide.inference.outputs import compute_scene_metrics
    from sarslide.metrics.undefined import mark_undefined

    labels = np.zeros((8, 8), dtype=bool)  # no landslide in the scene
    metrics = mark_undefined(compute_scene_metrics(labels, np.full((8, 8), 0.2), 0.5))
    path = write_json_atomic(tmp_path / "metrics.json", metrics)
    loaded = json.loads(
        path.read_text(), parse_constant=lambda name: pytest.fail(f"bare {name} in JSON")
    )
    assert loaded["auroc"] is None
    assert "no landslide pixel" in loaded["undefined"]["auroc"]


def test_overwrite_replaces_only_the_same_commands_output(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    write_manifest(mine, "predict")
    with claim_output(mine, "predict", overwrite=True):
        pass
    for command in ("cube simulate", "evaluate"):
        with (
            pytest.raises(OutputExistsError, match="written by 'sarslide predict'"),
            claim_output(mine, command, overwrite=True),
        ):
            pass
    users = tmp_path / "photos"
    users.mkdir()
    with (
        pytest.raises(OutputExistsError, match="only replaces a previous output"),
        claim_output(users, "cube simulate", overwrite=True),
    ):
        pass


def test_output_may_not_be_or_hold_or_lie_in_an_input(tmp_path: Path) -> None:
    cube = tmp_path / "run" / "cube.zarr"
    cube.mkdir(parents=True)
    for out in (cube, tmp_path / "run", cube / "inside"):
        with pytest.raises(OutputExistsError, match="input"):
            check_not_input(out, [cube, "https://example.org/cube.zarr"])


def test_second_writer_refuses_while_the_first_runs(tmp_path: Path) -> None:
    target = tmp_path / "map"
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lock_path(target).write_text(
            json.dumps(
                {
                    "pid": holder.pid,
                    "host": "here",
                    "host_id": host_id(),
                    "command": "predict",
                    "started": "now",
                }
            )
        )
        with (
            pytest.raises(OutputBusyError, match=rf"pid {holder.pid}.*sarslide predict"),
            hold_lock(target, "predict"),
        ):
            pass
    finally:
        holder.kill()
        holder.wait()
    # The holder is gone: its lock is stale and taken over.
    with hold_lock(target, "predict") as lock:
        assert json.loads(lock.read_text())["pid"] != holder.pid
    assert not lock_path(target).exists()


def test_a_file_never_replaces_a_folder_of_the_same_name(tmp_path: Path) -> None:
    folder = tmp_path / "figures"
    folder.mkdir()
    (folder / "thesis.tex").write_text("precious")
    with pytest.raises(IsADirectoryError), replacing(folder) as tmp:
        tmp.write_bytes(b"png")
    assert (folder / "thesis.tex").read_text() == "precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["figures"]  # no temporary left


def test_cube_simulate_figure_naming_a_folder_keeps_the_folder(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from sarslide.cli.main import app

    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("precious")
    store = tmp_path / "c.zarr"
    args = ["cube", "simulate", "-o", str(store), "--size", "32", "--timesteps", "4"]
    result = CliRunner().invoke(app, [*args, "--figure", str(folder), "--no-progress"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "--figure" in result.output and "is a folder" in result.output
    assert (folder / "notes.txt").read_text() == "precious" and not store.exists()
