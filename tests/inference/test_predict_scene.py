"""Streaming prediction: tiled == untiled for equivariant models, nodata, streaming."""

from __future__ import annotations

import sys

import dask.array as da
import numpy as np
import pytest
import torch
import xarray as xr

from sarslide.errors import ConfigError
from sarslide.inference.predict_scene import predict_array, predict_stack
from sarslide.inference.sinks import ArraySink
from sarslide.inference.tiling import Tiling
from sarslide.models.predict import make_torch_predictor

RF_PX = 3  # receptive-field radius of the conv net below


def _conv_net(channels: int) -> torch.nn.Module:
    torch.manual_seed(0)
    return torch.nn.Sequential(
        torch.nn.Conv2d(channels, 4, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.Conv2d(4, 4, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.Conv2d(4, 2, 3, padding=1),
    ).eval()


def _stack(height: int = 150, width: int = 190, channels: int = 3, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(channels, height, width)).astype(np.float32)


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


@pytest.mark.parametrize(("overlap", "margin"), [(0, RF_PX), (16, 0), (16, RF_PX), (24, 4)])
def test_conv_net_tiled_equals_untiled_away_from_borders(overlap: int, margin: int) -> None:
    stack = _stack()
    predictor = make_torch_predictor(_conv_net(3), num_classes=2, channels_last=False)
    untiled = predictor(stack[None])[0]
    tiled = predict_array(
        stack,
        predictor,
        tiling=Tiling(
            tile_size_px=64, overlap_px=overlap, margin_px=margin, size_multiple_px=8, batch_size=3
        ),
        block_size_px=100,
    )
    inner = (slice(RF_PX, -RF_PX), slice(RF_PX, -RF_PX))
    if margin >= RF_PX:
        np.testing.assert_allclose(tiled[inner], untiled[inner], atol=1e-5)
    else:  # blended edges: close, and the cosine ramp hides the tile-edge padding
        np.testing.assert_allclose(tiled[inner], untiled[inner], atol=2e-2)


def test_pointwise_model_is_exact_everywhere_without_overlap() -> None:
    stack = _stack(70, 130)

    def pointwise(batch: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-batch.sum(axis=1)))

    expected = pointwise(stack[None])[0]
    for overlap in (0, 8):
        tiled = predict_array(
            stack, pointwise, tiling=Tiling(tile_size_px=32, overlap_px=overlap, size_multiple_px=8)
        )
        np.testing.assert_allclose(tiled, expected, atol=1e-6)


def test_nodata_in_gives_nodata_out() -> None:
    stack = _stack(60, 80)
    stack[1, 10:20, 30:45] = np.nan
    stack[:, 50, :] = np.nan
    out = predict_array(
        stack,
        make_torch_predictor(_conv_net(3), num_classes=2),
        tiling=Tiling(tile_size_px=32, overlap_px=8, size_multiple_px=8),
    )
    expected_nodata = ~np.isfinite(stack).all(axis=0)
    np.testing.assert_array_equal(np.isnan(out), expected_nodata)
    assert np.all((out[~expected_nodata] >= 0) & (out[~expected_nodata] <= 1))


def test_scene_smaller_than_one_tile_is_padded_and_cropped() -> None:
    stack = _stack(13, 21)
    predictor = make_torch_predictor(_conv_net(3), num_classes=2)
    out = predict_array(stack, predictor, tiling=Tiling(tile_size_px=512))
    assert out.shape == (13, 21)
    assert np.isfinite(out).all()
    np.testing.assert_allclose(
        out[RF_PX:-RF_PX, RF_PX:-RF_PX],
        predictor(stack[None])[0][RF_PX:-RF_PX, RF_PX:-RF_PX],
        atol=1e-5,
    )


class _RecordingArray:
    """A (channel, y, x) array that records the windows read from it."""

    def __init__(self, values: np.ndarray) -> None:
        self.values, self.shape, self.ndim, self.dtype = values, values.shape, 3, values.dtype
        self.reads: list[int] = []

    def __getitem__(self, key: tuple[slice, ...]) -> np.ndarray:
        window = self.values[key]
        self.reads.append(window[0].size)
        return window


class _RecordingSink(ArraySink):
    def __init__(self, shape: tuple[int, int]) -> None:
        super().__init__(np.full(shape, np.nan, np.float32))
        self.calls: list[tuple[int, int]] = []

    def write_rows(self, row_start: int, rows: np.ndarray) -> None:
        self.calls.append((row_start, rows.shape[0]))
        super().write_rows(row_start, rows)


def test_streams_blocks_in_and_rows_out() -> None:
    stack = _RecordingArray(_stack(400, 300))
    sink = _RecordingSink((400, 300))
    stats = predict_stack(
        stack,
        lambda b: np.full((b.shape[0], *b.shape[2:]), 0.5, np.float32),
        sink=sink,
        tiling=Tiling(tile_size_px=64, overlap_px=16, size_multiple_px=8),
        block_size_px=128,
    )
    assert max(stack.reads) <= 128 * 128 < 400 * 300  # never the whole scene
    starts = [s for s, _ in sink.calls]
    assert starts == sorted(starts) and sum(n for _, n in sink.calls) == 400
    assert stats.peak_band_rows <= 128
    np.testing.assert_allclose(sink.array, 0.5, atol=1e-6)


def test_dask_backed_dataarray_gives_the_same_result() -> None:
    values = _stack(100, 120)
    lazy = xr.DataArray(da.from_array(values, chunks=(1, 40, 40)), dims=("channel", "y", "x"))
    predictor = make_torch_predictor(_conv_net(3), num_classes=2)
    options = dict(tiling=Tiling(tile_size_px=64, overlap_px=16, size_multiple_px=8))
    np.testing.assert_allclose(
        predict_array(lazy, predictor, **options),
        predict_array(values, predictor, **options),
        atol=1e-6,
    )


def test_sigmoid_single_output_and_wrong_output_shape() -> None:
    model = torch.nn.Conv2d(3, 1, 1)
    out = predict_array(
        _stack(40, 40),
        make_torch_predictor(model, num_classes=1),
        tiling=Tiling(tile_size_px=32, overlap_px=0, size_multiple_px=8),
    )
    assert np.all((out > 0) & (out < 1))
    with pytest.raises(ConfigError, match="num_classes=2"):
        predict_array(
            _stack(40, 40),
            make_torch_predictor(model, num_classes=2),
            tiling=Tiling(tile_size_px=32, overlap_px=0, size_multiple_px=8),
        )
    with pytest.raises(ConfigError, match="fully convolutional"):
        predict_array(
            _stack(40, 40),
            lambda b: np.zeros((b.shape[0], 5, 5)),
            tiling=Tiling(tile_size_px=32, overlap_px=0, size_multiple_px=8),
        )


@pytest.mark.parametrize("depth", [1, 3])
def test_prefetched_reads_give_the_same_map_as_reads_in_turn(depth: int) -> None:
    stack = da.from_array(_stack(200, 230), chunks=(3, 50, 50))
    predictor = make_torch_predictor(_conv_net(3), num_classes=2, channels_last=True)
    options = {
        "tiling": Tiling(tile_size_px=64, overlap_px=16, size_multiple_px=8),
        "block_size_px": 100,
    }
    in_turn = predict_array(stack, predictor, prefetch_blocks=0, **options)
    ahead = predict_array(stack, predictor, prefetch_blocks=depth, **options)
    np.testing.assert_array_equal(ahead, in_turn)


def test_a_failing_read_is_raised_by_predict_and_stops_the_reader() -> None:
    import threading

    class FailingStack:
        ndim, shape = 3, (3, 200, 230)

        def __init__(self) -> None:
            self.reads = 0
            self.values = _stack(200, 230)

        def __getitem__(self, key: tuple[slice, ...]) -> np.ndarray:
            self.reads += 1
            if self.reads == 3:
                raise OSError("chunk 3 is corrupt")
            return self.values[key]

    stack = FailingStack()
    predictor = make_torch_predictor(_conv_net(3), num_classes=2)
    with pytest.raises(OSError, match="chunk 3 is corrupt"):
        predict_array(
            stack,
            predictor,
            tiling=Tiling(tile_size_px=64, overlap_px=16, size_multiple_px=8),
            block_size_px=100,
        )
    assert not [t for t in threading.enumerate() if t.name == "sarslide-prefetch"]


def _nice() -> int:
    import os
    import threading

    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")
@pytest.mark.parametrize("prefetch_blocks", [1, 0])
def test_reading_runs_below_the_model_priority(prefetch_blocks: int) -> None:
    # The prefetch thread (and the dask / zarr threads it uses) yields the cores to the
    # model; reading in turn (prefetch 0) runs in the model's thread, unchanged.
    read_nice: list[int] = []
    model_nice: list[int] = []
    lazy = xr.DataArray(da.from_array(_stack(200, 200), chunks=(1, 64, 64)), dims=("c", "y", "x"))

    def normalise(values: np.ndarray) -> np.ndarray:
        read_nice.append(_nice())
        return np.nan_to_num(values)

    def model(batch: np.ndarray) -> np.ndarray:
        model_nice.append(_nice())
        return np.full((batch.shape[0], *batch.shape[2:]), 0.5, np.float32)

    before = _nice()
    predict_array(
        lazy,
        model,
        normalise=normalise,
        tiling=Tiling(tile_size_px=64, overlap_px=0, size_multiple_px=8),
        block_size_px=64,
        prefetch_blocks=prefetch_blocks,
    )
    assert set(model_nice) == {before} and _nice() == before
    expected = min(19, before + 10) if prefetch_blocks else before
    assert set(read_nice) == {expected}


def test_stats_say_which_tiles_ran() -> None:
    # 1024 px asked over 300 x 1900 px: one row of 320 px tiles; columns: two of 1024
    # would cover the width, and two of 992 px (the smallest multiple of 32) still do.
    stats = predict_stack(
        np.zeros((1, 300, 1900), np.float32),
        lambda b: np.zeros((b.shape[0], *b.shape[2:]), np.float32),
        sink=ArraySink(np.zeros((300, 1900), np.float32)),
        tiling=Tiling(tile_size_px=1024, overlap_px=64),
    )
    assert stats.tile_px == (320, 992) and stats.n_tiles == 2
