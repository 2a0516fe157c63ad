"""A checkpoint finds its training cube from any folder (absolute, or relative to the run)."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from sarslide.errors import CubeNotFoundError
from sarslide.models.training_cube import record_training_cube, resolve_training_cube
from sarslide.training.run_metadata import build_metadata


def _project(root: Path) -> tuple[Path, Path]:
    (root / "cube.zarr").mkdir(parents=True)
    (root / "runs" / "quick" / "checkpoints").mkdir(parents=True)
    return root / "cube.zarr", root / "runs" / "quick" / "checkpoints" / "best.ckpt"


def test_train_records_the_cube_absolute_and_relative_to_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _project(tmp_path)
    monkeypatch.chdir(tmp_path)
    cfg = SimpleNamespace(
        data=SimpleNamespace(cube="cube.zarr", model_dump=lambda mode: {"cube": "cube.zarr"}),
        output_dir="runs/quick",
    )
    splits = SimpleNamespace(
        channel_names=["vv"],
        normalisation=SimpleNamespace(to_dict=dict),
        split="spatial",
        plan=SimpleNamespace(to_json=lambda: "{}"),
        summary=dict,
    )
    metadata = build_metadata(cfg, splits)  # type: ignore[arg-type]
    assert metadata["cube_path"] == str(tmp_path / "cube.zarr")
    assert metadata["cube_path_from_run"] == "../../cube.zarr"


def test_evaluate_finds_the_cube_from_another_folder_and_after_a_move(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cube, ckpt = _project(tmp_path / "project")
    extra = record_training_cube(str(cube), ckpt.parent.parent)
    monkeypatch.chdir(tmp_path)  # not the folder training ran in: 'cube.zarr' is elsewhere
    assert resolve_training_cube(ckpt, "cube.zarr", extra) == str(cube)
    shutil.move(tmp_path / "project", tmp_path / "moved")  # run and cube moved together
    moved_ckpt = tmp_path / "moved" / "runs" / "quick" / "checkpoints" / "best.ckpt"
    found = resolve_training_cube(moved_ckpt, "cube.zarr", extra)
    assert Path(found).resolve() == (tmp_path / "moved" / "cube.zarr").resolve()


def test_a_missing_cube_lists_what_was_tried_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(CubeNotFoundError, match=r"tried .*cube\.zarr.*--cube PATH"):
        resolve_training_cube(tmp_path / "run" / "checkpoints" / "best.ckpt", "cube.zarr", {})
