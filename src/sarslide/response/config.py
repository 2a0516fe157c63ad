"""``RespondConfig``: everything ``sarslide respond`` needs, validated in one place.

A ``ConfigModel``: read from YAML (``--config respond.yaml``), any key overridden with
``--set key=value``, written back resolved into ``<out>/respond.yaml``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Final, Literal

from pydantic import Field, field_validator, model_validator

from sarslide.conventions import UtcTimestamp
from sarslide.inference.config import PredictOptions
from sarslide.sources.config import BuildConfig, CubeSourceOptions

if TYPE_CHECKING:
    import pandas as pd

# the fields handed to the cube build unchanged (the build's source options)
BUILD_FIELDS = ("aoi", "event_name", *CubeSourceOptions.source_fields)
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


logger = logging.getLogger(__name__)

# how a model runs: meaningless with model none (auto is their default)
MODEL_SETTINGS: Final = ("device", "precision", "engine")


class RespondConfig(CubeSourceOptions, PredictOptions):
    """A new event to map: where, when, with which model, from which sources.

    The sources and grid are ``CubeSourceOptions``, as in the build config; the map's
    settings (tiling, batch size, device, precision, threshold, polygons, figures) are
    ``PredictOptions``, as in the prediction config.
    """

    config_label: ClassVar[str] = "respond config"
    aoi: str = Field(..., description="'min_lon,min_lat,max_lon,max_lat' or a vector file")
    event_start: UtcTimestamp = Field(
        ..., description="start of the triggering event (ISO 8601; UTC unless it says)"
    )
    event_end: UtcTimestamp | None = Field(
        None, description="end of the event (ISO 8601); default: event_start"
    )
    output_dir: str | None = Field(
        None, description="folder of this event (a rerun resumes in it); the CLI's -o"
    )
    model: Path | None = Field(
        ...,
        description="checkpoint written by 'sarslide train', a 'sarslide export' model.onnx, "
        "or none: the log-ratio change map (no model; sarslide baseline log-ratio)",
    )
    event_name: str | None = Field(None, description="written to the cube and the report")
    search_days: int | None = Field(
        None,
        ge=1,
        description="days searched on each side of the event; default 24 x k + 12",
    )
    orbit_state: Literal["ascending", "descending"] | None = Field(
        None, description="keep only this orbit direction (default: the model's, if it set one)"
    )
    labels: Path | None = Field(None, description="landslide polygons, to score the map")

    @field_validator("model", mode="before")
    @classmethod
    def _none_is_the_baseline(cls, value: Any) -> Any:
        """``--model none``: no trained model, the log-ratio baseline maps the event."""
        return None if isinstance(value, str) and value.strip().lower() == "none" else value

    @field_validator("rtc", mode="after")
    @classmethod
    def _some_backscatter(cls, value: list[str] | None) -> list[str] | None:
        if value == []:
            raise ValueError(
                "respond maps from backscatter: give RTC products or leave rtc unset to "
                "search the STAC API ('rtc: none' is for 'cube build' only)"
            )
        return value

    @model_validator(mode="after")
    def _check_event(self) -> RespondConfig:
        if self.event_end is not None and self.event_end < self.event_start:
            raise ValueError(
                f"event_end ({self.event_end}) is before event_start ({self.event_start})"
            )
        if self.model is None:  # the log-ratio map runs no model: say its settings are unused
            chosen = [f"{name} {getattr(self, name)}" for name in MODEL_SETTINGS]
            chosen = [text for text in chosen if not text.endswith(" auto")]
            if chosen:
                logger.warning(
                    "model none maps the log-ratio change without a model: %s not used",
                    ", ".join(chosen),
                )
        return self

    @property
    def event_window(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """(start, end), UTC, naive; an instantaneous event when no end was given."""
        import pandas as pd  # imported when used: building the flags stays light

        return pd.Timestamp(self.event_start), pd.Timestamp(self.event_end or self.event_start)

    def to_build_config(
        self,
        *,
        start: pd.Timestamp,
        end: pd.Timestamp,
        orbit_state: str | None,
        with_dem: bool = True,
    ) -> BuildConfig:
        """The cube build of this request for the acquisitions in [start, end].

        ``with_dem=False`` builds without DEM layers when no ``--dem`` was given (a model
        without DEM channels needs none: nothing is fetched).
        """
        fields = {name: getattr(self, name) for name in BUILD_FIELDS}
        if not with_dem and self.dem is None:
            fields["dem"] = []
        # not validated again: the shared fields were validated as this config's (the
        # same CubeSourceOptions), the dates come from a checked plan
        return BuildConfig.model_construct(
            **fields,
            start=start.isoformat(),
            end=end.isoformat(),
            event_start=self.event_start,
            event_end=self.event_end or self.event_start,
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
