"""Demo settings: torch thread choice, annotator-visible moves, figure rows, demo config."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from sarslide.devices import DEFAULT_TRAIN_THREADS
from sarslide.errors import DataSelectionError
from sarslide.insar import run as run_module
from sarslide.insar.config import IsslideRunConfig
from sarslide.insar.demo import (
    DEMO_TEST_ZONE,
    IsslideDemoConfig,
    demo_run_config,
    demo_simulation_config,
)
from sarslide.insar.figures import _pick_rows
from sarslide.insar.isslide_layout import list_raw_interferograms, read_annotations
from sarslide.insar.patches import extract_patches
from sarslide.insar.simulate import SimulationConfig, simulate_isslide_raw


@pytest.fixture
def fresh_auto_threads() -> Iterator[None]:
    run_module._auto_threads.cache_clear()
    yield
    run_module._auto_threads.cache_clear()


def test_requested_threads_win() -> None:
    assert run_module.choose_torch_threads(3) == 3


@pytest.mark.usefixtures("fresh_auto_threads")
def test_auto_threads_leave_busy_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.getloadavg", lambda: (50.0, 50.0, 50.0))
    assert run_module.choose_torch_threads(0) == 1
    run_module._auto_threads.cache_clear()
    monkeypatch.setattr("os.getloadavg", lambda: (0.0, 0.0, 0.0))
    monkeypatch.setattr("os.cpu_count", lambda: 64)
    assert run_module.choose_torch_threads(0) == torch.get_num_threads()


@pytest.mark.usefixtures("fresh_auto_threads")
def test_the_default_thread_count_does_not_follow_the_load(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The default was 0 (the cores not busy): the count, and so the floats of training
    and scoring, depended on the load when the run started."""
    assert IsslideRunConfig.model_fields["num_threads"].default == DEFAULT_TRAIN_THREADS
    before, counts = torch.get_num_threads(), []
    try:
        for load in (0.0, 50.0):
            monkeypatch.setattr("os.getloadavg", lambda load=load: (load, load, load))
            run_module._auto_threads.cache_clear()
            setting = demo_run_config(IsslideDemoConfig()).num_threads  # the demo's default
            counts.append(run_module.set_torch_threads(setting))
    finally:
        torch.set_num_threads(before)
    assert counts == [DEFAULT_TRAIN_THREADS, DEFAULT_TRAIN_THREADS]


def _tiny(**changes: object) -> SimulationConfig:
    base = SimulationConfig(
        zones=("vanoise",), size_px=48, n_dates=3, delays_days=(6,), moves_per_zone=3, seed=6
    )
    return base.model_copy(update=changes)


def test_moves_on_decorrelated_ground_are_not_annotated(tmp_path: Path, tiny_raw: Path) -> None:
    import rasterio

    from sarslide.insar.patches import rasterize_annotations

    for item in list_raw_interferograms(tiny_raw):
        with rasterio.open(item.coherence_path) as src:
            coherence, transform = src.read(1), src.transform
        for _, row in read_annotations(item.annotations_path).iterrows():
            inside = rasterize_annotations(
                pd.DataFrame({"geometry": [row.geometry]}),
                shape=coherence.shape,
                transform=transform,
            ).astype(bool)
            assert np.mean(coherence[inside] < 0.35) < 0.5, item.name
    simulate_isslide_raw(tmp_path / "all", _tiny(min_coherent_fraction=0.0))
    counts = [
        len(read_annotations(i.annotations_path)) for i in list_raw_interferograms(tmp_path / "all")
    ]
    assert sum(counts) > 0
    simulate_isslide_raw(tmp_path / "none", _tiny(min_coherent_fraction=1.01))
    with pytest.raises(DataSelectionError, match="No annotated moving area"):
        extract_patches(tmp_path / "none", tmp_path / "ready", size_px=32)


class _FakeDataModule:
    def __init__(self, index: pd.DataFrame) -> None:
        self.index = index

    def split_index(self, split: str) -> pd.DataFrame:
        return self.index


def test_figure_rows_show_distinct_moves_first() -> None:
    masks = np.zeros((5, 8, 8), dtype=np.int64)
    for k, size in enumerate([6, 5, 4, 3, 2]):
        masks[k, :size, :size] = 1
    index = pd.DataFrame({"zone": ["q"] * 5, "move_id": [0, 0, 1, 1, 2]})
    rows = _pick_rows(_FakeDataModule(index), masks, 4)
    assert rows.tolist() == [0, 2, 4, 1]


def test_demo_holds_out_a_simulated_zone(tmp_path: Path) -> None:
    for fast in (True, False):
        assert DEMO_TEST_ZONE in demo_simulation_config(fast=fast).zones
        cfg = demo_run_config(IsslideDemoConfig(output_dir=str(tmp_path), fast=fast))
        assert cfg.test_zones == [DEMO_TEST_ZONE] and cfg.max_patches_per_split is None


def test_demo_refuses_a_non_empty_folder_and_never_deletes_a_foreign_one(tmp_path) -> None:
    import pytest

    from sarslide.errors import OutputExistsError
    from sarslide.insar.demo import run_isslide_demo

    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    cfg = IsslideDemoConfig(output_dir=str(folder), fast=True)
    with pytest.raises(OutputExistsError, match="--overwrite"):
        run_isslide_demo(cfg)
    with pytest.raises(OutputExistsError, match="not written by 'sarslide demo'"):
        run_isslide_demo(cfg, overwrite=True)
    assert (folder / "notes.txt").read_text() == "keep me"
