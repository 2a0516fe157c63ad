"""Predict a composite stack straight into the two map rasters of a scene.

One place opens the probability and binary GeoTIFF writers (with their band
descriptions and units) and streams ``predict_stack`` into both through a threshold
tee; ``predict_to_directory`` and the benchmarks use it, so they measure the same path.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import xarray as xr

from sarslide.inference.config import CPU_BATCH_SIZE, TilingOptions
from sarslide.inference.geotiff import GeoTiffRowWriter, RasterGrid
from sarslide.inference.predict_scene import PredictBatchFn, PredictionStats, predict_stack
from sarslide.inference.sinks import (
    BINARY_BAND,
    BINARY_NODATA,
    PROBABILITY_BAND,
    TeeSink,
    ThresholdSink,
)
from sarslide.inference.tiling import Tiling
from sarslide.models.engines import InferenceModel


def resolve_tiling(
    options: TilingOptions, model: InferenceModel, *, n_channels: int, size_multiple_px: int
) -> Tiling:
    """``options`` for this loaded model: ``batch_size: auto`` measured from free GPU
    memory for torch on CUDA (``CPU_BATCH_SIZE`` elsewhere)."""
    tiling = options.to_tiling(size_multiple_px=size_multiple_px).check()
    if options.batch_size != "auto":
        return tiling
    tile = (n_channels, tiling.tile_size_px, tiling.tile_size_px)
    return replace(tiling, batch_size=model.choose_batch_size(tile, default=CPU_BATCH_SIZE))


def predict_map_rasters(
    stack: xr.DataArray,
    predict_batch: PredictBatchFn,
    grid: RasterGrid,
    probability_tif: Path,
    binary_tif: Path,
    *,
    threshold: float,
    tags: dict[str, str] | None = None,
    **predict_options: Any,
) -> PredictionStats:
    """Write ``probability_tif`` (float) and ``binary_tif`` (uint8, > ``threshold``).

    ``predict_options`` go to :func:`predict_stack` (tiling, normalise, progress...).
    """
    with (
        GeoTiffRowWriter(probability_tif, grid, tags=tags, **PROBABILITY_BAND) as prob_writer,
        GeoTiffRowWriter(
            binary_tif,
            grid,
            dtype="uint8",
            nodata=BINARY_NODATA,
            resampling="NEAREST",
            tags=tags,
            **BINARY_BAND,
        ) as binary_writer,
    ):
        return predict_stack(
            stack,
            predict_batch,
            sink=TeeSink(prob_writer, ThresholdSink(binary_writer, threshold)),
            **predict_options,
        )
