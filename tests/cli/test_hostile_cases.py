"""Issue 23's hostile cases through the CLI: one true line, non-zero exit, nothing written."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from sarslide.cli.main import app

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
