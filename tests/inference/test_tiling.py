"""The tile plan: coverage, blending weights that sum to 1, clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from sarslide.errors import ConfigError
from sarslide.inference.tiling import plan_tiles


def _weight_sum(plan) -> np.ndarray:
    total = np.zeros((plan.height_px + plan.rows.tile_px, plan.width_px + plan.cols.tile_px))
    for tile in plan.tiles():
        total[tile.y0 : tile.y1, tile.x0 : tile.x1] += plan.weights(tile)
    return total[: plan.height_px, : plan.width_px]


@pytest.mark.parametrize(
    ("height", "width", "tile", "overlap", "margin"),
    [
        (1000, 1300, 256, 64, 0),
        (1000, 1300, 256, 0, 0),
        (777, 555, 128, 32, 16),
        (700, 300, 128, 64, 0),  # 50% overlap
        (40, 1000, 128, 16, 8),  # thinner than one tile
    ],
)
def test_weights_sum_to_one_everywhere(height, width, tile, overlap, margin) -> None:
    plan = plan_tiles(height, width, tile_size_px=tile, overlap_px=overlap, margin_px=margin)
    np.testing.assert_allclose(_weight_sum(plan), 1.0, atol=1e-6)


def test_tiles_cover_scene_and_keep_the_pooling_grid() -> None:
    plan = plan_tiles(4398, 5382, tile_size_px=512, overlap_px=64)
    assert plan.rows.starts[0] == 0 and plan.rows.starts[-1] + 512 >= 4398
    assert plan.cols.starts[-1] + 512 - 5382 < 32  # last tile barely runs past
    assert all(s % 32 == 0 for s in plan.rows.starts + plan.cols.starts)
    assert 1.0 < plan.work_ratio < 1.5


def test_zero_overlap_tiles_partition_the_scene() -> None:
    plan = plan_tiles(512, 512, tile_size_px=128, overlap_px=0)
    assert plan.n_tiles == 16
    assert plan.work_ratio == 1.0
    assert {float(plan.weights(t).min()) for t in plan.tiles()} == {1.0}


def test_scene_smaller_than_a_tile_gets_one_rounded_tile() -> None:
    plan = plan_tiles(20, 45, tile_size_px=512)
    assert plan.n_tiles == 1
    assert (plan.rows.tile_px, plan.cols.tile_px) == (32, 64)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"tile_size_px": 500}, "multiple of 32"),
        ({"tile_size_px": 128, "overlap_px": 100}, "at most 50% overlap"),
        ({"overlap_px": -1}, "must be >= 0"),
    ],
)
def test_bad_options_are_clear_errors(kwargs, match) -> None:
    with pytest.raises(ConfigError, match=match):
        plan_tiles(1000, 1000, **kwargs)


def test_even_tiles_shrink_to_cover_the_scene_with_the_fewest_tiles() -> None:
    # 1024 px tiles over a Hokkaido-sized scene: 5 x 6 tiles either way, but 960 px
    # ones cover it (the first plan ran 1024 px tiles, 33 % of the work redundant).
    plan = plan_tiles(4398, 5382, tile_size_px=1024, overlap_px=64)
    assert (len(plan.rows.starts), len(plan.cols.starts)) == (5, 6)
    assert (plan.rows.tile_px, plan.cols.tile_px) == (960, 960)
    assert plan.work_ratio < 1.17
    np.testing.assert_allclose(_weight_sum(plan), 1.0, atol=1e-6)


@pytest.mark.parametrize("seed", range(40))
def test_even_tiles_never_add_tiles_and_keep_the_pooling_grid(seed) -> None:
    rng = np.random.default_rng(seed)
    height, width = (int(v) for v in rng.integers(1, 3000, size=2))
    tile = int(rng.choice([128, 256, 512, 1024]))
    overlap = int(rng.choice([0, 32, 64])) if tile > 128 else 32
    margin = int(rng.choice([0, 16])) if overlap else 0
    plan = plan_tiles(height, width, tile_size_px=tile, overlap_px=overlap, margin_px=margin)
    for axis, size in ((plan.rows, height), (plan.cols, width)):
        stride = tile - 2 * margin - overlap
        fewest = 1 if size <= tile else 1 + -(-(size - tile) // stride)
        assert len(axis.starts) == fewest
        assert axis.tile_px <= max(tile, 32) and axis.tile_px % 32 == 0
        assert axis.starts[0] == 0 and axis.starts[-1] + axis.tile_px >= size
        assert all(s % 32 == 0 for s in axis.starts)
    np.testing.assert_allclose(_weight_sum(plan), 1.0, atol=1e-6)
