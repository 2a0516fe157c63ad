"""Build a datacube for a new event from live sources (Appendix A of Boehm et al. 2022).

The cube is initialised from the Sentinel-1 RTC stack (its grid is the template),
then the DEM and terrain, the labels and the InSAR pairs are added on that grid.
Everything stays lazy (dask) until ``write_cube`` streams it chunk by chunk into an
atomic Zarr store; a JSON build log of the items used and skipped lands beside it.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import logging
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import xarray as xr
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from sarslide import conventions as cv
from sarslide.errors import ConfigError, DownloadError
from sarslide.sources.signing import UrlSigner, make_signer
from sarslide.sources.stac_search import DEM_COLLECTION, PLANETARY_COMPUTER_STAC, RTC_COLLECTION

logger = logging.getLogger(__name__)


class Hyp3Options(BaseModel):
    """How to order InSAR pairs from ASF HyP3 (``insar: hyp3``)."""

    model_config = ConfigDict(extra="forbid")
    looks: Literal["20x4", "10x2"] = Field("20x4", description="multilook (range x azimuth)")
    max_attempts: int = Field(
        3, ge=1, description="submissions/downloads per pair before skipping it"
    )
    wait_timeout_s: int = Field(10_800, ge=60, description="how long to wait for the jobs")
    job_name: str = Field("sarslide", description="HyP3 job name")
    download_dir: Path | None = Field(
        None, description="where products go (default: beside the cube)"
    )


class BuildConfig(BaseModel):
    """Everything ``build_cube`` needs; loadable from YAML (``--config build.yaml``)."""

    model_config = ConfigDict(extra="forbid")
    aoi: str = Field(..., description="'min_lon,min_lat,max_lon,max_lat' or a vector file")
    start: str = Field(..., description="first acquisition date (ISO 8601)")
    end: str = Field(..., description="last acquisition date (ISO 8601, inclusive)")
    event_start: str = Field(..., description="start of the triggering event (ISO 8601)")
    event_end: str = Field(..., description="end of the triggering event (ISO 8601)")
    event_name: str | None = Field(None, description="written to the cube's attributes")
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
    orbit_state: Literal["ascending", "descending"] | None = Field(
        None, description="keep only this orbit direction"
    )
    relative_orbit: int | None = Field(None, description="keep only this relative orbit")
    insar: str = Field("none", description="'none', 'hyp3', or a folder of HyP3/ISCE2 products")
    hyp3: Hyp3Options = Field(default_factory=Hyp3Options)  # type: ignore[arg-type]
    terrain_method: Literal["horn", "zevenbergen_thorne"] = "horn"
    scheduler: str | None = Field(None, description="dask.distributed scheduler address")

    @field_validator("start", "end", "event_start", "event_end", mode="before")
    @classmethod
    def _date_to_text(cls, value: Any) -> Any:
        """YAML turns 2018-09-05 into a date: keep dates as ISO text."""
        return value.isoformat() if isinstance(value, (datetime.date, datetime.datetime)) else value

    @model_validator(mode="after")
    def _check_dates(self) -> BuildConfig:
        stamps = {}
        for key in ("start", "end", "event_start", "event_end"):
            try:
                stamps[key] = pd.Timestamp(getattr(self, key))
            except (ValueError, TypeError) as err:
                raise ValueError(f"{key}={getattr(self, key)!r} is not an ISO 8601 date") from err
        if stamps["end"] <= stamps["start"]:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        if stamps["event_end"] < stamps["event_start"]:
            raise ValueError(
                f"event_end ({self.event_end}) is before event_start ({self.event_start})"
            )
        return self

    @classmethod
    def from_yaml(cls, path: str | os.PathLike[str], **overrides: Any) -> BuildConfig:
        """Load a YAML file; non-None ``overrides`` (from the CLI) win."""
        source = Path(path)
        try:
            data = yaml.safe_load(source.read_text()) or {}
        except (OSError, yaml.YAMLError) as err:
            raise ConfigError(f"Cannot read build config {str(source)!r}: {err}") from err
        if not isinstance(data, dict):
            raise ConfigError(f"Build config {str(source)!r} must be a mapping of options.")
        return cls.from_options(**{**data, **{k: v for k, v in overrides.items() if v is not None}})

    @classmethod
    def from_options(cls, **options: Any) -> BuildConfig:
        """Validate options, turning pydantic errors into one ConfigError."""
        try:
            return cls(**options)
        except ValidationError as err:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'config'}: {e['msg']}" for e in err.errors()
            )
            raise ConfigError(f"Invalid build configuration: {problems}") from err


@dataclass
class BuildResult:
    """What ``build_cube`` wrote and what it left out."""

    store: Path
    log_path: Path
    timesteps: int
    pairs: int
    skipped_items: dict[str, str] = field(default_factory=dict)
    skipped_pairs: list[dict[str, str]] = field(default_factory=list)


def build_cube(
    cfg: BuildConfig,
    output: str | os.PathLike[str],
    *,
    overwrite: bool = False,
    progress: bool = True,
    signer: UrlSigner | None = None,
    hyp3_client: Any = None,
) -> BuildResult:
    """Search, load, align and write a datacube; return where it went and what was skipped.

    Args:
        cfg: the build configuration.
        output: the Zarr store to write (``*.zarr``).
        overwrite: replace an existing store.
        progress: show progress bars.
        signer: overrides ``cfg.signer`` (tests inject an expiring-token signer).
        hyp3_client: a ``hyp3_sdk.HyP3``-like object for ``insar: hyp3`` (default: a
            real client from your Earthdata credentials).
    """
    from sarslide.datacube import write_cube
    from sarslide.errors import OutputExistsError
    from sarslide.parallel import use_scheduler
    from sarslide.sources.aoi import make_geobox, parse_aoi

    target = Path(output).expanduser()
    if target.exists() and not overwrite:  # fail before any download
        raise OutputExistsError(f"{str(target)!r} exists; pass --overwrite to replace it.")
    began = time.perf_counter()
    aoi = parse_aoi(cfg.aoi, crs=cfg.crs)
    geobox = make_geobox(aoi, resolution_m=cfg.resolution_m)
    url_signer = signer or make_signer(cfg.signer)
    logger.info(
        "grid: %s x %s px at %g m in %s",
        geobox.shape.y,
        geobox.shape.x,
        cfg.resolution_m,
        aoi.crs.to_string(),
    )
    log: dict[str, Any] = {
        "config": json.loads(cfg.model_dump_json()),
        "output": str(target),
        "grid": {
            "crs": aoi.crs.to_string(),
            "shape_px": list(geobox.shape),
            "transform": list(geobox.transform)[:6],
        },
    }
    ds, skipped_items = _assemble(cfg, aoi, geobox, url_signer, log, hyp3_client, target)
    with use_scheduler(cfg.scheduler), _source_read_errors(cfg.stac_url):
        write_cube(
            ds,
            target,
            chunks={cv.DIM_Y: cfg.chunk_px, cv.DIM_X: cfg.chunk_px},
            overwrite=overwrite,
            progress=progress,
        )
    log["elapsed_s"] = round(time.perf_counter() - began, 2)
    log_path = write_build_log(log, target)
    return BuildResult(
        store=target,
        log_path=log_path,
        timesteps=int(ds.sizes[cv.DIM_TIMESTEP]),
        pairs=int(ds.sizes.get(cv.DIM_TIMEPAIR, 0)),
        skipped_items=skipped_items,
        skipped_pairs=log.get("insar", {}).get("skipped", []),
    )


def _assemble(
    cfg: BuildConfig,
    aoi: Any,
    geobox: Any,
    signer: UrlSigner,
    log: dict[str, Any],
    hyp3_client: Any,
    target: Path,
) -> tuple[xr.Dataset, dict[str, str]]:
    from sarslide.sources.dem import load_dem
    from sarslide.sources.labels import rasterize_labels
    from sarslide.sources.rtc import describe_groups, group_acquisitions, load_rtc
    from sarslide.sources.stac_search import open_catalog, search_items

    catalog = open_catalog(cfg.stac_url, signer=signer)
    items = search_items(
        catalog,
        collection=cfg.collection,
        bbox_lonlat=aoi.bbox_lonlat,
        start=cfg.start,
        end=cfg.end,
    )
    items, skipped = _filter_orbits(items, cfg)
    groups = group_acquisitions(items)
    skipped.update(groups.skipped)
    log["rtc"] = {"timesteps": describe_groups(groups), "skipped": skipped}
    ds = load_rtc(groups, geobox, signer=signer, chunk_px=cfg.chunk_px)
    dem_items = search_items(catalog, collection=cfg.dem_collection, bbox_lonlat=aoi.bbox_lonlat)
    log["dem"] = {"items": [i.id for i in dem_items]}
    layers = [
        load_dem(
            dem_items,
            geobox,
            asset=cfg.dem_asset,
            signer=signer,
            chunk_px=cfg.chunk_px,
            terrain_method=cfg.terrain_method,
        )
    ]
    if cfg.labels is not None:
        layers.append(rasterize_labels(cfg.labels, geobox, chunk_px=cfg.chunk_px).to_dataset())
        log["labels"] = {"file": str(cfg.labels)}
    insar = _load_insar(cfg, ds, geobox, log, hyp3_client, target, aoi)
    if insar is not None:
        layers.append(insar)
    for layer in layers:
        ds = ds.merge(
            layer.assign_coords({cv.DIM_Y: ds[cv.DIM_Y], cv.DIM_X: ds[cv.DIM_X]}),
            compat="override",
            join="exact",
        )
    ds.attrs.update(
        {
            cv.ATTR_EVENT_START: pd.Timestamp(cfg.event_start).isoformat(),
            cv.ATTR_EVENT_END: pd.Timestamp(cfg.event_end).isoformat(),
            cv.ATTR_SOURCE: f"sarslide cube build: {cfg.collection} and {cfg.dem_collection} "
            f"from {cfg.stac_url}",
        }
    )
    if cfg.event_name:
        ds.attrs[cv.ATTR_EVENT_NAME] = cfg.event_name
    return ds, skipped


def _load_insar(
    cfg: BuildConfig,
    rtc: xr.Dataset,
    geobox: Any,
    log: dict[str, Any],
    hyp3_client: Any,
    target: Path,
    aoi: Any,
) -> xr.Dataset | None:
    from sarslide.sources.insar_pairs import (
        describe_products,
        find_insar_products,
        load_insar_pairs,
    )

    if cfg.insar == "none":
        return None
    if cfg.insar == "hyp3":
        from sarslide.sources.hyp3_jobs import order_consecutive_pairs

        folder = cfg.hyp3.download_dir or target.parent / f"{target.stem}_hyp3"
        order_consecutive_pairs(rtc, aoi, folder, options=cfg.hyp3, client=hyp3_client, log=log)
    else:
        folder = Path(cfg.insar)
    products, skipped = find_insar_products(folder)
    window = (pd.Timestamp(cfg.start), pd.Timestamp(cfg.end) + pd.Timedelta(days=1))
    products = [p for p in products if window[0] <= p.start and p.end <= window[1]]
    insar, unreadable = load_insar_pairs(products, geobox, chunk_px=cfg.chunk_px)
    skipped_all = [
        *log.get("insar", {}).get("skipped", []),
        *(s.to_dict() for s in skipped + unreadable),
    ]
    used = [p for p in products if p.name not in {s.name for s in unreadable}]
    log["insar"] = {"source": cfg.insar, "pairs": describe_products(used), "skipped": skipped_all}
    if insar is None:
        logger.warning(
            "no usable InSAR pair in %s: the cube has no coherence/interferogram", folder
        )
    return insar


@contextlib.contextmanager
def _source_read_errors(stac_url: str) -> Iterator[None]:
    """Turn a failed asset read during the write into a DownloadError (no store is left)."""
    from rasterio.errors import RasterioIOError

    try:
        yield
    except RasterioIOError as err:
        raise DownloadError(
            f"Reading a source raster failed while writing the cube ({err}); no store was "
            f"written. HTTP 403 means an expired or refused signature (check --signer for "
            f"{stac_url}); otherwise retry, the source may be temporarily unavailable."
        ) from err


def _filter_orbits(items: list[Any], cfg: BuildConfig) -> tuple[list[Any], dict[str, str]]:
    kept, skipped = [], {}
    for item in items:
        state = str(item.properties.get(cv.COORD_ORBIT_STATE, "")).lower()
        orbit = item.properties.get(cv.COORD_RELATIVE_ORBIT)
        if cfg.orbit_state and state != cfg.orbit_state:
            skipped[item.id] = f"orbit state {state!r} is not {cfg.orbit_state!r}"
        elif cfg.relative_orbit is not None and orbit != cfg.relative_orbit:
            skipped[item.id] = f"relative orbit {orbit} is not {cfg.relative_orbit}"
        else:
            kept.append(item)
    return kept, skipped


def write_build_log(log: dict[str, Any], store: Path) -> Path:
    """Write ``<store stem>.build.json`` beside the store, atomically."""
    path = store.with_name(f"{store.stem}.build.json")
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
    tmp.write_text(json.dumps(log, indent=2, default=str))
    tmp.replace(path)
    return path
