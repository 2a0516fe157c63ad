"""Spatial splits: train / val / test chips never overlap or touch; plans round-trip."""

from __future__ import annotations

import numpy as np
import pytest

from sarslide.chips import plan_split
from sarslide.chips.chipping import chip_origins
from sarslide.chips.splits import SplitPlan
from sarslide.errors import ConfigError


def _dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    out = mask.copy()
    for dr in range(-radius, radius + 1):
        for dc in range(-radius, radius + 1):
            shifted = np.zeros_like(mask)
            src = mask[
                max(0, -dr) : mask.shape[0] - max(0, dr), max(0, -dc) : mask.shape[1] - max(0, dc)
            ]
            shifted[
                max(0, dr) : max(0, dr) + src.shape[0], max(0, dc) : max(0, dc) + src.shape[1]
            ] = src
            out |= shifted
    return out


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize(
    ("size", "stride", "buffer"), [(16, 16, None), (16, 8, None), (16, 16, 3), (12, 5, 8)]
)
def test_chips_of_different_splits_never_overlap_or_touch(seed, size, stride, buffer) -> None:
    shape = (200, 230)
    origins = chip_origins(shape, size, stride)
    plan = plan_split(
        shape, chip_origins_px=origins, chip_size_px=size, block_px=48, buffer_px=buffer, seed=seed
    )
    splits = plan.assign_chips(origins, size)
    gap = size if buffer is None else buffer
    footprints = []
    for index in range(3):
        mask = np.zeros(shape, dtype=bool)
        for r, c in origins[splits == index]:
            mask[r : r + size, c : c + size] = True
        footprints.append(mask)
        assert mask.any()
        # every chip pixel lies in the split's region mask
        assert not (mask & ~plan.region_mask(("train", "val", "test")[index], shape)).any()
    for a in range(3):
        for b in range(a + 1, 3):
            # dilating by the buffer still never reaches the other split: gap >= buffer px
            assert not (_dilate(footprints[a], gap) & footprints[b]).any()


def test_region_masks_are_disjoint_and_separated_by_the_buffer() -> None:
    plan = plan_split((100, 120), chip_size_px=10, block_px=20, buffer_px=4, seed=5)
    masks = [plan.region_mask(s) for s in ("train", "val", "test")]
    assert all(m.any() for m in masks)
    for a in range(3):
        for b in range(a + 1, 3):
            assert not (_dilate(masks[a], 4) & masks[b]).any()
    covered = masks[0] | masks[1] | masks[2]
    assert 0.5 < covered.mean() < 1.0  # buffers take some pixels, not most


def test_plan_is_seeded_and_round_trips(tmp_path) -> None:
    origins = chip_origins((128, 128), 16)
    a = plan_split((128, 128), chip_origins_px=origins, chip_size_px=16, block_px=32, seed=7)
    b = plan_split((128, 128), chip_origins_px=origins, chip_size_px=16, block_px=32, seed=7)
    c = plan_split((128, 128), chip_origins_px=origins, chip_size_px=16, block_px=32, seed=8)
    assert a == b and a.block_splits != c.block_splits
    loaded = SplitPlan.load(a.save(tmp_path / "split.json"))
    assert loaded == a
    np.testing.assert_array_equal(loaded.assign_chips(origins, 16), a.assign_chips(origins, 16))


def test_random_split_is_the_papers_chip_split() -> None:
    origins = chip_origins((64, 64), 8)
    plan = plan_split((64, 64), method="random", chip_origins_px=origins, chip_size_px=8, seed=0)
    splits = plan.assign_chips(origins, 8)
    assert np.bincount(splits).tolist() == [44, 9, 11]
    assert SplitPlan.from_json(plan.to_json()).region_mask("test").sum() == 11 * 64


def test_block_balance_follows_fractions_by_chip_count() -> None:
    origins = chip_origins((512, 512), 16)
    plan = plan_split(
        (512, 512), chip_origins_px=origins, chip_size_px=16, block_px=64, buffer_px=0, seed=0
    )
    counts = np.bincount(plan.assign_chips(origins, 16), minlength=3) / len(origins)
    np.testing.assert_allclose(counts, [0.7, 0.15, 0.15], atol=0.05)


def test_bad_split_parameters_are_clear_errors() -> None:
    with pytest.raises(ConfigError, match="smaller than split_block_px"):
        plan_split((100, 100), chip_size_px=16, block_px=16, buffer_px=16)
    with pytest.raises(ConfigError, match="sum"):
        plan_split((100, 100), fractions=(0.5, 0.5, 0.5))
