"""The sources package's configurations: ``CubeSourceOptions``, ``BuildConfig``
(``cube build``), ``Hyp3Options``, ``FetchConfig`` (``data fetch``).

``CubeSourceOptions``: where a cube's layers come from and on which grid.

The options shared by ``cube build`` (``BuildConfig``) and ``respond``
(``RespondConfig``), declared once: the STAC API and collections or local products,
the grid (CRS, pixel size, chunks), labels, InSAR, the terrain method and the dask
scheduler. Both configs inherit them, so a YAML key means the same in both files.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from sarslide.config import ConfigModel
from sarslide.conventions import SchedulerAddress, UtcTimestamp
from sarslide.sources.catalog_names import DEM_COLLECTION, PLANETARY_COMPUTER_STAC, RTC_COLLECTION


class CubeSourceOptions(ConfigModel):
    """The sources and grid of a cube (fields shared by the build and respond configs)."""

    source_fields: ClassVar[tuple[str, ...]] = (
        "labels",
        "crs",
        "resolution_m",
        "chunk_px",
        "stac_url",
        "collection",
        "dem_collection",
        "dem_asset",
        "signer",
        "rtc",
        "dem",
        "relative_orbit",
        "insar",
        "terrain_method",
        "scheduler",
    )

    labels: Path | None = Field(None, description="landslide polygons: any vector file, any CRS")
    crs: str | None = Field(None, description="cube CRS; default: UTM zone of the AOI")
    resolution_m: float = Field(10.0, gt=0, description="pixel size in metres")
    chunk_px: int = Field(1024, ge=16, description="spatial chunk size (memory per task)")
    stac_url: str = Field(PLANETARY_COMPUTER_STAC, description="STAC API root")
    collection: str = Field(RTC_COLLECTION, description="Sentinel-1 RTC collection")
    dem_collection: str = Field(DEM_COLLECTION, description="DEM collection")
    dem_asset: str = Field("data", description="DEM asset key")
    signer: Literal["planetary-computer", "none"] = Field(
        "planetary-computer", description="how asset URLs are signed (renewed before each read)"
    )
    rtc: list[str] | None = Field(
        None,
        description="local RTC products (files, folders, glob patterns: OPERA RTC-S1 or "
        "HyP3 RTC) instead of a STAC search",
    )
    dem: list[str] | None = Field(
        None,
        description="local DEM file(s) (any CRS) instead of a STAC search, or none: no DEM "
        "layers (respond's default when the model has no DEM channel)",
    )
    relative_orbit: int | None = Field(None, description="keep only this relative orbit")
    insar: str | list[str] = Field(
        "none",
        description="'none', 'hyp3', or folders/files/glob patterns of HyP3, ISCE2 or "
        "GAMMA/PyRate products",
    )
    terrain_method: Literal["horn", "zevenbergen_thorne"] = "horn"
    scheduler: SchedulerAddress | None = Field(
        None, description="dask.distributed scheduler address (tcp://host:8786)"
    )

    @field_validator("rtc", "dem", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        """A single path or pattern is a list of one; ``none`` is an empty list (no
        products of that kind: a cube without backscatter, InSAR and DEM only)."""
        values = [value] if isinstance(value, (str, os.PathLike)) else value
        if isinstance(values, (list, tuple)):
            texts = [str(os.fspath(v)) for v in values]
            return [] if [t.lower() for t in texts] == ["none"] else texts
        return values

    @field_validator("insar", mode="before")
    @classmethod
    def _insar_text(cls, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            value = [os.fspath(v) for v in value]
            return value[0] if len(value) == 1 else value
        return os.fspath(value) if isinstance(value, os.PathLike) else value

    @property
    def source_label(self) -> str:
        """Where the backscatter comes from, for messages and reports."""
        if self.rtc is not None:
            return "local products --rtc " + " ".join(self.rtc)
        return f"{self.collection!r} at {self.stac_url}"


class Hyp3Options(ConfigModel):
    """How to order InSAR pairs from ASF HyP3 (``insar: hyp3``)."""

    looks: Literal["20x4", "10x2"] = Field("20x4", description="multilook (range x azimuth)")
    max_attempts: int = Field(
        3, ge=1, description="submissions/downloads per pair before skipping it"
    )
    wait_timeout_s: int = Field(10_800, ge=60, description="how long to wait for the jobs")
    job_name: str = Field("sarslide", description="HyP3 job name")
    download_dir: Path | None = Field(
        None, description="where products go (default: beside the cube)"
    )


class BuildConfig(CubeSourceOptions):
    """Everything ``build_cube`` needs; loadable from YAML (``--config build.yaml``).

    The sources and grid (STAC or local products, CRS, pixel size, chunks, labels,
    InSAR, terrain, scheduler) are ``CubeSourceOptions``, shared with ``respond``.
    """

    config_label: ClassVar[str] = "build config"

    output: Path | None = Field(
        None,
        description="the Zarr store to write (CUBE.zarr); build_cube's output argument, "
        "when given, wins",
    )
    aoi: str | None = Field(
        None,
        description="'min_lon,min_lat,max_lon,max_lat' or a vector file; needed for STAC "
        "searches, default for local products: their footprint",
    )
    start: str | None = Field(
        None, description="first acquisition date (ISO 8601); needed for STAC searches"
    )
    end: str | None = Field(
        None, description="last acquisition date (ISO 8601, inclusive); needed for STAC searches"
    )
    event_start: UtcTimestamp = Field(
        ..., description="start of the triggering event (ISO 8601; UTC unless it says)"
    )
    event_end: UtcTimestamp = Field(
        ..., description="end of the triggering event (ISO 8601; UTC unless it says)"
    )
    event_name: str | None = Field(None, description="written to the cube's attributes")
    min_dem_coverage: float = Field(
        0.5, ge=0, le=1, description="fraction of the AOI the DEM must cover"
    )
    orbit_state: Literal["ascending", "descending"] | None = Field(
        None, description="keep only this orbit direction"
    )
    hyp3: Hyp3Options = Field(default_factory=Hyp3Options)  # type: ignore[arg-type]

    @field_validator("start", "end", mode="before")
    @classmethod
    def _date_to_text(cls, value: Any) -> Any:
        """YAML turns 2018-09-05 into a date: keep the search period's dates as ISO text
        (a bare date as ``end`` includes that whole day)."""
        return value.isoformat() if isinstance(value, (datetime.date, datetime.datetime)) else value

    @model_validator(mode="after")
    def _check_dates(self) -> BuildConfig:
        import pandas as pd  # imported when validated: building the flags stays light

        stamps: dict[str, pd.Timestamp] = {}
        for key in ("start", "end"):
            if getattr(self, key) is None:
                continue
            try:
                stamps[key] = pd.Timestamp(getattr(self, key))
            except (ValueError, TypeError) as err:
                raise ValueError(f"{key}={getattr(self, key)!r} is not an ISO 8601 date") from err
        if "start" in stamps and "end" in stamps and stamps["end"] <= stamps["start"]:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        if self.event_end < self.event_start:
            raise ValueError(
                f"event_end ({self.event_end}) is before event_start ({self.event_start})"
            )
        event_start, event_end = pd.Timestamp(self.event_start), pd.Timestamp(self.event_end)
        if "start" in stamps and event_start <= stamps["start"]:
            raise ValueError(
                f"the event (event_start {event_start}) is not after start ({self.start}): "
                "the search would find nothing before the event; start the search earlier"
            )
        if "end" in stamps:
            last = stamps["end"] + pd.Timedelta(days=1 if len(str(self.end)) <= 10 else 0)
            if event_end >= last:
                raise ValueError(
                    f"the event (event_end {event_end}) is not before end ({self.end}): the "
                    "search would find nothing after the event; end the search later"
                )
        return self

    @classmethod
    def from_options(cls, **options: Any) -> BuildConfig:
        """Validate keyword options (``None`` values are left to the defaults)."""
        return cls.from_mapping({}, **options)


ZENODO_RECORD_ID = "7248056"
DEFAULT_BASE_URL = f"https://zenodo.org/record/{ZENODO_RECORD_ID}/files"
DEFAULT_API_URL = f"https://zenodo.org/api/records/{ZENODO_RECORD_ID}"


class FetchConfig(ConfigModel):
    """Settings of ``sarslide data fetch``."""

    config_label: ClassVar[str] = "data fetch config"

    name: str = Field(description="Cube name, e.g. hokkaido_japan (see 'sarslide data list').")
    output_dir: str = Field(default="data", description="Folder for the zip and the store.")
    base_url: str = Field(default=DEFAULT_BASE_URL, description="Where <name>.zip is served.")
    api_url: str = Field(
        default=DEFAULT_API_URL, description="Zenodo record API giving each file's md5."
    )
    checksum: bool = Field(
        default=True,
        description="Ask api_url for the md5 (false: rely on size and zip CRCs, or on md5).",
    )
    md5: str | None = Field(
        default=None,
        pattern=r"^[0-9a-fA-F]{32}$",
        description="Expected md5 (32 hex digits); wins over the record's.",
    )
    keep_zip: bool = Field(default=False, description="Keep the zip after extraction.")
