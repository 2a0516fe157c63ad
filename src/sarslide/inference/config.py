"""Prediction settings, declared once: ``TilingOptions``, ``PredictOptions``, ``PredictConfig``.

``TilingOptions`` is how a model runs over a whole scene (tile size, blended overlap,
dropped margin, tiles per call, device, precision, engine); evaluate's region pass inherits it.
``PredictOptions`` adds what a map is made of (threshold, smallest polygon, figures);
``PredictConfig`` (``sarslide predict``) and ``RespondConfig`` (``sarslide respond``)
inherit it, so a YAML key means the same in every file (as ``CubeSourceOptions`` does
for the cube's sources).

Read from YAML, ``--set`` overrides and the command's flags (``sarslide.config``); the
resolved configuration is written to ``config.yaml`` in the output folder, so
``sarslide predict --config MAP/config.yaml`` maps the same scene again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from sarslide.config import ConfigModel, device_field, engine_field, precision_field
from sarslide.conventions import SchedulerAddress, UtcTimestamp
from sarslide.errors import ConfigError
from sarslide.inference.tiling import Tiling

CONFIG_FILENAME = "config.yaml"
"""The resolved configuration, written beside every prediction's outputs."""

DEFAULT_MIN_AREA_M2 = 400.0
"""Default minimum polygon area (m2): four 10 m pixels (one 20 m pixel). Regions of one
to three 10 m pixels are mostly speckle, not a mappable landslide."""

CPU_BATCH_SIZE = 2
"""Tiles per model call where ``batch_size: auto`` cannot measure free memory (not CUDA)."""


class TilingOptions(ConfigModel):
    """How a model runs over a whole scene: tiles, overlap, batches, device, precision, engine."""

    tiling_fields: ClassVar[tuple[str, ...]] = (
        "tile_size_px",
        "overlap_px",
        "margin_px",
        "batch_size",
        "device",
        "precision",
        "engine",
    )

    tile_size_px: int = Field(
        default=1024,
        ge=1,
        description="Largest model input tile (px); tiles shrink evenly to cover the scene.",
    )
    overlap_px: int = Field(default=64, ge=0, description="Blended overlap between tiles (px).")
    margin_px: int = Field(
        default=0, ge=0, description="Context dropped at interior tile edges (px)."
    )
    batch_size: Annotated[int, Field(ge=1)] | Literal["auto"] = Field(
        default="auto",
        description="Tiles per model call; auto: from free GPU memory, 2 on CPU.",
    )
    device: str = device_field()
    precision: str = precision_field(int8=True)
    engine: str = engine_field()

    @field_validator("batch_size", mode="before")
    @classmethod
    def _null_is_auto(cls, value: Any) -> Any:
        """``batch_size: null`` (the spelling before 'auto') still means auto."""
        return "auto" if value is None else value

    def to_tiling(self, *, size_multiple_px: int = 32) -> Tiling:
        """These settings for ``predict_stack``; ``batch_size: auto`` still unmeasured
        (no model here) is ``CPU_BATCH_SIZE``."""
        batch_size = CPU_BATCH_SIZE if self.batch_size == "auto" else self.batch_size
        return Tiling(
            tile_size_px=self.tile_size_px,
            overlap_px=self.overlap_px,
            margin_px=self.margin_px,
            size_multiple_px=size_multiple_px,
            batch_size=batch_size,
        )


class PredictOptions(TilingOptions):
    """The settings of a map: tiling (``TilingOptions``), threshold, polygons, figures."""

    map_fields: ClassVar[tuple[str, ...]] = (
        *TilingOptions.tiling_fields,
        "threshold",
        "min_area_m2",
        "figures",
    )

    threshold: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Probability threshold of the binary map; null: the checkpoint's "
        "(chosen on validation).",
    )
    min_area_m2: float = Field(
        default=DEFAULT_MIN_AREA_M2,
        ge=0,
        description="Drop landslide polygons smaller than this (m2); 0 keeps every region "
        "(then the polygons rasterise back to the binary map exactly).",
    )
    figures: bool = Field(
        default=True, description="Draw the quicklook and error-map PNGs (in the report too)."
    )
    allow_resolution_mismatch: bool = Field(
        default=False,
        description="Map a cube whose pixel size differs from the model's training pixel "
        "size by more than 10 % (warn instead of refusing).",
    )


class PredictConfig(PredictOptions):
    """A whole-scene prediction: which model, which cube, where, and how to tile."""

    config_label: ClassVar[str] = "prediction config"

    checkpoint: str = Field(
        description="Checkpoint written by 'sarslide train' (best.ckpt), or a model "
        "exported by 'sarslide export' (model.onnx)."
    )
    cube: str = Field(description="Datacube to map: Zarr path or fsspec URL.")
    output_dir: str | None = Field(
        default=None,
        description="Output folder to create; null: write nothing, sarslide.predict returns "
        "the probability as an xr.DataArray (PredictResult.probability).",
    )
    event_start: UtcTimestamp | None = Field(
        default=None, description="Event window start (UTC); null: the cube's attribute."
    )
    event_end: UtcTimestamp | None = Field(
        default=None, description="Event window end (UTC); null: the cube's attribute."
    )
    scheduler_address: SchedulerAddress | None = Field(
        default=None, description="dask.distributed scheduler (tcp://host:8786); null: local."
    )

    @model_validator(mode="after")
    def _check_window(self) -> PredictConfig:
        if self.event_start and self.event_end and self.event_end < self.event_start:
            raise ValueError(
                f"event_end ({self.event_end}) is before event_start ({self.event_start}); "
                "swap them"
            )
        return self

    @property
    def output_path(self) -> Path:
        """The output folder as a path (``~`` expanded).

        Raises:
            ConfigError: no output folder is set.
        """
        if self.output_dir is None:
            raise ConfigError(
                "No output folder: give one with -o/--output (output_dir), or call "
                "sarslide.predict(cfg) without one to get the probability as an xr.DataArray."
            )
        return Path(self.output_dir).expanduser()


DEFAULT_CHANGE_DB = 3.0
DEFAULT_TIMESTEPS_K = 2


class LogRatioMapConfig(PredictOptions):
    """A log-ratio map of a cube: the prediction's options plus the change scale."""

    config_label: ClassVar[str] = "log-ratio map config"

    cube: str = Field(description="Datacube to map: Zarr path or fsspec URL.")
    output_dir: str = Field(description="Output folder to create.")
    event_start: UtcTimestamp | None = Field(
        default=None, description="Event window start (UTC); null: the cube's attribute."
    )
    event_end: UtcTimestamp | None = Field(
        default=None, description="Event window end (UTC); null: the cube's attribute."
    )
    timesteps_k: int = Field(
        default=DEFAULT_TIMESTEPS_K, ge=1, description="Acquisitions averaged on each side."
    )
    polarisations: str = Field(default="vv+vh", description="vv, vh or vv+vh (summed).")
    change_db: float = Field(
        default=DEFAULT_CHANGE_DB,
        gt=0,
        description="Combined change (dB) that scores 0.5, the default threshold.",
    )
    scheduler_address: SchedulerAddress | None = Field(
        default=None, description="dask scheduler address"
    )
