"""The model on dask.distributed workers: blocks read and predicted there, blended here.

With a scheduler (``predict --scheduler``), :class:`WorkerBlocks` sends each block of
tiles to the cluster as two tasks: the block's window of the lazy composite stack
(the Zarr reads, log10 and mean composites run on the workers, next to the data) and
:func:`predict_block_task`, which standardises the window, reflect-pads it past the
scene edge and runs the block's tiles through the model. Each worker process loads the
model once (:func:`load_worker_model`, a per-process cache keyed by the model file,
engine, device and precision), so a worker pays the load (or the in-memory ONNX
export) once, not per block. Only the tiles' probabilities (float32, one tile is
1 MiB at 512 px) and the window's nodata mask (as bits: 32 KiB) come back; the client blends them in
block order with the same weights as the local path and streams the rows to the
COG writers, so the map is the local map (the blending is the same code; only the
engine's own arithmetic runs in another process).

Why not let the workers write windows of a shared output under a lock: the blended
band needs every tile that touches a row (neighbouring blocks overlap), so windows
written independently would need a second pass or a read-modify-write under a lock
per overlap; and the COG is written in one sequential pass anyway. Bringing back the
probabilities costs ~1 MiB per tile, small against the forward (measured in
docs/predict.md, "The model on the workers").

The model file must be readable at the same path on the workers (a shared file
system), as the cube must: the workers get its path, and the client reads only the
model's card (``inference.prepare.ModelOnWorkers``), never its weights. ``batch_size:
auto`` is chosen by each worker (:func:`choose_worker_batch_size`: from its own GPU's
free memory).
"""

from __future__ import annotations

import logging
import os
import time
from collections import deque
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sarslide.inference.config import CPU_BATCH_SIZE
from sarslide.inference.predict_scene import (
    NormaliseFn,
    PredictedBlock,
    PredictionStats,
    _Block,
    _pad_past_scene,
    predict_tiles,
)
from sarslide.inference.tiling import TileWindow, Tiling
from sarslide.inference.window_reader import Window
from sarslide.models.engines import InferenceModel, load_inference_model

logger = logging.getLogger(__name__)

_MODELS: dict[WorkerModelSpec, InferenceModel] = {}
"""This process's loaded models (one per worker process)."""
_BATCH_SIZES: dict[tuple[WorkerModelSpec, tuple[int, int, int]], int] = {}
"""Tiles per call chosen on this worker (``batch_size: auto``), per model and tile shape."""


@dataclass(frozen=True)
class WorkerModelSpec:
    """What a worker loads: a model file (checkpoint or .onnx) on an engine and device."""

    path: str
    engine: str = "auto"
    device: str = "auto"
    precision: str = "auto"


@dataclass
class WorkerBlockResult:
    """A block's tile probabilities, its nodata mask and what the worker spent on it.

    ``nodata_bits``: the (y, x) mask of shape ``nodata_shape`` packed 8 pixels a byte
    (``np.packbits``): a bool mask would be a fifth of what a block sends back.
    """

    probabilities: np.ndarray
    nodata_bits: np.ndarray
    nodata_shape: tuple[int, int]
    read_s: float
    forward_s: float
    load_s: float
    pid: int
    engine: str
    batch_size: int = 0
    model: dict[str, Any] = field(default_factory=dict)


def load_worker_model(spec: WorkerModelSpec) -> tuple[InferenceModel, float]:
    """The model of ``spec``, loaded once per process; and the seconds this call loaded it."""
    if spec in _MODELS:
        return _MODELS[spec], 0.0
    from sarslide.devices import resolve_device

    start = time.perf_counter()
    device = resolve_device(spec.device, log=False)
    _MODELS[spec] = load_inference_model(
        spec.path, engine=spec.engine, device=device, precision=spec.precision
    )
    return _MODELS[spec], time.perf_counter() - start


def choose_worker_batch_size(spec: WorkerModelSpec, tile_shape: tuple[int, int, int]) -> int:
    """``batch_size: auto`` on this worker: from its free GPU memory for torch on CUDA,
    else ``CPU_BATCH_SIZE``; measured once per model and tile shape."""
    key = (spec, tile_shape)
    if key not in _BATCH_SIZES:
        model, _ = load_worker_model(spec)
        _BATCH_SIZES[key] = model.choose_batch_size(tile_shape, default=CPU_BATCH_SIZE)
    return _BATCH_SIZES[key]


def predict_block_task(
    raw: np.ndarray,
    spec: WorkerModelSpec,
    tiles: list[TileWindow],
    window: Window,
    normalise: NormaliseFn,
    batch_size: int | None,
) -> WorkerBlockResult:
    """Standardise a block's raw window and predict its tiles (runs on a worker).

    ``batch_size`` None: chosen here (:func:`choose_worker_batch_size`).
    """
    model, load_s = load_worker_model(spec)
    if batch_size is None:
        tile = (int(raw.shape[0]), tiles[0].height_px, tiles[0].width_px)
        batch_size = choose_worker_batch_size(spec, tile)
    y0, y1, x0, x1 = window
    t0 = time.perf_counter()
    padded = _pad_past_scene(np.asarray(raw), y1 - y0, x1 - x0)
    nodata = ~np.all(np.isfinite(padded), axis=0)
    data = np.asarray(normalise(padded), dtype=np.float32)
    read_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    block = _Block(tiles, y0, x0, data, nodata)
    probabilities = predict_tiles(block, model.predict_batch, batch_size)
    forward_s = time.perf_counter() - t0
    described = {k: v for k, v in model.describe().items() if k != "model_load_s"}
    return WorkerBlockResult(
        probabilities,
        np.packbits(nodata),
        (int(nodata.shape[0]), int(nodata.shape[1])),
        read_s,
        forward_s,
        load_s,
        os.getpid(),
        model.engine,
        batch_size,
        described,
    )


def unpack_nodata(result: WorkerBlockResult) -> np.ndarray:
    """The bool (y, x) nodata mask of a block's result."""
    height, width = result.nodata_shape
    bits = np.unpackbits(result.nodata_bits, count=height * width)
    return bits.reshape(height, width).astype(bool)


class WorkerBlocks:
    """Blocks predicted on a dask.distributed cluster (``predict_stack(workers=...)``).

    Args:
        client: a ``distributed.Client``.
        spec: the model the workers load.
        in_flight_per_worker: blocks submitted ahead per worker (bounds the memory
            held by results not yet blended).
        worker_batch_size: let each worker choose its tiles per call (``batch_size:
            auto``: from its own GPU's free memory) instead of the tiling's.
    """

    def __init__(
        self,
        client: Any,
        spec: WorkerModelSpec,
        *,
        in_flight_per_worker: int = 2,
        worker_batch_size: bool = False,
    ):
        self.client = client
        self.spec = spec
        self.in_flight_per_worker = in_flight_per_worker
        self.worker_batch_size = worker_batch_size

    def predict_blocks(
        self,
        stack: Any,
        blocks: list[list[TileWindow]],
        windows: list[Window],
        normalise: NormaliseFn,
        tiling: Tiling,
        stats: PredictionStats,
    ) -> Generator[PredictedBlock, None, None]:
        """Submit the blocks (a bounded number ahead) and yield their results in order."""
        n_workers = max(1, len(self.client.scheduler_info(n_workers=-1).get("workers", {})))
        depth = max(2, self.in_flight_per_worker * n_workers)
        pending: deque[Any] = deque()
        pids: dict[int, int] = {}
        next_block = 0
        stats.notes["blocks"] = len(blocks)
        try:
            for n in range(len(blocks)):
                while next_block < len(blocks) and len(pending) < depth:
                    pending.append(
                        self._submit(stack, blocks, windows, next_block, normalise, tiling)
                    )
                    next_block += 1
                t0 = time.perf_counter()
                result: WorkerBlockResult = pending.popleft().result()
                stats.wait_s += time.perf_counter() - t0
                stats.read_s += result.read_s
                stats.forward_s += result.forward_s
                stats.n_batches += -(-len(blocks[n]) // (result.batch_size or tiling.batch_size))
                pids[result.pid] = pids.get(result.pid, 0) + 1
                stats.notes["worker_model_load_s"] = (
                    stats.notes.get("worker_model_load_s", 0.0) + result.load_s
                )
                stats.notes["blocks_by_worker_pid"] = dict(pids)
                stats.notes["engine_on_workers"] = result.engine
                stats.notes["model_on_workers"] = {**result.model, "batch_size": result.batch_size}
                _note_what_ran(stats.notes, result)
                y0, _, x0, _ = windows[n]
                yield PredictedBlock(blocks[n], y0, x0, result.probabilities, unpack_nodata(result))
        finally:
            for future in pending:
                future.cancel()

    def _submit(
        self,
        stack: Any,
        blocks: list[list[TileWindow]],
        windows: list[Window],
        n: int,
        normalise: NormaliseFn,
        tiling: Tiling,
    ) -> Any:
        height, width = int(stack.shape[1]), int(stack.shape[2])
        y0, y1, x0, x1 = windows[n]
        window = getattr(stack, "data", stack)[:, y0 : min(y1, height), x0 : min(x1, width)]
        if hasattr(window, "dask"):
            raw = self.client.compute(window)
        else:
            raw = self.client.scatter(np.asarray(window))
        return self.client.submit(
            predict_block_task,
            raw,
            self.spec,
            blocks[n],
            windows[n],
            normalise,
            None if self.worker_batch_size else tiling.batch_size,
            pure=False,
        )


def _note_what_ran(notes: dict[str, Any], result: WorkerBlockResult) -> None:
    """Count the blocks each (engine, device, precision) predicted; warn once when the
    workers ran the model differently (e.g. ``auto`` chose bf16 on workers whose CPU
    has bf16 units and fp32 on the others): the map then blends both."""
    key = " ".join(
        str(part)
        for part in (
            result.engine,
            result.model.get("device", "?"),
            result.model.get("precision", "?"),
        )
    )
    counts = notes.setdefault("blocks_by_engine_device_precision", {})
    counts[key] = counts.get(key, 0) + 1
    if len(counts) == 2 and counts[key] == 1:
        logger.warning(
            "the workers ran the model in different ways (%s): give --precision and "
            "--engine explicitly for one way on every worker",
            ", ".join(sorted(counts)),
        )
