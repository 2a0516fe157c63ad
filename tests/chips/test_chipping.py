"""Chips: vectorised selection and gathering equal a naive loop; errors; nodata."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest
import xarray as xr

from sarslide.chips import chip_origins, extract_chips, gather_windows
from sarslide.chips.chipping import count_per_chip, select_chip_origins
from sarslide.errors import DataSelectionError


def _scene(seed: int = 0, shape=(3, 45, 52)):
    rng = np.random.default_rng(seed)
    inputs = rng.normal(size=shape).astype(np.float32)
    labels = np.zeros(shape[1:], dtype=np.uint8)
    labels[rng.integers(0, shape[1], 6), rng.integers(0, shape[2], 6)] = 1
    stack = xr.DataArray(inputs, dims=("channel", "y", "x"), coords={"channel": ["a", "b", "c"]})
    return stack, labels


def _naive(inputs, labels, size, stride, positive_only):
    out = []
    for r in range(0, labels.shape[0] - size + 1, stride):
        for c in range(0, labels.shape[1] - size + 1, stride):
            lab = labels[r : r + size, c : c + size]
            if positive_only and not lab.any():
                continue
            out.append(((r, c), inputs[:, r : r + size, c : c + size], lab))
    return out


@pytest.mark.parametrize(("size", "stride"), [(8, 8), (8, 4), (10, 6), (7, 3)])
@pytest.mark.parametrize("positive_only", [True, False])
@pytest.mark.parametrize("lazy", [False, True])
def test_vectorised_chips_identical_to_naive_loop(size, stride, positive_only, lazy) -> None:
    stack, labels = _scene()
    expected = _naive(stack.values, labels, size, stride, positive_only)
    if lazy:
        stack = stack.chunk({"y": 13, "x": 11})
        labels = da.from_array(labels, chunks=(9, 17))
    chips = extract_chips(
        stack, labels, size_px=size, stride_px=stride, positive_only=positive_only
    )
    assert [tuple(o) for o in chips.origins_px] == [e[0] for e in expected]
    np.testing.assert_array_equal(chips.inputs, np.stack([e[1] for e in expected]))
    np.testing.assert_array_equal(chips.labels, np.stack([e[2] for e in expected]))
    assert chips.channel_names == ["a", "b", "c"] and chips.inputs.dtype == np.float32


def test_count_per_chip_matches_direct_sums_on_dask() -> None:
    rng = np.random.default_rng(1)
    mask = rng.random((50, 61)) < 0.3
    direct = np.array(
        [mask[r : r + 12, c : c + 12].sum() for r, c in chip_origins(mask.shape, 12, 8)]
    )
    np.testing.assert_array_equal(count_per_chip(mask, 12, 8), direct)
    np.testing.assert_array_equal(
        count_per_chip(da.from_array(mask, chunks=(20, 25)), 12, 8), direct
    )


def test_gather_windows_with_transform_over_leading_axis() -> None:
    data = np.arange(2 * 20 * 20, dtype=np.float32).reshape(2, 20, 20)
    origins = np.array([[0, 0], [12, 5]])
    out = gather_windows(
        da.from_array(data, chunks=(1, 7, 7)), origins, 8, transform=lambda w: w.sum(axis=1)
    )
    np.testing.assert_array_equal(out[1], data[:, 12:20, 5:13].sum(axis=0))


def test_chip_larger_than_scene_is_a_clear_error() -> None:
    stack, labels = _scene()
    with pytest.raises(
        DataSelectionError, match=r"chip size 64 px is larger than the scene \(45 x 52 px\)"
    ):
        extract_chips(stack, labels, size_px=64)


def test_no_landslide_pixels_is_a_clear_error() -> None:
    _, labels = _scene()
    with pytest.raises(DataSelectionError, match=r"no labelled landslides.*positive_only: false"):
        select_chip_origins(np.zeros_like(labels), 8)


def test_mostly_nodata_chips_are_dropped_and_partial_nodata_kept_as_nan() -> None:
    stack, labels = _scene()
    values = stack.values.copy()
    values[1, :8, :8] = np.nan  # chip (0, 0): all nodata in one channel -> dropped
    values[0, 8:10, :8] = np.nan  # chip (8, 0): 25% nodata -> kept with NaN
    chips = extract_chips(stack.copy(data=values), labels, size_px=8, positive_only=False)
    origins = [tuple(o) for o in chips.origins_px]
    assert (0, 0) not in origins and (8, 0) in origins
    kept = chips.inputs[origins.index((8, 0))]
    assert np.isnan(kept[0, :2]).all() and not np.isnan(kept[0, 2:]).any()
    assert chips.counts["n_chips_dropped_nodata"] == 1
