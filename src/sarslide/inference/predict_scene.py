"""Streaming whole-scene prediction: read blocks lazily, predict tiles, blend, write rows.

The scene is walked in blocks of tiles (see ``tiling.plan_tiles``). Each block's
input window is read once from the lazy (dask / Zarr) channel stack, standardised,
cut into tiles and run through the model in batches; tile predictions are
multiplied by their blending weights and added into a full-width band of rows.
Rows that no later tile touches are handed to a sink (a GeoTIFF writer, or an
in-memory array) and dropped, so peak memory depends on the tile and block size and
the scene width, never on the whole scene.

A pixel where any input channel is NaN is nodata and comes out as NaN.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import closing, nullcontext
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from rich.progress import Progress

from sarslide.errors import ConfigError, DataSelectionError
from sarslide.inference.prefetch import prefetch
from sarslide.inference.read_priority import (
    lower_reading_priority,
    lower_thread_priority,
    reading_nice,
)
from sarslide.inference.row_band import RowBand
from sarslide.inference.sinks import ArraySink, RowSink
from sarslide.inference.tiling import TilePlan, TileWindow, Tiling
from sarslide.inference.window_reader import DEFAULT_MAX_HELD_BYTES, ChunkedWindowReader, Window
from sarslide.inference.write_behind import WriteBehind

logger = logging.getLogger(__name__)

PredictBatchFn = Callable[[np.ndarray], np.ndarray]
"""(batch, channel, y, x) float32 standardised input -> (batch, y, x) probability."""
NormaliseFn = Callable[[np.ndarray], np.ndarray]
"""(channel, y, x) raw stack values -> standardised float32 without NaN."""


@dataclass
class PredictionStats:
    """Where the time went (seconds) and how much was done."""

    n_tiles: int = 0
    n_batches: int = 0
    pixels: int = 0
    work_ratio: float = 1.0
    tile_px: tuple[int, int] = (0, 0)  # the (rows, cols) of the tiles run (even tiles)
    read_s: float = 0.0  # reading + standardising blocks (in the prefetch thread)
    chunks_computed: int = 0  # stack chunks computed (each once when held between blocks)
    wait_s: float = 0.0  # time the model waited for a block to be read
    forward_s: float = 0.0
    blend_s: float = 0.0
    write_s: float = 0.0  # the model's thread waiting for rows to be written
    wall_s: float = 0.0
    peak_band_rows: int = 0
    notes: dict[str, Any] = field(default_factory=dict)


def predict_stack(
    stack: Any,
    predict_batch: PredictBatchFn,
    *,
    sink: RowSink,
    tiling: Tiling = Tiling(),
    normalise: NormaliseFn | None = None,
    block_size_px: int = 1024,
    prefetch_blocks: int = 1,
    max_held_bytes: int = DEFAULT_MAX_HELD_BYTES,
    progress: bool = False,
    workers: BlockWorkers | None = None,
) -> PredictionStats:
    """Predict a (channel, y, x) stack tile by tile and stream the blended rows to ``sink``.

    Args:
        stack: (channel, y, x) values: an ``xr.DataArray`` (lazy dask is read one block
            at a time), a dask array or a numpy array.
        predict_batch: the model, see ``PredictBatchFn`` and
            ``sarslide.models.predict.make_torch_predictor``.
        sink: receives finished rows in order (``ArraySink``, ``GeoTiffRowWriter``).
        tiling: tile size, overlap, margin, the model's size multiple and tiles per
            model call (``Tiling``; see ``plan_tiles``).
        normalise: turns raw values into model input (the checkpoint's
            ``normalisation.apply``); default: NaN -> 0, as float32.
        block_size_px: tiles are read in blocks of about this size (one read per block).
        prefetch_blocks: blocks read ahead in a thread while the model runs on the
            current one, finished rows written in another (0: read and write in turn).
        max_held_bytes: chunks shared by neighbouring blocks are computed once and
            held until the last block that needs them, up to this many bytes; see
            ``ChunkedWindowReader``.
        progress: show a progress bar over tiles.
        workers: read and predict the blocks there (``WorkerBlocks``: dask.distributed
            workers, each with the model loaded once; ``predict_batch`` is not used);
            this process blends the tiles and writes the rows.

    Returns:
        Timings and counts (``PredictionStats``).
    """
    if stack.ndim != 3:
        raise DataSelectionError(
            f"Expected a (channel, y, x) stack; got {stack.ndim} dims {getattr(stack, 'dims', '')}."
        )
    batch_size = tiling.batch_size
    if batch_size < 1 or block_size_px < 1:
        raise ConfigError(
            f"batch_size and block_size_px must be >= 1; got {batch_size=}, {block_size_px=}."
        )
    height, width = int(stack.shape[1]), int(stack.shape[2])
    plan = tiling.plan(height, width)
    stats = PredictionStats(
        n_tiles=plan.n_tiles,
        pixels=height * width,
        work_ratio=plan.work_ratio,
        tile_px=(plan.rows.tile_px, plan.cols.tile_px),
    )
    normalise = normalise or _fill_nan
    row_groups = _group_starts(plan.rows.starts, plan.rows.tile_px, block_size_px)
    col_groups = _group_starts(plan.cols.starts, plan.cols.tile_px, block_size_px)
    blocks = [
        [
            TileWindow(
                r, c, plan.rows.starts[r], plan.cols.starts[c], plan.rows.tile_px, plan.cols.tile_px
            )
            for r in rows
            for c in cols
        ]
        for rows in row_groups
        for cols in col_groups
    ]

    windows = [_union_window(tiles) for tiles in blocks]  # may pass the scene's edge
    start = time.perf_counter()
    # threads reading ahead and writing behind yield the cores to the model
    # (read_priority); working in turn (prefetch 0) stays in the model's thread
    nice = reading_nice() if prefetch_blocks > 0 else None
    if workers is not None:
        predicted = workers.predict_blocks(stack, blocks, windows, normalise, tiling, stats)
    else:
        predicted = _predict_blocks_here(
            stack,
            blocks,
            windows,
            normalise,
            predict_batch,
            tiling,
            stats,
            prefetch_blocks=prefetch_blocks,
            max_held_bytes=max_held_bytes,
            nice=nice,
        )
    band = RowBand(width)
    writer = WriteBehind(sink, nice=nice) if prefetch_blocks > 0 else None
    rows_out: RowSink = writer if writer is not None else sink
    try:
        with _progress_bar(progress, plan.n_tiles) as bar, closing(predicted):
            for gi, rows in enumerate(row_groups):
                band.extend_to(min(plan.rows.starts[rows[-1]] + plan.rows.tile_px, height))
                for _ in col_groups:
                    block = next(predicted)
                    _blend_block(block, plan, band, stats)
                    if bar is not None:
                        bar[0].advance(bar[1], len(block.tiles))
                done_until = (
                    height if gi == len(row_groups) - 1 else plan.rows.starts[row_groups[gi + 1][0]]
                )
                t0 = time.perf_counter()
                rows_out.write_rows(band.row0, band.pop_until(done_until))
                stats.write_s += time.perf_counter() - t0
                stats.peak_band_rows = max(stats.peak_band_rows, band.peak_rows)
        if writer is not None:
            t0 = time.perf_counter()
            writer.close()  # the last band; the sink's error, if any
            stats.write_s += time.perf_counter() - t0
    finally:
        if writer is not None:
            writer.abandon()
    stats.wall_s = time.perf_counter() - start
    logger.info(
        "predicted %d x %d px in %d tiles of %d x %d px (%.1f s: read %.1f (waited %.1f), "
        "forward %.1f, blend %.1f, write %.1f)",
        height,
        width,
        stats.n_tiles,
        *stats.tile_px,
        stats.wall_s,
        stats.read_s,
        stats.wait_s,
        stats.forward_s,
        stats.blend_s,
        stats.write_s,
    )
    return stats


def predict_array(
    stack: Any,
    predict_batch: PredictBatchFn,
    *,
    normalise: NormaliseFn | None = None,
    **options: Any,
) -> np.ndarray:
    """``predict_stack`` into an in-memory (y, x) float32 array (small scenes, tests)."""
    out = np.full((int(stack.shape[1]), int(stack.shape[2])), np.nan, dtype=np.float32)
    predict_stack(stack, predict_batch, sink=ArraySink(out), normalise=normalise, **options)
    return out


@dataclass
class PredictedBlock:
    """One block's tiles, their (tile, y, x) probabilities and the window's nodata mask."""

    tiles: list[TileWindow]
    y0: int
    x0: int
    probabilities: np.ndarray
    nodata: np.ndarray


class BlockWorkers(Protocol):
    """Predicts the blocks elsewhere (``inference.worker_predict.WorkerBlocks``)."""

    def predict_blocks(
        self,
        stack: Any,
        blocks: list[list[TileWindow]],
        windows: list[Window],
        normalise: NormaliseFn,
        tiling: Tiling,
        stats: PredictionStats,
    ) -> Generator[PredictedBlock, None, None]:
        """The blocks' predictions, in block order."""
        ...


@dataclass
class _Block:
    """One block of tiles: its standardised input window and nodata mask."""

    tiles: list[TileWindow]
    y0: int
    x0: int
    data: np.ndarray
    nodata: np.ndarray


def _union_window(tiles: list[TileWindow]) -> Window:
    """The (y0, y1, x0, x1) window covering ``tiles``."""
    return (
        min(t.y0 for t in tiles),
        max(t.y1 for t in tiles),
        min(t.x0 for t in tiles),
        max(t.x1 for t in tiles),
    )


def _read_block(
    reader: ChunkedWindowReader,
    n: int,
    tiles: list[TileWindow],
    window: Window,
    normalise: NormaliseFn,
    stats: PredictionStats,
) -> _Block:
    """Read block ``n`` (``window`` covers its ``tiles``) and standardise it (runs in the
    prefetch thread); the part of ``window`` past the scene is reflect-padded."""
    y0, y1, x0, x1 = window
    t0 = time.perf_counter()
    raw = _pad_past_scene(reader.read(n), y1 - y0, x1 - x0)
    nodata = ~np.all(np.isfinite(raw), axis=0)
    data = np.asarray(normalise(raw), dtype=np.float32)
    stats.read_s += time.perf_counter() - t0
    return _Block(tiles, y0, x0, data, nodata)


def _predict_blocks_here(
    stack: Any,
    blocks: list[list[TileWindow]],
    windows: list[Window],
    normalise: NormaliseFn,
    predict_batch: PredictBatchFn,
    tiling: Tiling,
    stats: PredictionStats,
    *,
    prefetch_blocks: int,
    max_held_bytes: int,
    nice: int | None,
) -> Generator[PredictedBlock, None, None]:
    """Blocks read (each chunk once, a prefetch thread ahead, at nice ``nice``) and
    predicted in this process."""
    height, width = int(stack.shape[1]), int(stack.shape[2])
    reader = ChunkedWindowReader(
        stack,
        [(y0, min(y1, height), x0, min(x1, width)) for y0, y1, x0, x1 in windows],
        max_held_bytes=max_held_bytes,
    )

    def read_blocks() -> Iterator[_Block]:
        if nice is not None:
            lower_thread_priority(threading.get_native_id(), nice)
        for n, tiles in enumerate(blocks):
            yield _read_block(reader, n, tiles, windows[n], normalise, stats)

    with (
        lower_reading_priority(nice),
        closing(prefetch(read_blocks(), depth=prefetch_blocks)) as read_ahead,
    ):
        for _ in blocks:
            t0 = time.perf_counter()
            block = next(read_ahead)
            stats.wait_s += time.perf_counter() - t0
            t0 = time.perf_counter()
            probabilities = predict_tiles(block, predict_batch, tiling.batch_size)
            stats.forward_s += time.perf_counter() - t0
            stats.n_batches += -(-len(block.tiles) // tiling.batch_size)
            stats.chunks_computed = reader.chunks_computed
            yield PredictedBlock(block.tiles, block.y0, block.x0, probabilities, block.nodata)


def predict_tiles(block: _Block, predict_batch: PredictBatchFn, batch_size: int) -> np.ndarray:
    """The (tile, y, x) probabilities of a block's tiles, predicted in batches."""
    data, y0, x0 = block.data, block.y0, block.x0
    out = []
    for batch in _batches(block.tiles, batch_size):
        inputs = np.stack([data[:, t.y0 - y0 : t.y1 - y0, t.x0 - x0 : t.x1 - x0] for t in batch])
        probs = np.asarray(predict_batch(inputs), dtype=np.float32)
        if probs.shape != (len(batch), *inputs.shape[2:]):
            raise ConfigError(
                f"The model returned shape {probs.shape} for input {inputs.shape}; expected "
                "(batch, y, x) probabilities of the input's size (a fully convolutional model)."
            )
        out.append(probs)
    return np.concatenate(out)


def _blend_block(
    block: PredictedBlock, plan: TilePlan, band: RowBand, stats: PredictionStats
) -> None:
    """Weight the block's tile probabilities, mask nodata, add them into ``band``."""
    t0 = time.perf_counter()
    nodata, y0, x0 = block.nodata, block.y0, block.x0
    for tile, prob in zip(block.tiles, block.probabilities, strict=True):
        weighted = prob * plan.weights(tile)
        mask = nodata[tile.y0 - y0 : tile.y1 - y0, tile.x0 - x0 : tile.x1 - x0]
        weighted[mask] = np.nan
        band.add(tile.y0, tile.x0, weighted)
    stats.blend_s += time.perf_counter() - t0


def _pad_past_scene(values: np.ndarray, height: int, width: int) -> np.ndarray:
    """``values`` reflect-padded to (channel, height, width) where the window passed the scene."""
    pad_y, pad_x = height - values.shape[1], width - values.shape[2]
    if pad_y or pad_x:
        values = np.pad(values, ((0, 0), (0, pad_y), (0, pad_x)), mode="symmetric")
    return values


def _group_starts(starts: tuple[int, ...], tile_px: int, block_size_px: int) -> list[list[int]]:
    """Consecutive tile indices grouped so that each group spans about ``block_size_px``."""
    groups: list[list[int]] = [[0]]
    for i in range(1, len(starts)):
        if starts[i] + tile_px - starts[groups[-1][0]] <= block_size_px:
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups


def _batches(items: list[TileWindow], size: int) -> Iterator[list[TileWindow]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _fill_nan(values: np.ndarray) -> np.ndarray:
    return np.nan_to_num(values.astype(np.float32, copy=False), nan=0.0, posinf=0.0, neginf=0.0)


def _progress_bar(enabled: bool, total: int) -> Any:
    if not enabled:
        return nullcontext(None)

    class _Bar:
        def __enter__(self) -> tuple[Any, Any]:
            self.progress = Progress(transient=True)
            self.progress.start()
            return self.progress, self.progress.add_task("predicting tiles", total=total)

        def __exit__(self, *exc: object) -> None:
            self.progress.stop()

    return _Bar()
