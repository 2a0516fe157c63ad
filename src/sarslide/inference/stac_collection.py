"""A STAC Collection for outputs that hold several things: a response, a transfer study.

``write_collection`` writes ``collection.json`` (STAC 1.1) into a folder: its spatial
and temporal extent (the union of the areas and event windows given, then each),
``item`` links to the STAC Items of the folder's maps, collection-level assets for the
other files (size and SHA-256 with the file extension) and ``derived_from`` links to
the cubes. Hrefs are relative where the target is on the same disk.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

import pystac

from sarslide.atomic import write_json_atomic
from sarslide.conventions import to_utc_aware
from sarslide.inference.stac_item import (
    ZARR_MEDIA_TYPE,
    AssetKind,
    add_file_asset,
    item_id,
    link_href,
)

COLLECTION_FILENAME: Final = "collection.json"
LICENSE: Final = "other"  # derived from Copernicus Sentinel data and the inputs' own terms


@dataclass(frozen=True)
class Area:
    """One area and time of a collection: a WGS84 bbox and an event window."""

    bbox: tuple[float, float, float, float]  # west, south, east, north (degrees)
    window: tuple[datetime, datetime]


def write_collection(
    folder: Path,
    *,
    name: str,
    title: str,
    description: str,
    areas: Sequence[Area] = (),
    items: Sequence[Path] = (),
    assets: dict[str, AssetKind] | None = None,
    cubes: Sequence[str | os.PathLike[str]] = (),
) -> Path:
    """Write ``folder/collection.json``.

    Args:
        folder: where the collection (and the files of ``assets``) are.
        name: named in the id (``sarslide-<name>-<first event date>``).
        title: shown by STAC browsers.
        description: shown by STAC browsers.
        areas: areas and windows of the extent; the ``items`` add theirs.
        items: STAC Item files (linked as ``item``).
        assets: file name in ``folder`` -> asset; absent files are left out.
        cubes: cubes (paths or URLs) the outputs were made from (``derived_from``).

    Raises:
        ValueError: neither ``areas`` nor ``items`` give an extent.
    """
    collection = build_collection(
        folder,
        name=name,
        title=title,
        description=description,
        areas=areas,
        items=items,
        assets=assets,
        cubes=cubes,
    )
    path = folder / COLLECTION_FILENAME
    write_json_atomic(path, collection.to_dict(include_self_link=False, transform_hrefs=False))
    return path


def build_collection(
    folder: Path,
    *,
    name: str,
    title: str,
    description: str,
    areas: Sequence[Area] = (),
    items: Sequence[Path] = (),
    assets: dict[str, AssetKind] | None = None,
    cubes: Sequence[str | os.PathLike[str]] = (),
) -> pystac.Collection:
    """The Collection ``write_collection`` writes (nothing is written)."""
    everything = [*areas, *(area_of_item(path) for path in items)]
    if not everything:
        raise ValueError("a STAC Collection needs at least one area or item for its extent")
    start = min(area.window[0] for area in everything)
    collection = pystac.Collection(
        id=item_id(name, start),
        title=title,
        description=description,
        extent=_extent(everything),
        license=LICENSE,
    )
    for path in items:
        href = f"./{Path(os.path.relpath(path, folder)).as_posix()}"
        collection.add_link(pystac.Link("item", href, media_type=pystac.MediaType.GEOJSON))
    for cube in cubes:
        link = pystac.Link("derived_from", link_href(cube, folder), media_type=ZARR_MEDIA_TYPE)
        collection.add_link(link)
    for file_name, kind in (assets or {}).items():
        if (folder / file_name).is_file():
            add_file_asset(collection, folder / file_name, kind)
    return collection


def area_of_item(path: Path) -> Area:
    """The bbox and window of a STAC Item file."""
    item = json.loads(path.read_text())
    props = item["properties"]
    start = props.get("start_datetime") or props["datetime"]
    end = props.get("end_datetime") or props["datetime"]
    west, south, east, north = item["bbox"][:4]
    return Area((west, south, east, north), (to_utc_aware(start), to_utc_aware(end)))


def _extent(areas: Sequence[Area]) -> pystac.Extent:
    boxes = [list(area.bbox) for area in areas]
    union = [
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    ]
    spatial = pystac.SpatialExtent([union, *boxes] if len(boxes) > 1 else [union])
    starts = [area.window[0] for area in areas]
    ends = [area.window[1] for area in areas]
    temporal = pystac.TemporalExtent([[to_utc_aware(min(starts)), to_utc_aware(max(ends))]])
    return pystac.Extent(spatial, temporal)
