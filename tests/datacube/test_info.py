"""``sarslide cube info``: the summary of a cube, as tables or JSON."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from sarslide.cli.main import app
from sarslide.datacube import write_cube
from tests.factories import make_minimal_cube


def test_cube_info_prints_the_summary_tables_and_json(tmp_path: Path) -> None:
    store = write_cube(make_minimal_cube(height=16, width=20), tmp_path / "c.zarr")
    result = CliRunner().invoke(app, ["cube", "info", str(store)])
    assert result.exit_code == 0, result.output
    assert "datacube c.zarr" in result.output and "variables" in result.output
    assert "landslide pixels" in result.output and "vv" in result.output
    result = CliRunner().invoke(app, ["cube", "info", str(store), "--json", "--no-labels"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["sizes"]["x"] == 20 and summary["landslide_fraction"] is None
