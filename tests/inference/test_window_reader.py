"""Windows read in a planned order compute each chunk of a lazy stack once."""

from __future__ import annotations

import threading

import dask.array as da
import numpy as np
import pytest
import xarray as xr

from sarslide.inference.predict_scene import predict_array, predict_stack
from sarslide.inference.sinks import ArraySink
from sarslide.inference.tiling import Tiling
from sarslide.inference.window_reader import ChunkedWindowReader

WINDOWS = [
    (0, 60, 0, 70),
    (0, 60, 50, 120),
    (40, 100, 0, 70),
    (40, 100, 50, 120),
    (90, 130, 110, 150),
]


class _CountingStack:
    """A lazy (channel, y, x) stack that counts how often each chunk is computed."""

    def __init__(self, values: np.ndarray, chunks: tuple[int, int, int]) -> None:
        self.values = values
        self.calls: dict[tuple[int, ...], int] = {}
        self._lock = threading.Lock()

        def count(block: np.ndarray, block_info: dict | None = None) -> np.ndarray:
            assert block_info is not None
            key = tuple(block_info[0]["chunk-location"])
            with self._lock:
                self.calls[key] = self.calls.get(key, 0) + 1
            return block

        self.array = da.from_array(values, chunks=chunks).map_blocks(count, dtype=values.dtype)


def _values(channels: int = 3, height: int = 130, width: int = 150) -> np.ndarray:
    return np.random.default_rng(0).normal(size=(channels, height, width)).astype(np.float32)


def test_windows_equal_slices_and_every_chunk_is_computed_once() -> None:
    values = _values()
    counted = _CountingStack(values, (1, 32, 32))
    reader = ChunkedWindowReader(xr.DataArray(counted.array, dims=("channel", "y", "x")), WINDOWS)
    assert reader.chunked
    for n, (y0, y1, x0, x1) in enumerate(WINDOWS):
        window = reader.read(n)
        assert window.dtype == np.float32
        np.testing.assert_array_equal(window, values[:, y0:y1, x0:x1])
    # chunk rows/cols of 32 px: the first four windows cover rows 0-3 x cols 0-3,
    # the last rows 2-4 x cols 3-4
    spatial = {(i, j) for i in range(4) for j in range(4)}
    spatial |= {(i, j) for i in range(2, 5) for j in range(3, 5)}
    touched = {(c, i, j) for c in range(3) for i, j in spatial}
    assert set(counted.calls) == touched
    assert set(counted.calls.values()) == {1}
    assert reader.chunks_computed == len(touched) // 3
    assert reader._held == {}  # nothing is kept after the last window


def test_chunks_are_dropped_after_their_last_window() -> None:
    reader = ChunkedWindowReader(da.from_array(_values(), chunks=(3, 32, 32)), WINDOWS)
    reader.read(0)  # rows 0-1 x cols 0-2; (0, 0) is not needed by a later window
    assert set(reader._held) == {(0, 1), (0, 2), (1, 0), (1, 1), (1, 2)}
    reader.read(1)  # rows 0-1 are not read again
    assert all(i >= 1 for i, _ in reader._held)


def test_too_many_held_chunks_fall_back_to_window_reads_with_the_same_values() -> None:
    values = _values()
    counted = _CountingStack(values, (3, 130, 150))  # one chunk for the whole scene
    reader = ChunkedWindowReader(counted.array, WINDOWS, max_held_bytes=1000)
    assert not reader.chunked and reader.peak_bytes == values.nbytes
    for n, (y0, y1, x0, x1) in enumerate(WINDOWS):
        np.testing.assert_array_equal(reader.read(n), values[:, y0:y1, x0:x1])
    assert counted.calls == {(0, 0, 0): len(WINDOWS)}  # read again for every window


def test_numpy_stacks_are_sliced_directly_and_reads_must_follow_the_plan() -> None:
    values = _values()
    reader = ChunkedWindowReader(values, WINDOWS)
    assert not reader.chunked and reader.peak_bytes == 0
    np.testing.assert_array_equal(reader.read(0), values[:, 0:60, 0:70])
    with pytest.raises(ValueError, match="in order: expected 1, got 3"):
        reader.read(3)


@pytest.mark.parametrize("prefetch_blocks", [0, 1])
def test_predict_computes_each_chunk_once_and_matches_window_reads(prefetch_blocks: int) -> None:
    values = _values(2, 300, 260)
    counted = _CountingStack(values, (1, 64, 64))
    options = dict(
        tiling=Tiling(tile_size_px=64, overlap_px=16, size_multiple_px=8),
        block_size_px=100,
        prefetch_blocks=prefetch_blocks,
    )

    def mean_model(batch: np.ndarray) -> np.ndarray:
        return 1 / (1 + np.exp(-batch.mean(axis=1)))

    out = np.full((300, 260), np.nan, np.float32)
    stats = predict_stack(counted.array, mean_model, sink=ArraySink(out), **options)
    assert set(counted.calls.values()) == {1}
    assert len(counted.calls) == 2 * 5 * 5 and stats.chunks_computed == 5 * 5
    one_by_one = predict_array(counted.array, mean_model, max_held_bytes=0, **options)
    np.testing.assert_array_equal(out, one_by_one)
    np.testing.assert_array_equal(out, predict_array(values, mean_model, **options))
