"""Every ISSLIDE writer refuses a folder that already holds files (nothing is deleted)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sarslide.errors import OutputExistsError
from sarslide.insar.import_products import import_products_to_raw_layout
from sarslide.insar.simulate import SimulationConfig, simulate_isslide_raw


@pytest.fixture
def busy_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "raw"
    folder.mkdir()
    (folder / "notes.txt").write_text("someone else's file")
    return folder


def test_simulate_refuses_a_folder_with_files(busy_folder: Path) -> None:
    with pytest.raises(OutputExistsError, match="is not empty; choose a new output folder"):
        simulate_isslide_raw(busy_folder, SimulationConfig(zones=("vanoise",), size_px=32))
    assert [p.name for p in busy_folder.iterdir()] == ["notes.txt"]


def test_importing_products_refuses_a_folder_with_files(busy_folder: Path) -> None:
    with pytest.raises(OutputExistsError, match="is not empty"):
        import_products_to_raw_layout([], busy_folder, zone="vanoise")
    assert [p.name for p in busy_folder.iterdir()] == ["notes.txt"]
