"""Simulator, raw/ready layouts, patch extraction and the region-holdout split."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rasterio

from sarslide.errors import DataSelectionError, OutputExistsError
from sarslide.insar.isslide_layout import (
    list_raw_interferograms,
    load_ready_patches,
    read_annotations,
    read_ready_index,
)
from sarslide.insar.patches import crop_window, extract_patches, find_move_centres
from sarslide.insar.splits import assign_splits


def test_raw_layout_by_zone_and_delay(tiny_raw: Path) -> None:
    items = list_raw_interferograms(tiny_raw)
    assert {i.zone for i in items} == {"vanoise", "ecrins", "queyras"}
    assert {i.delay_days for i in items} == {6, 12}
    assert len(items) == 3 * (3 + 2)  # 4 dates: three 6-day and two 12-day pairs per zone
    first = items[0]
    with rasterio.open(first.phase_path) as src:
        phase = src.read(1)
        assert src.crs is not None
    assert np.nanmax(np.abs(phase)) <= np.pi + 1e-5
    annotations = read_annotations(first.annotations_path)
    assert {"confidence", "repetitions", "class", "move_id"} <= set(annotations.columns)
    assert set(annotations["class"]) <= {"landslide", "rock_glacier", "unknown"}


def test_phase_grows_with_delay(tiny_raw: Path) -> None:
    """A move visible over 6 days is visible over the 12 days starting the same date."""
    moves = {
        (i.zone, i.delay_days, i.start): set(read_annotations(i.annotations_path)["move_id"])
        for i in list_raw_interferograms(tiny_raw)
    }
    checked = 0
    for (zone, delay, start), ids in moves.items():
        if delay == 6 and (zone, 12, start) in moves:
            assert ids <= moves[(zone, 12, start)]
            checked += len(ids)
    assert checked > 0


def test_patches_keyed_by_name(tiny_ready: Path) -> None:
    index = read_ready_index(tiny_ready)
    assert len(index) > 0 and index["has_move"].any()
    assert (index["image_path"].map(lambda p: Path(p).stem) == index["name"]).all()
    assert (index["mask_path"].map(lambda p: Path(p).stem) == index["name"]).all()
    images, masks = load_ready_patches(index)
    assert images.shape[1:] == (2, 32, 32) and masks.shape[1:] == (32, 32)
    np.testing.assert_array_equal(masks.any(axis=(1, 2)), index["has_move"].to_numpy())


def test_masks_are_paired_by_name_not_order(tiny_ready: Path, tmp_path: Path) -> None:
    copy = tmp_path / "ready"
    shutil.copytree(tiny_ready, copy)
    index = read_ready_index(copy)
    # a mask whose name sorts first but has no image must be reported, not paired
    extra = copy / "masks" / "aaa_00d_20180101_20180102_m000.tif"
    shutil.copy(index["mask_path"].iloc[0], extra)
    with pytest.raises(DataSelectionError, match="masks without image"):
        read_ready_index(copy)
    extra.unlink()
    shuffled = read_ready_index(copy).sample(frac=1.0, random_state=0)
    _, masks = load_ready_patches(shuffled)
    expected = [rasterio.open(p).read(1) for p in shuffled["mask_path"]]
    np.testing.assert_array_equal(masks, np.stack(expected) > 0)


def test_no_move_patches_for_inactive_periods(tiny_raw: Path, tmp_path: Path) -> None:
    with_all = extract_patches(tiny_raw, tmp_path / "a", size_px=32, include_no_move=True)
    moving = extract_patches(tiny_raw, tmp_path / "b", size_px=32, include_no_move=False)
    assert moving["has_move"].all()
    assert len(with_all) >= len(moving)
    assert (with_all["move_fraction"][~with_all["has_move"]] == 0).all()


def test_extract_refuses_non_empty_output(tiny_raw: Path, tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("x")
    with pytest.raises(OutputExistsError, match="not empty"):
        extract_patches(tiny_raw, tmp_path)
    assert (tmp_path / "keep.txt").exists()


def test_move_centres_and_windows() -> None:
    mask = np.zeros((50, 50), bool)
    mask[10:21, 5:16] = True
    mask[40:45, 40:49] = True
    centres = find_move_centres(mask)
    assert centres[0] == (15, 10)  # the most interior pixel
    assert crop_window(centres[1], 20, mask.shape) == (30, 30)  # clamped inside
    with pytest.raises(DataSelectionError, match="exceeds"):
        crop_window((5, 5), 60, mask.shape)


def _index() -> pd.DataFrame:
    rows = []
    for zone in ("vanoise", "ecrins", "queyras"):
        for k in range(5):
            for move in range(3):
                rows.append({"zone": zone, "interferogram": f"{zone}_{k}", "has_move": move != 2})
    return pd.DataFrame(rows)


def test_region_holdout_and_validation_by_interferogram() -> None:
    split = assign_splits(_index(), test_zones=("queyras",), val_fraction=0.2, seed=0)
    assert set(split.loc[split["zone"] == "queyras", "split"]) == {"test"}
    assert "queyras" not in set(split.loc[split["split"] != "test", "zone"])
    per_ifg = split.groupby("interferogram")["split"].nunique()
    assert (per_ifg == 1).all()  # an interferogram is never split
    assert split["has_move"].all()  # moving_only
    assert split.equals(assign_splits(_index(), val_fraction=0.2, seed=0))
    other = assign_splits(_index(), val_fraction=0.2, seed=5)
    assert set(split["split"]) == set(other["split"]) == {"train", "val", "test"}


def test_split_errors() -> None:
    with pytest.raises(DataSelectionError, match="Unknown test_zones"):
        assign_splits(_index(), test_zones=("alps",))
    with pytest.raises(DataSelectionError, match="both test and validation"):
        assign_splits(_index(), test_zones=("queyras",), val_zones=("queyras",))
    with pytest.raises(DataSelectionError, match="val split is empty"):
        assign_splits(_index(), val_fraction=0.0)
