"""Issue 23's hostile cases through the CLI: one true line, non-zero exit, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sarslide.cli.main import app
from sarslide.datacube import write_cube
from tests.factories import make_minimal_cube
from tests.inference.conftest import write_fake_checkpoint

runner = CliRunner()


def _one_error_line(output: str) -> str:
    assert "Traceback" not in output
    lines = [line for line in output.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, output
    return lines[0]


def test_train_refuses_events_with_a_cube_instead_of_ignoring_the_cube(tmp_path: Path) -> None:
    events = tmp_path / "events.yaml"
    events.write_text("- {name: a, cube: a.zarr}\n- {name: b, cube: b.zarr}\n")
    args = ["train", "quick", "--events", str(events), "--cube", "c.zarr"]
    result = runner.invoke(app, [*args, "-o", str(tmp_path / "run")])
    assert result.exit_code == 1
    line = _one_error_line(result.output)
    assert "--events" in line and "--cube c.zarr" in line and "ignore" in line
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("command", ["predict", "evaluate"])
def test_evaluate_refuses_the_tile_size_predict_refuses_before_any_chip(
    tmp_path: Path, command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(*_: object, **__: object) -> None:
        raise AssertionError("chips were cut before the tiling was checked")

    monkeypatch.setattr("sarslide.evaluation.evaluate.build_chip_splits", never)
    cube = write_cube(make_minimal_cube(height=40, width=50), tmp_path / "cube.zarr")
    ckpt = write_fake_checkpoint(tmp_path / "model.ckpt")
    args = [command, str(ckpt), "--cube", str(cube), "--tile-size", "7"]
    result = runner.invoke(app, [*args, "-o", str(tmp_path / "out")])
    assert result.exit_code == 1
    line = _one_error_line(result.output)
    assert "Invalid tile_size_px=7: it must be a positive multiple of" in line
    assert not (tmp_path / "out").exists()
