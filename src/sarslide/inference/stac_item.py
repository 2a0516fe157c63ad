"""A STAC Item beside every map folder (``item.json``), as OPERA and dist-s1 products carry.

The Item (STAC 1.1, written with pystac) describes the map of one event: footprint and
bbox in WGS84, ``start_datetime``/``end_datetime`` = the event window, the projection
extension (EPSG code or WKT2, shape, transform, native bbox), an asset per file of the
folder (both COGs with the raster extension; polygons, quicklook, report, metrics,
configuration), the file extension (size, SHA-256 multihash) on every asset, and links
to the cube (``derived_from``) and the model's card (``describedby``) where they exist.
Hrefs are relative where the target is on the same disk, so a folder can be moved
with its cube.

``write_map_item`` is called by ``write_prediction_outputs``, so every folder of maps
(``predict``, ``respond``, baselines written through it) gets one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
import pystac
import rasterio
import shapely
from pyproj import CRS, Transformer
from pystac.extensions.file import FileExtension
from pystac.extensions.projection import ProjectionExtension
from pystac.extensions.raster import (
    DataType,
    NoDataStrings,
    RasterBand,
    RasterExtension,
    Sampling,
)
from shapely.geometry import box, mapping

from sarslide import conventions as cv
from sarslide.atomic import write_json_atomic
from sarslide.inference.geotiff import RasterGrid

logger = logging.getLogger(__name__)

ITEM_FILENAME: Final = "item.json"
ZARR_MEDIA_TYPE: Final = "application/vnd+zarr"
MODEL_CARD_FORMAT_PREFIX: Final = "sarslide-model-card/"


@dataclass(frozen=True)
class AssetKind:
    """What an output file is, for its STAC asset."""

    key: str
    media_type: str
    roles: tuple[str, ...]
    title: str


# Output file name -> asset (files of a map folder; absent ones are left out).
MAP_ASSETS: Final[dict[str, AssetKind]] = {
    "probability.tif": AssetKind(
        "probability", pystac.MediaType.COG, ("data",), "Landslide probability (0-1)"
    ),
    "landslides.tif": AssetKind(
        "landslides", pystac.MediaType.COG, ("data",), "Binary landslide map (1, 255 nodata)"
    ),
    "landslides.gpkg": AssetKind(
        "polygons", pystac.MediaType.GEOPACKAGE, ("data",), "Landslide polygons"
    ),
    "landslides.geojson": AssetKind(
        "polygons_geojson", pystac.MediaType.GEOJSON, ("data",), "Landslide polygons (WGS84)"
    ),
    "quicklook.png": AssetKind(
        "quicklook", pystac.MediaType.PNG, ("overview", "visual"), "Quicklook"
    ),
    "error_map.png": AssetKind(
        "error_map", pystac.MediaType.PNG, ("overview",), "True/false positives and negatives"
    ),
    "report.html": AssetKind("report", pystac.MediaType.HTML, ("metadata",), "Report"),
    "metrics.json": AssetKind(
        "metrics", pystac.MediaType.JSON, ("metadata",), "Metrics against the cube's labels"
    ),
    "run_config.json": AssetKind(
        "run_config", pystac.MediaType.JSON, ("metadata",), "Run configuration and timings"
    ),
    "config.yaml": AssetKind("config", "application/yaml", ("metadata",), "Resolved configuration"),
}


@dataclass(frozen=True)
class MapDescription:
    """What the Item says of a map besides its files."""

    title: str
    window: tuple[datetime, datetime]
    cube_href: str | None = None  # path or URL of the cube the map was made from
    model_path: str | None = None  # checkpoint / model file (its card is looked for beside)
    simulated: bool = False
    event_name: str | None = None
    properties: Mapping[str, Any] | None = None  # extra ``sarslide:*`` properties


def describe_map(
    cube: Any,
    run: Mapping[str, Any],
    *,
    cube_href: str | os.PathLike[str] | None = None,
    model_path: str | os.PathLike[str] | None = None,
) -> MapDescription:
    """The description of a map made from ``cube``; ``run`` is the run record written to
    ``run_config.json`` (model name, threshold, composites, simulated)."""
    event = cube.attrs.get(cv.ATTR_EVENT_NAME)
    composites = run.get("composites") or {}
    return MapDescription(
        title=f"Landslide map: {event}" if event else "Landslide map",
        window=event_window_of(cube, run),
        cube_href=os.fspath(cube_href) if cube_href else None,
        model_path=os.fspath(model_path) if model_path else None,
        simulated=bool(run.get("simulated_cube", cv.is_simulated(cube.attrs))),
        event_name=str(event) if event else None,
        properties={
            "sarslide:model": run.get("model_name"),
            "sarslide:threshold": run.get("threshold"),
            "sarslide:acquisitions_before": composites.get("timesteps_before"),
            "sarslide:acquisitions_after": composites.get("timesteps_after"),
        },
    )


def write_map_item(
    folder: Path,
    grid: RasterGrid,
    description: MapDescription,
    *,
    final_folder: Path | None = None,
) -> Path:
    """Write ``folder/item.json`` for the map files in ``folder``.

    Assets are relative (``./probability.tif``); links to the cube and the model card
    are made relative to ``final_folder`` (default ``folder``): where the folder ends up
    when it is written into a temporary folder first.
    """
    item = build_map_item(folder, grid, description, final_folder=final_folder)
    path = folder / ITEM_FILENAME
    write_json_atomic(path, item.to_dict(include_self_link=False, transform_hrefs=False))
    return path


def build_map_item(
    folder: Path,
    grid: RasterGrid,
    description: MapDescription,
    *,
    final_folder: Path | None = None,
) -> pystac.Item:
    """The STAC Item of the map files in ``folder`` (nothing is written)."""
    start, end = (cv.to_utc_aware(t) for t in description.window)
    footprint = footprint_lonlat(grid)
    item = pystac.Item(
        id=item_id(description.event_name or (final_folder or folder).name, start),
        geometry=mapping(footprint),
        bbox=[round(v, 7) for v in footprint.bounds],
        datetime=None,
        start_datetime=start,
        end_datetime=end,
        properties={
            "title": description.title,
            "created": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
            "sarslide:simulated": description.simulated,
            **{k: v for k, v in (description.properties or {}).items() if v is not None},
        },
    )
    if not description.simulated:
        item.common_metadata.constellation = "sentinel-1"
        item.common_metadata.instruments = ["c-sar"]
    _add_projection(item, grid)
    for name, kind in MAP_ASSETS.items():
        if (folder / name).is_file():
            add_file_asset(item, folder / name, kind)
    for link in _links(description, final_folder or folder):
        item.add_link(link)
    return item


def item_id(name: str, start: datetime) -> str:
    """``sarslide-<name as a slug>-<YYYYMMDD>``."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "map"
    return f"sarslide-{slug}-{start:%Y%m%d}"


def footprint_lonlat(grid: RasterGrid, points_per_side: int = 16) -> shapely.Polygon:
    """The grid's outline in WGS84 longitude/latitude, densified so that it follows the
    projection's curvature."""
    west, south, east, north = grid.bounds
    outline = box(west, south, east, north)
    side = max(east - west, north - south) / points_per_side
    dense = shapely.segmentize(outline, side)
    to_lonlat = Transformer.from_crs(CRS.from_user_input(grid.crs), "EPSG:4326", always_xy=True)
    coords = np.asarray(dense.exterior.coords)
    lon, lat = to_lonlat.transform(coords[:, 0], coords[:, 1])
    return shapely.Polygon(np.column_stack([np.round(lon, 7), np.round(lat, 7)]))


def event_window_of(
    cube: Any, record: Mapping[str, Any] | None = None
) -> tuple[datetime, datetime]:
    """The event window a map was made for: the composites' (``record["composites"]``),
    else the cube's attributes, else the span of its acquisitions."""
    composites = (record or {}).get("composites") or {}
    for source in (composites, getattr(cube, "attrs", {})):
        start, end = source.get(cv.ATTR_EVENT_START), source.get(cv.ATTR_EVENT_END)
        if start and end:
            return pd.Timestamp(start).to_pydatetime(), pd.Timestamp(end).to_pydatetime()
    times = pd.to_datetime(np.asarray(cube[cv.DIM_TIMESTEP].values))
    return times.min().to_pydatetime(), times.max().to_pydatetime()


def link_href(target: str | os.PathLike[str], final_folder: Path) -> str:
    """A URL as it is; a local path relative to ``final_folder`` (where the Item ends up)."""
    text = os.fspath(target)
    if "://" in text:
        return text
    absolute = Path(text).expanduser().absolute()
    try:
        return os.path.relpath(absolute, final_folder.expanduser().absolute())
    except ValueError:  # another drive (Windows)
        return absolute.as_posix()


def model_card_files(model_path: str | os.PathLike[str]) -> list[Path]:
    """The model card beside a model file: ``<model>.json`` (a sarslide model card) and
    ``<model>.md``, where present."""
    path = Path(model_path).expanduser()
    found = []
    card_json = path.with_suffix(".json")
    if card_json != path and card_json.is_file():
        try:
            card = json.loads(card_json.read_text())
        except (OSError, ValueError):
            card = {}
        if str(card.get("card_format", "")).startswith(MODEL_CARD_FORMAT_PREFIX):
            found.append(card_json)
    if path.with_suffix(".md") != path and path.with_suffix(".md").is_file():
        found.append(path.with_suffix(".md"))
    return found


def _links(description: MapDescription, final_folder: Path) -> list[pystac.Link]:
    links = []
    if description.cube_href and _reachable(description.cube_href):
        links.append(
            pystac.Link(
                rel="derived_from",
                target=link_href(description.cube_href, final_folder),
                media_type=ZARR_MEDIA_TYPE,
                title="datacube the map was made from",
            )
        )
    if description.model_path:
        for card in model_card_files(description.model_path):
            media = pystac.MediaType.JSON if card.suffix == ".json" else "text/markdown"
            links.append(
                pystac.Link(
                    rel="describedby",
                    target=link_href(card, final_folder),
                    media_type=media,
                    title="model card",
                )
            )
    return links


def _reachable(href: str) -> bool:
    """A URL, or a local path that exists (not the placeholder of an in-memory cube)."""
    return "://" in href or Path(href).expanduser().exists()


def _add_projection(item: pystac.Item, grid: RasterGrid) -> None:
    proj = ProjectionExtension.ext(item, add_if_missing=True)
    crs = CRS.from_user_input(grid.crs)
    authority = crs.to_authority(min_confidence=90)
    if authority:
        proj.code = f"{authority[0]}:{authority[1]}"
    else:
        proj.code = None
        proj.wkt2 = crs.to_wkt()
    proj.shape = [grid.height_px, grid.width_px]
    proj.transform = [float(v) for v in list(grid.transform)[:6]]
    proj.bbox = [float(v) for v in grid.bounds]


def add_file_asset(owner: pystac.Item | pystac.Collection, path: Path, kind: AssetKind) -> None:
    """Add ``path`` (a file beside the STAC JSON) as an asset with its size and checksum;
    GeoTIFFs with their raster bands."""
    asset = pystac.Asset(
        href=f"./{path.name}", media_type=kind.media_type, roles=list(kind.roles), title=kind.title
    )
    owner.add_asset(kind.key, asset)
    files = FileExtension.ext(asset, add_if_missing=True)
    files.size = path.stat().st_size
    files.checksum = sha256_multihash(path)
    if path.suffix == ".tif":
        RasterExtension.ext(asset, add_if_missing=True).bands = _raster_bands(path)


def _raster_bands(path: Path) -> list[RasterBand]:
    with rasterio.open(path) as src:
        bands = []
        for dtype, nodata in zip(src.dtypes, src.nodatavals, strict=True):
            value: float | NoDataStrings | None = nodata
            if nodata is not None and np.isnan(nodata):
                value = NoDataStrings.NAN
            bands.append(
                RasterBand.create(
                    data_type=DataType(dtype),
                    nodata=value,
                    spatial_resolution=float(abs(src.transform.a)),
                    sampling=Sampling.AREA,
                )
            )
    return bands


def sha256_multihash(path: Path, chunk_bytes: int = 1 << 22) -> str:
    """The file's SHA-256 as a hex multihash (``1220`` + digest), as ``file:checksum``."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(chunk_bytes):
            digest.update(block)
    return "1220" + digest.hexdigest()
