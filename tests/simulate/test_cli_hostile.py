"""Issue 23: bad simulate settings are refused before anything is written."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sarslide.cli.main import app

runner = CliRunner()


def test_an_impossible_figure_k_is_refused_before_the_cube_is_written(tmp_path: Path) -> None:
    store, figure = tmp_path / "c.zarr", tmp_path / "overview.png"
    args = ["cube", "simulate", "-o", str(store), "--size", "32", "--timesteps", "4"]
    result = runner.invoke(app, [*args, "--figure", str(figure), "--k", "9", "--no-progress"])
    assert result.exit_code == 1
    assert "--k 9 (the --figure composites)" in result.output
    assert "Use --k <= 2." in result.output and "timesteps_k" not in result.output
    assert not store.exists() and not figure.exists()
    assert [p.name for p in tmp_path.iterdir()] == []


@pytest.mark.parametrize("bad", [["--preset", "bogus"], ["--size", "8"]])
def test_simulate_events_with_a_bad_setting_leaves_no_folder(
    tmp_path: Path, bad: list[str]
) -> None:
    out = tmp_path / "events"
    result = runner.invoke(app, ["cube", "simulate-events", "-o", str(out), *bad])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert not out.exists()
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, lines  # --size 8 was a header and one line per grid side
    if "--size" in bad:
        assert lines[0] == (
            "error: Invalid size 8: every cube of an event set is size x size pixels, at least "
            "16 a side; use --size 16 or more (default 384)."
        )


def test_simulate_events_into_a_file_is_one_line(tmp_path: Path) -> None:
    afile = tmp_path / "events"
    afile.write_text("mine")
    result = runner.invoke(app, ["cube", "simulate-events", "-o", str(afile), "--size", "32"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "it is a file, not a folder" in result.output  # was 'unexpected FileExistsError'
    assert afile.read_text() == "mine"
