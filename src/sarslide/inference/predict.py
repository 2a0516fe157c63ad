"""``predict(cfg) -> PredictResult``: the Python API's map, written to a folder or in memory.

With ``cfg.output_dir`` it is ``predict_to_directory`` (COGs, polygons, report, ...):
``PredictResult.files`` names them. Without one nothing is written:
``PredictResult.probability`` is the landslide probability as an ``xr.DataArray`` on the
cube's grid with its CRS (rioxarray's ``spatial_ref``), NaN at nodata, the threshold in
its attributes: for notebooks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import rioxarray  # noqa: F401  (registers the .rio accessor used below)
import xarray as xr

from sarslide import conventions as cv
from sarslide.inference.config import PredictConfig
from sarslide.inference.output_paths import PredictionOutputs
from sarslide.inference.outputs import predict_to_directory
from sarslide.inference.predict_scene import predict_array
from sarslide.inference.prepare import check_run_settings, prepare_prediction

PROBABILITY_NAME = "landslide_probability"


@dataclass(frozen=True)
class PredictResult:
    """What ``predict`` wrote, or made in memory: exactly one of the two is set."""

    files: PredictionOutputs | None = None  # the map's files in cfg.output_dir; None: none
    probability: xr.DataArray | None = None  # without cfg.output_dir: the map in memory


def predict(
    cfg: PredictConfig,
    *,
    cube: xr.Dataset | None = None,
    progress: bool = False,
    overwrite: bool = False,
) -> PredictResult:
    """Map landslides with a trained model: files in ``cfg.output_dir``, or in memory.

    Args:
        cfg: the model, the cube, the tiling and map settings; ``output_dir`` null
            returns the probability instead of writing files.
        cube: an opened ``xr.Dataset`` to map instead of opening ``cfg.cube``.
        progress: show progress bars.
        overwrite: replace an existing ``cfg.output_dir``.

    Returns:
        ``files``: the paths written (``PredictionOutputs``); or without ``output_dir``
        ``probability``: a (y, x) float32 ``xr.DataArray`` with the cube's coordinates
        and CRS (``files`` None).

    Raises:
        OutputExistsError: ``cfg.output_dir`` exists and ``overwrite`` is False.
        CubeValidationError: the cube breaks the contract, or its CRS is geographic.
        DataSelectionError: the cube lacks a channel the model was trained on.
        CheckpointError: the checkpoint is missing, corrupt or not from sarslide.
        DeviceError: ``device`` is not on this machine.
    """
    if cfg.output_dir is not None:
        files = predict_to_directory(cfg, cube=cube, progress=progress, overwrite=overwrite)
        return PredictResult(files=files)
    return PredictResult(probability=predict_probability(cfg, cube=cube, progress=progress))


def predict_probability(
    cfg: PredictConfig, *, cube: xr.Dataset | None = None, progress: bool = False
) -> xr.DataArray:
    """The probability map of ``cfg`` in memory (the same values as ``probability.tif``)."""
    check_run_settings(cfg)
    ready = prepare_prediction(cfg, cube=cube)
    _, normalisation = ready.model.bundle.chip_inputs()
    values = predict_array(
        ready.stack,
        ready.model.predict_batch,
        tiling=ready.tiling,
        normalise=normalisation.apply,
        progress=progress,
    )
    ds = ready.cube
    threshold = float(cfg.threshold) if cfg.threshold is not None else ready.threshold
    probability = xr.DataArray(
        values.astype(np.float32, copy=False),
        dims=cv.SPATIAL_DIMS,
        coords={cv.DIM_Y: ds[cv.DIM_Y].values, cv.DIM_X: ds[cv.DIM_X].values},
        name=PROBABILITY_NAME,
        attrs={
            "long_name": "landslide probability",
            "units": "1",
            "threshold": threshold,
            "model_name": ready.model.bundle.model_name,
            "channels": ",".join(ready.channels),
        },
    )
    return probability.rio.write_crs(ds.rio.crs).rio.write_coordinate_system()
