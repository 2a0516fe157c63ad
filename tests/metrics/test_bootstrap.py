"""Spatial block bootstrap: exact per resample, seeded, intervals that behave."""

from __future__ import annotations

import numpy as np
import pytest

from sarslide.errors import DataSelectionError
from sarslide.metrics.binary import (
    compute_auprc,
    compute_auroc,
    compute_confusion,
    compute_f1,
    compute_iou,
)
from sarslide.metrics.bootstrap import (
    bootstrap_block_intervals,
    draw_block_weights,
    resample_block_metrics,
    tile_block_ids,
)


def blocky_case(
    seed: int, n_blocks: int, per_block: int, *, ties: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labels and scores whose positive rate and skill vary from block to block."""
    rng = np.random.default_rng(seed)
    blocks = np.repeat(rng.permutation(n_blocks * 3)[:n_blocks], per_block)  # sparse ids
    rate = rng.uniform(0.05, 0.4, n_blocks).repeat(per_block)
    skill = rng.uniform(0.1, 0.5, n_blocks).repeat(per_block)
    y = rng.random(blocks.size) < rate
    p = np.clip(rng.normal(0.3 + skill * y, 0.2), 0, 1).astype(np.float32)
    if ties:
        p = np.round(p, 1).astype(np.float32)
    return y, p, blocks


def naive_resample(y, p, blocks, weights_row, threshold):  # type: ignore[no-untyped-def]
    """The resample built pixel by pixel: each block repeated as often as drawn."""
    ids = np.unique(blocks)
    pairs = zip(ids, weights_row, strict=True)
    picks = [np.flatnonzero(blocks == b) for b, w in pairs for _ in range(int(w))]
    index = np.concatenate(picks)
    ys, ps = y[index], p[index]
    confusion = compute_confusion(ys, ps, threshold)
    return {
        "auprc": compute_auprc(ys, ps),
        "auroc": compute_auroc(ys, ps),
        "f1": compute_f1(confusion),
        "iou": compute_iou(confusion),
    }


@pytest.mark.parametrize("ties", [False, True])
def test_each_resample_equals_the_naive_loop(ties: bool) -> None:
    y, p, blocks = blocky_case(0, 9, 60, ties=ties)
    weights = draw_block_weights(9, 40, seed=3)
    fast = resample_block_metrics(y, p, blocks, threshold=0.5, weights=weights)
    for r in range(40):
        slow = naive_resample(y, p, blocks, weights[r], 0.5)
        for name, value in slow.items():
            # same exact counts; only the order of the float sums differs
            assert fast[name][r] == pytest.approx(value, rel=1e-12, abs=1e-15), (name, r)


def test_unit_weights_give_the_point_estimate() -> None:
    y, p, blocks = blocky_case(1, 12, 200, ties=True)
    fast = resample_block_metrics(y, p, blocks, threshold=0.4, weights=np.ones((1, 12)))
    assert fast["auprc"][0] == pytest.approx(compute_auprc(y, p), rel=1e-12)
    assert fast["auroc"][0] == pytest.approx(compute_auroc(y, p), rel=1e-12)
    assert fast["f1"][0] == pytest.approx(compute_f1(compute_confusion(y, p, 0.4)), rel=1e-12)


def test_chunks_of_thresholds_change_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    y, p, blocks = blocky_case(2, 8, 300)
    weights = draw_block_weights(8, 30, seed=0)
    whole = resample_block_metrics(y, p, blocks, threshold=0.5, weights=weights)
    monkeypatch.setattr("sarslide.metrics.bootstrap.THRESHOLD_CHUNK", 7)
    chunked = resample_block_metrics(y, p, blocks, threshold=0.5, weights=weights)
    for name in whole:
        np.testing.assert_allclose(chunked[name], whole[name], rtol=1e-12)


def test_float64_products_give_the_same_values(monkeypatch: pytest.MonkeyPatch) -> None:
    """Resamples of >= 2**24 pixels use float64 products; small ones float32: same counts."""
    y, p, blocks = blocky_case(3, 8, 300, ties=True)
    weights = draw_block_weights(8, 30, seed=1)
    single = resample_block_metrics(y, p, blocks, threshold=0.5, weights=weights)
    monkeypatch.setattr("sarslide.metrics.bootstrap.EXACT_FLOAT32_PIXELS", 0)
    double = resample_block_metrics(y, p, blocks, threshold=0.5, weights=weights)
    for name in single:
        np.testing.assert_array_equal(double[name], single[name])


def test_resample_without_positives_is_undefined_not_zero() -> None:
    y = np.array([1, 0, 0, 0, 0, 0], dtype=bool)
    p = np.array([0.9, 0.1, 0.2, 0.3, 0.4, 0.5])
    blocks = np.array([0, 0, 1, 1, 2, 2])
    weights = np.array([[0.0, 2.0, 1.0], [1.0, 1.0, 1.0]])
    values = resample_block_metrics(y, p, blocks, threshold=0.5, weights=weights)
    assert np.isnan(values["auprc"][0]) and np.isnan(values["auroc"][0])
    assert values["auprc"][1] == 1.0 and values["auroc"][1] == 1.0


def test_interval_contains_the_point_estimate_and_is_seeded() -> None:
    y, p, blocks = blocky_case(4, 40, 150)
    first = bootstrap_block_intervals(y, p, blocks, threshold=0.5, n_resamples=400, seed=7)
    again = bootstrap_block_intervals(y, p, blocks, threshold=0.5, n_resamples=400, seed=7)
    other = bootstrap_block_intervals(y, p, blocks, threshold=0.5, n_resamples=400, seed=8)
    assert first == again
    assert first.intervals != other.intervals
    confusion = compute_confusion(y, p, 0.5)
    points = {
        "auprc": compute_auprc(y, p),
        "auroc": compute_auroc(y, p),
        "f1": compute_f1(confusion),
        "iou": compute_iou(confusion),
    }
    for name, point in points.items():
        low, high = first.intervals[name]
        assert low < point < high, name
    assert first.n_blocks == 40 and first.to_dict()["auprc"] == list(first.intervals["auprc"])


def test_interval_shrinks_with_more_blocks() -> None:
    """Same process, 16 then 256 blocks: the width falls roughly as 1/sqrt(blocks)."""
    widths = []
    for n_blocks in (16, 256):
        y, p, blocks = blocky_case(5, n_blocks, 100)
        result = bootstrap_block_intervals(y, p, blocks, threshold=0.5, n_resamples=300, seed=0)
        widths.append({k: hi - lo for k, (lo, hi) in result.intervals.items()})
    for name in widths[0]:
        assert widths[1][name] < 0.5 * widths[0][name], name


def test_tile_block_ids_group_pixels_by_tile() -> None:
    rows, cols = np.divmod(np.arange(16), 4)
    ids = tile_block_ids(rows, cols, 2)
    assert np.unique(ids).size == 4
    assert ids[0] == ids[1] == ids[4] == ids[5] and ids[2] != ids[0]


def test_bad_inputs_are_refused() -> None:
    y, p, blocks = blocky_case(6, 4, 10)
    with pytest.raises(DataSelectionError, match="confidence"):
        bootstrap_block_intervals(y, p, blocks, threshold=0.5, confidence=95)
    with pytest.raises(DataSelectionError, match="block ids"):
        bootstrap_block_intervals(y, p, blocks[:-1], threshold=0.5)
    bad = p.copy()
    bad[0] = np.nan
    with pytest.raises(DataSelectionError, match="NaN"):
        bootstrap_block_intervals(y, bad, blocks, threshold=0.5)
