"""``prepare_prediction``: what every prediction needs before its first tile.

Device, precision and engine resolved (a bad one fails before anything is read), the
cube opened and checked, the model loaded, the composite stack built with the model's
channels, the tiling resolved for this model and device. ``predict_to_directory``
(files) and ``predict`` (an in-memory ``xr.DataArray``) both start here.

With the model on dask workers (``on_workers``: ``predict --scheduler``) this process
reads only the model's card (:class:`ModelOnWorkers`: channels, normalisation,
composite settings, threshold, training pixel size, input size multiple); the workers
load the model itself, resolve device, precision and engine there, and choose the batch
size from their own memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import torch
import xarray as xr

from sarslide import conventions as cv
from sarslide.chips import DataConfig, build_composite_stack
from sarslide.datacube import open_cube, validate_cube
from sarslide.datacube.content import check_backscatter_values
from sarslide.datacube.resolution import METADATA_KEY as RESOLUTION_KEY
from sarslide.datacube.resolution import check_model_resolution
from sarslide.devices import resolve_device, resolve_precision
from sarslide.errors import DataSelectionError
from sarslide.inference.config import PredictConfig
from sarslide.inference.map_rasters import resolve_tiling
from sarslide.inference.tiling import Tiling
from sarslide.models.checkpoints import ModelBundle
from sarslide.models.engines import (
    InferenceModel,
    is_onnx_file,
    load_inference_model,
    resolve_engine,
)
from sarslide.models.model_info import ModelInfo, read_model_info


@dataclass(frozen=True)
class ModelOnWorkers:
    """A model that runs on dask workers: here only its card (no weights, no engine)."""

    info: ModelInfo
    engine: str

    @property
    def bundle(self) -> ModelBundle:
        return self.info.bundle

    @property
    def size_multiple_px(self) -> int:
        return self.info.size_multiple_px

    def describe(self) -> dict[str, Any]:
        """The engine setting; ``predict_to_directory`` replaces it with what the
        workers ran (engine, version, device, precision)."""
        return {"engine": self.engine, "model_loaded_on": "workers"}

    def predict_batch(self, inputs: np.ndarray) -> np.ndarray:
        raise RuntimeError("This model runs on the dask workers (WorkerBlocks), not here.")


@dataclass(frozen=True)
class PreparedPrediction:
    """A cube and a model ready to predict: the stack, its channels, the tiling."""

    cube: xr.Dataset
    cube_name: str | None  # None: an opened cube was given
    model: InferenceModel | ModelOnWorkers
    stack: xr.DataArray
    channels: list[str]
    tiling: Tiling

    @property
    def threshold(self) -> float:
        """The checkpoint's threshold (chosen on validation)."""
        return float(self.model.bundle.threshold)


def check_run_settings(cfg: PredictConfig) -> None:
    """Refuse a device, precision or engine this machine or model cannot run, at once.

    With a scheduler the device is the workers' business: only what no device can run
    (an unknown engine, torch for an ``.onnx`` file, ONNX Runtime in bf16/fp16) is refused.
    """
    if cfg.scheduler_address:
        onnx_file = is_onnx_file(cfg.checkpoint)
        resolve_engine(
            cfg.engine, torch.device("cpu"), onnx_file=onnx_file, precision=cfg.precision
        )
        return
    device = resolve_device(cfg.device)
    resolve_precision(cfg.precision, device, inference=True)
    resolve_engine(
        cfg.engine, device, onnx_file=is_onnx_file(cfg.checkpoint), precision=cfg.precision
    )


def prepare_prediction(
    cfg: PredictConfig, *, cube: xr.Dataset | None = None, on_workers: bool = False
) -> PreparedPrediction:
    """Open the cube (or check ``cube``), load the model, build its input stack.

    ``on_workers``: read only the model's card (:class:`ModelOnWorkers`); the tiling's
    ``batch_size: auto`` is then left to the workers.

    Raises:
        CubeValidationError: the cube breaks the contract, or its CRS is geographic.
        DataSelectionError: the cube lacks a channel the model was trained on.
        CheckpointError: the model file is missing, corrupt or not from sarslide.
    """
    cube_name = None if cube is not None else cfg.cube
    if cube is not None:
        ds = validate_cube(cube, task="mapping")
        check_backscatter_values(ds)
    else:
        ds = open_cube(cfg.cube, task="mapping")
    loaded: InferenceModel | ModelOnWorkers
    if on_workers:
        loaded = ModelOnWorkers(read_model_info(cfg.checkpoint), cfg.engine)
    else:
        device = resolve_device(cfg.device, log=False)
        loaded = load_inference_model(
            cfg.checkpoint, engine=cfg.engine, device=device, precision=cfg.precision
        )
    check_model_resolution(
        loaded.bundle.extra.get(RESOLUTION_KEY),
        ds,
        allow_mismatch=cfg.allow_resolution_mismatch,
        fix="Build the cube at the model's pixel size (cube build --resolution-m)",
    )
    data_config, _ = loaded.bundle.chip_inputs()
    data_cfg = _prediction_data_config(data_config, ds, cube_name, cfg.event_start, cfg.event_end)
    stack = build_composite_stack(ds, data_cfg)
    channels = [str(c) for c in stack[cv.DIM_CHANNEL].values]
    if channels != list(loaded.bundle.channel_names):
        raise DataSelectionError(
            f"The cube gives channels {channels}; the model was trained on "
            f"{loaded.bundle.channel_names}. Use a cube with those channels."
        )
    if isinstance(loaded, ModelOnWorkers):
        tiling = cfg.to_tiling(size_multiple_px=loaded.size_multiple_px).check()
    else:
        tiling = resolve_tiling(
            cfg, loaded, n_channels=len(channels), size_multiple_px=loaded.size_multiple_px
        )
    return PreparedPrediction(ds, cube_name, loaded, stack, channels, tiling)


def _prediction_data_config(
    cfg: DataConfig,
    cube: xr.Dataset,
    cube_name: str | None,
    event_start: datetime | None,
    event_end: datetime | None,
) -> DataConfig:
    """The checkpoint's data config, with this cube and this event window."""
    update: dict[str, Any] = {"cube": cube_name or cfg.cube}
    if event_start is not None or event_end is not None:
        update.update(event_start=event_start, event_end=event_end)
    elif cv.ATTR_EVENT_START in cube.attrs:
        update.update(event_start=None, event_end=None)  # resolved from this cube's attributes
    return type(cfg).model_validate({**cfg.model_dump(), **update})
