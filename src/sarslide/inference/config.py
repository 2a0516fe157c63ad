"""``PredictConfig``: everything ``sarslide predict`` needs, saved beside the map.

Read from YAML, ``--set`` overrides and the command's flags (``sarslide.config``); the
resolved configuration is written to ``config.yaml`` in the output folder, so
``sarslide predict --config MAP/config.yaml`` maps the same scene again.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import ClassVar

from pydantic import Field, model_validator

from sarslide.config import ConfigModel, device_field, precision_field

CONFIG_FILENAME = "config.yaml"
"""The resolved configuration, written beside every prediction's outputs."""


DEFAULT_MIN_AREA_M2 = 400.0
"""Default minimum polygon area (m2): four 10 m pixels (one 20 m pixel). Regions of one
to three 10 m pixels are mostly speckle, not a mappable landslide."""


class PredictConfig(ConfigModel):
    """A whole-scene prediction: which model, which cube, where, and how to tile."""

    config_label: ClassVar[str] = "prediction config"

    checkpoint: str = Field(description="Checkpoint written by 'sarslide train' (best.ckpt).")
    cube: str = Field(description="Datacube to map: Zarr path or fsspec URL.")
    output_dir: str = Field(description="Output folder to create.")
    event_start: datetime | None = Field(
        default=None, description="Event window start (UTC); null: the cube's attribute."
    )
    event_end: datetime | None = Field(
        default=None, description="Event window end (UTC); null: the cube's attribute."
    )
    threshold: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Probability threshold of the binary map; null: the checkpoint's "
        "(chosen on validation).",
    )
    tile_size_px: int = Field(default=512, ge=1, description="Model input tile size (px).")
    overlap_px: int = Field(default=64, ge=0, description="Blended overlap between tiles (px).")
    margin_px: int = Field(
        default=0, ge=0, description="Context dropped at interior tile edges (px)."
    )
    batch_size: int | None = Field(
        default=None,
        ge=1,
        description="Tiles per model call; null: from free GPU memory, 2 on CPU.",
    )
    device: str = device_field()
    precision: str = precision_field()
    min_area_m2: float = Field(
        default=DEFAULT_MIN_AREA_M2,
        ge=0,
        description="Drop landslide polygons smaller than this (m2); 0 keeps every region "
        "(then the polygons rasterise back to the binary map exactly).",
    )
    scheduler_address: str | None = Field(
        default=None, description="dask.distributed scheduler (tcp://host:8786); null: local."
    )
    figures: bool = Field(
        default=True, description="Draw the quicklook and error-map PNGs (in the report too)."
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
        """The output folder as a path (``~`` expanded)."""
        return Path(self.output_dir).expanduser()
