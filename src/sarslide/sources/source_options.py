"""``CubeSourceOptions``: where a cube's layers come from and on which grid.

The options shared by ``cube build`` (``BuildConfig``) and ``respond``
(``RespondConfig``), declared once: the STAC API and collections or local products,
the grid (CRS, pixel size, chunks), labels, InSAR, the terrain method and the dask
scheduler. Both configs inherit them, so a YAML key means the same in both files.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator

from sarslide.config import ConfigModel
from sarslide.sources.stac_search import DEM_COLLECTION, PLANETARY_COMPUTER_STAC, RTC_COLLECTION


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
    scheduler: str | None = Field(None, description="dask.distributed scheduler address")

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
