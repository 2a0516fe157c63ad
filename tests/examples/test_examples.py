"""The notebooks of ``examples/`` run, at small sizes, as the test suite's own scripts.

Each is a jupytext percent-format script (``# %%`` cells, jupytext header): it runs as
Python and opens as a notebook (``jupytext --to notebook``). ``SARSLIDE_EXAMPLE_SIZE=small``
shrinks scenes, models and epochs; the outputs go to a temporary folder.
"""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

ROOT = Path(__file__).parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("[0-9][0-9]_*.py"))
# What each example must leave behind (under SARSLIDE_EXAMPLE_OUT).
FIGURES = {
    "01_quickstart.py": "quickstart/quickstart.png",
    "02_real_products.py": "real-products/real_products.png",
    "03_transfer.py": "transfer/transfer.png",
    "04_isslide.py": "isslide/patch.png",
}


def test_every_example_is_a_notebook_linked_from_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    assert sorted(p.name for p in EXAMPLES) == sorted(FIGURES)
    for path in EXAMPLES:
        text = path.read_text()
        assert text.startswith("# ---\n# jupyter:\n#   jupytext:"), path.name
        assert "format_name: percent" in text
        assert len(re.findall(r"^# %% \[markdown\]$", text, re.M)) >= 2
        assert f"examples/{path.name}" in readme, f"README does not link {path.name}"


def test_jupytext_reads_every_example_as_a_notebook() -> None:
    jupytext = pytest.importorskip("jupytext")
    for path in EXAMPLES:
        notebook = jupytext.read(path)
        kinds = [cell.cell_type for cell in notebook.cells]
        assert kinds.count("markdown") >= 2 and kinds.count("code") >= 3, path.name
        assert notebook.cells[0].cell_type == "markdown"  # the title
        code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
        compile(code, path.name, "exec")  # the cells are the script


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SARSLIDE_EXAMPLE_SIZE", "small")
    monkeypatch.setenv("SARSLIDE_EXAMPLE_OUT", str(tmp_path))
    monkeypatch.setenv("SARSLIDE_EXAMPLE_DATA", str(ROOT / "tests" / "data"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.chdir(tmp_path)
    try:
        runpy.run_path(str(path), run_name="__main__")
    finally:
        plt.close("all")
    assert (tmp_path / FIGURES[path.name]).stat().st_size > 0
