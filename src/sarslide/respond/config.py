"""``RespondConfig``: everything ``sarslide respond`` needs, validated in one place.

A ``ConfigModel``: read from YAML (``--config respond.yaml``), any key overridden with
``--set key=value``, written back resolved into ``<out>/respond.yaml``.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path
from typing import Any, ClassVar, Literal

import pandas as pd
from pydantic import Field, field_validator, model_validator

from sarslide.config import ConfigModel
from sarslide.inference.config import DEFAULT_MIN_AREA_M2
from sarslide.sources.build import BuildConfig
from sarslide.sources.stac_search import DEM_COLLECTION, PLANETARY_COMPUTER_STAC, RTC_COLLECTION

# the fields handed to the cube build unchanged (the build's source options)
BUILD_FIELDS = (
    "aoi",
    "event_name",
    "labels",
    "crs",
    "resolution_m",
    "chunk_px",
    "stac_url",
    "collection",
    "dem_collection",
    "dem_asset",
    "signer",
    "relative_orbit",
    "insar",
    "rtc",
    "dem",
    "terrain_method",
    "scheduler",
)
# what a finished cube or map depends on: a rerun with other values is another request
CUBE_REQUEST_FIELDS = (
    "aoi",
    "event_start",
    "event_end",
    "crs",
    "resolution_m",
    "stac_url",
    "collection",
    "dem_collection",
    "dem_asset",
    "orbit_state",
    "relative_orbit",
    "labels",
    "insar",
    "rtc",
    "dem",
    "terrain_method",
)
MAP_REQUEST_FIELDS = (
    "threshold",
    "tile_size_px",
    "overlap_px",
    "margin_px",
    "min_area_m2",
    "figures",
)


class RespondConfig(ConfigModel):
    """A new event to map: where, when, with which model, from which sources."""

    config_label: ClassVar[str] = "respond config"
    aoi: str = Field(..., description="'min_lon,min_lat,max_lon,max_lat' or a vector file")
    event_start: str = Field(..., description="start of the triggering event (ISO 8601, UTC)")
    event_end: str | None = Field(
        None, description="end of the event (ISO 8601); default: event_start"
    )
    model: Path = Field(..., description="checkpoint written by 'sarslide train'")
    event_name: str | None = Field(None, description="written to the cube and the report")
    search_days: int | None = Field(
        None,
        ge=1,
        description="days searched on each side of the event; default 24 x k + 12",
    )
    orbit_state: Literal["ascending", "descending"] | None = Field(
        None, description="keep only this orbit direction (default: the model's, if it set one)"
    )
    relative_orbit: int | None = Field(None, description="keep only this relative orbit")
    # the build's source options (see sarslide.sources.build.BuildConfig)
    labels: Path | None = Field(None, description="landslide polygons, to score the map")
    crs: str | None = Field(None, description="cube CRS; default: UTM zone of the AOI")
    resolution_m: float = Field(10.0, gt=0, description="pixel size in metres")
    chunk_px: int = Field(1024, ge=16, description="spatial chunk size (memory per task)")
    stac_url: str = Field(PLANETARY_COMPUTER_STAC, description="STAC API root")
    collection: str = Field(RTC_COLLECTION, description="Sentinel-1 RTC collection")
    dem_collection: str = Field(DEM_COLLECTION, description="DEM collection")
    dem_asset: str = Field("data", description="DEM asset key")
    signer: Literal["planetary-computer", "none"] = Field(
        "planetary-computer", description="how asset URLs are signed"
    )
    rtc: list[str] | None = Field(
        None,
        description="local RTC products (files, folders, globs: OPERA RTC-S1 or HyP3 RTC) "
        "instead of the STAC search",
    )
    dem: list[str] | None = Field(None, description="local DEM file(s) instead of a STAC search")
    insar: str | list[str] = Field(
        "none", description="'none', 'hyp3', or folders/files/globs of InSAR products"
    )
    terrain_method: Literal["horn", "zevenbergen_thorne"] = "horn"
    scheduler: str | None = Field(None, description="dask.distributed scheduler address")
    # prediction (see sarslide predict)
    threshold: float | None = Field(
        None, ge=0, le=1, description="probability threshold; default: the checkpoint's"
    )
    tile_size_px: int = Field(512, ge=32, description="model input tile size")
    overlap_px: int = Field(64, ge=0, description="blended overlap between tiles")
    margin_px: int = Field(0, ge=0, description="context dropped at interior tile edges")
    batch_size: int = Field(2, ge=1, description="tiles per model call")
    min_area_m2: float = Field(
        DEFAULT_MIN_AREA_M2, ge=0, description="drop smaller polygons (m2; see sarslide predict)"
    )
    figures: bool = Field(True, description="draw the quicklook and error-map PNGs")

    @field_validator("event_start", "event_end", mode="before")
    @classmethod
    def _date_to_text(cls, value: Any) -> Any:
        """YAML turns 2018-09-05 into a date: keep dates as ISO text."""
        return value.isoformat() if isinstance(value, (datetime.date, datetime.datetime)) else value

    @field_validator("rtc", "dem", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        """A single path or pattern is a list of one (as in the build config)."""
        if isinstance(value, (str, os.PathLike)):
            return [os.fspath(value)]
        if isinstance(value, (list, tuple)):
            return [os.fspath(v) for v in value]
        return value

    @property
    def source_label(self) -> str:
        """Where the backscatter comes from, for messages and the report."""
        if self.rtc is not None:
            return "local products --rtc " + " ".join(self.rtc)
        return f"{self.collection!r} at {self.stac_url}"

    @model_validator(mode="after")
    def _check_event(self) -> RespondConfig:
        try:
            start = to_utc_naive(self.event_start)
            end = to_utc_naive(self.event_end or self.event_start)
        except (ValueError, TypeError) as err:
            raise ValueError(f"event dates must be ISO 8601 ({err})") from err
        if end < start:
            raise ValueError(f"event_end ({self.event_end}) is before event_start ({start})")
        return self

    @property
    def event_window(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """(start, end), UTC, naive; an instantaneous event when no end was given."""
        return to_utc_naive(self.event_start), to_utc_naive(self.event_end or self.event_start)

    def to_build_config(
        self, *, start: pd.Timestamp, end: pd.Timestamp, orbit_state: str | None
    ) -> BuildConfig:
        """The cube build of this request for the acquisitions in [start, end]."""
        event_start, event_end = self.event_window
        return BuildConfig.from_options(
            **{name: getattr(self, name) for name in BUILD_FIELDS},
            start=start.isoformat(),
            end=end.isoformat(),
            event_start=event_start.isoformat(),
            event_end=event_end.isoformat(),
            orbit_state=orbit_state,
        )

    def request(self, names: tuple[str, ...]) -> dict[str, Any]:
        """The values of ``names`` as JSON types (to compare with an earlier run's)."""
        values = self.model_dump(mode="json", include=set(names))
        start, end = self.event_window
        if "event_start" in names:
            values["event_start"] = start.isoformat()
        if "event_end" in names:
            values["event_end"] = end.isoformat()
        return values

    @classmethod
    def from_options(cls, **options: Any) -> RespondConfig:
        """Validate keyword options (``None`` values are left to the defaults).

        Raises:
            ConfigError: every bad key or value, one line each.
        """
        return cls.from_mapping({}, **options)


def to_utc_naive(value: Any) -> pd.Timestamp:
    """A timestamp in UTC without a timezone (naive input is taken as UTC)."""
    stamp = pd.Timestamp(value)
    return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo is not None else stamp
