"""The README's "Python API" snippet runs as written (small sizes: 256 px, one epoch)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).parents[1] / "README.md"


def python_api_snippet() -> str:
    section = README.read_text().split("## Python API", 1)[1]
    match = re.search(r"^```python\n(.*?)^```", section, re.S | re.M)
    assert match, "no python block in the README's Python API section"
    return match.group(1)


@pytest.mark.slow  # simulate, train one epoch, evaluate, map twice: about a minute here
def test_the_readme_python_api_runs(tmp_path: Path) -> None:
    code = python_api_snippet()
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("test AUPRC ")
    assert lines[1].startswith("EPSG:")  # the map in memory carries the cube's CRS
    assert (tmp_path / "api" / "map" / "probability.tif").exists()
    assert sorted(p.name for p in (tmp_path / "api").iterdir()) == ["cube.zarr", "map", "run"]
