"""Sentinel-1 RTC products already on disk, as STAC items for the one build path.

``sarslide cube build --rtc PATH_OR_GLOB`` turns local files into ``pystac.Item``
objects (one per product, one asset per polarisation) so that grouping, mosaicking,
warping and writing are exactly those of the STAC path (``sources.rtc``). OPERA RTC-S1
and HyP3 RTC products are read as files, product folders or the product zips; what a
raster is comes from its name and tags (``sources.product_identity``). Without an orbit
direction in the tags it comes from the local solar time of the acquisition:
Sentinel-1 crosses the equator northbound near 18:00 and southbound near 06:00.
Every file that cannot be dated, or whose product misses a polarisation the others
have, is named in one error. Each file is opened once to be found and chosen
(``sources.product_header``); files whose names show that they cannot be used are not
opened at all (``sources.product_prefilter``).
"""

from __future__ import annotations

import datetime
import glob
import logging
import os
import re
import zipfile
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pystac
import rasterio
from shapely.geometry import shape
from shapely.ops import unary_union

from sarslide import conventions as cv
from sarslide.conventions import to_utc_naive
from sarslide.errors import ConfigError, DataSelectionError
from sarslide.sources.product_header import bounds_of, header_fields, read_product_header
from sarslide.sources.product_identity import (
    NAME_FORMATS,
    POL_PATTERN,
    POL_TAGS,
    TIME_TAGS,
    LocalRaster,
    NamedProduct,
    parse_rtc_raster,
)
from sarslide.sources.product_prefilter import prefilter_members
from sarslide.sources.rtc import BURST_PROPERTY

logger = logging.getLogger(__name__)

RASTER_SUFFIXES = (".tif", ".tiff")
MAX_LISTED = 5  # files named in one error line; the count says how many more


def expand_sources(
    patterns: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    flag: str,
    suffixes: tuple[str, ...] = RASTER_SUFFIXES,
    zips: bool = True,
) -> list[Path]:
    """Files named by paths, folders (searched recursively) and glob patterns, sorted.

    Raises:
        ConfigError: a path or pattern matches nothing (named, with ``flag``).
    """
    if isinstance(patterns, (str, os.PathLike)):
        patterns = [patterns]
    found: set[Path] = set()
    empty = []
    wanted = (*suffixes, ".zip") if zips else suffixes
    for pattern in patterns:
        text = os.path.expanduser(os.fspath(pattern))
        path = Path(text)
        if path.is_dir():
            matches = _files_under(path, wanted)  # resolved already
        elif path.is_file():
            matches = [path.resolve()]
        else:
            matches = [
                Path(p).resolve()
                for p in glob.glob(text, recursive=True)
                if Path(p).is_file() and Path(p).suffix.lower() in wanted
            ]
        if not matches:
            empty.append(text)
        found.update(matches)
    if empty:
        raise ConfigError(
            f"{flag} {', '.join(repr(e) for e in empty)} matches no {'/'.join(wanted)} file; "
            f"give existing files, folders or quoted glob patterns to {flag}."
        )
    return sorted(found)


def find_rtc_products(
    patterns: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
) -> list[LocalRaster]:
    """Every RTC raster under ``patterns``, dated and with its polarisation.

    Raises:
        ConfigError: nothing matches a pattern.
        DataSelectionError: some files cannot be dated or paired (all named).
    """
    return find_rtc_products_for(patterns)[0]


def find_rtc_products_for(
    patterns: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    aoi_lonlat: Any = None,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
    prune_dates: bool = True,
) -> tuple[list[LocalRaster], dict[str, tuple[str, NamedProduct]]]:
    """The RTC rasters under ``patterns`` that may meet the AOI in [start, end].

    Files whose names show that they cannot (``sources.product_prefilter``; by date
    only with ``prune_dates``) are not opened; ``select_items`` decides for the others.
    Those likely to be used are read with their dB sample.

    Returns:
        The rasters, and the products left out unopened (the reason and what their
        name says), by product id.

    Raises:
        ConfigError: nothing matches a pattern.
        DataSelectionError: some files opened cannot be dated or paired (all named).
    """
    problems: dict[str, str] = {}
    members = [
        m for path in expand_sources(patterns, flag="--rtc") for m in _members(path, problems)
    ]
    chosen = prefilter_members(
        members, aoi_lonlat=aoi_lonlat, start=start, end=end, prune_dates=prune_dates
    )
    rasters: list[LocalRaster] = []
    for href, label in chosen.to_read:
        header = chosen.headers.get(href) or read_product_header(
            href, with_sample=href in chosen.sampled
        )
        parsed = parse_rtc_raster(href, label, header)
        if isinstance(parsed, str):
            problems[label] = parsed
        else:
            rasters.append(parsed)
    problems.update(_unpaired(rasters))
    if problems:
        items = sorted(problems.items())
        listed = "; ".join(f"{name}: {why}" for name, why in items[:MAX_LISTED])
        if len(items) > MAX_LISTED:
            listed += f"; and {len(items) - MAX_LISTED} more"
        raise DataSelectionError(
            f"Cannot use {len(problems)} local RTC file(s) or product(s): {listed}. Give "
            f"products named {NAME_FORMATS} (or with the tags {TIME_TAGS[0]} and {POL_TAGS[0]}), "
            "with every polarisation, or leave these files out of --rtc."
        )
    if not rasters and not chosen.left_out:
        raise DataSelectionError("No RTC raster found in --rtc; give OPERA or HyP3 RTC files.")
    return rasters, chosen.left_out


def rtc_items(rasters: Iterable[LocalRaster]) -> list[pystac.Item]:
    """One STAC item per product (bursts of a pass stay separate items: grouped later)."""
    by_product: dict[str, list[LocalRaster]] = {}
    for raster in rasters:
        by_product.setdefault(raster.product, []).append(raster)
    with rasterio.Env():  # one GDAL environment for every footprint's transform
        return [_item_of(product, members) for product, members in sorted(by_product.items())]


def select_items(
    items: Iterable[pystac.Item],
    *,
    aoi_lonlat: Any = None,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
) -> tuple[list[pystac.Item], dict[str, str]]:
    """The items acquired in [start, end] whose footprint meets ``aoi_lonlat``.

    The one selection of local products: ``cube build --rtc`` and ``respond`` use it
    alike, so that the passes respond plans are the timesteps the cube gets (a pass's
    time is its earliest product's).

    Returns:
        The kept items and, for the others, the reason.
    """
    kept, skipped = [], {}
    for item in items:
        when = to_utc_naive(item.datetime)
        if (start is not None and when < start) or (end is not None and when > end):
            skipped[item.id] = "acquired outside the dates asked for"
        elif (
            aoi_lonlat is not None
            and item.geometry
            and not shape(item.geometry).intersects(aoi_lonlat)
        ):
            skipped[item.id] = "does not cover the AOI"
        else:
            kept.append(item)
    return kept, skipped


def raster_items(
    patterns: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    asset: str,
    flag: str,
) -> list[pystac.Item]:
    """Undated rasters (a DEM's tiles) as items with one asset each, for odc-stac."""
    items = []
    for path in expand_sources(patterns, flag=flag, zips=False):
        header = read_product_header(str(path))
        if isinstance(header, str):
            raise DataSelectionError(
                f"{flag} file {str(path)!r}: {header}; give georeferenced rasters to {flag}."
            )
        item = pystac.Item(
            id=path.name,
            geometry=header.footprint,
            bbox=list(bounds_of(header.footprint)),
            datetime=datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc),
            properties={},
        )
        extra = {"raster:bands": [header.band_info], **header_fields(header)}
        item.add_asset(asset, pystac.Asset(href=str(path), extra_fields=extra))
        items.append(item)
    return items


def orbit_state_from_solar_time(start: pd.Timestamp, lon_deg: float) -> str:
    """Ascending for an evening pass (local solar time 12-24 h), descending for a morning one.

    Sentinel-1's dawn-dusk orbit crosses the equator northbound at about 18:00 and
    southbound at about 06:00 local solar time.
    """
    hours = start.hour + start.minute / 60 + start.second / 3600 + lon_deg / 15.0
    return cv.ORBIT_ASCENDING if 12.0 <= hours % 24.0 < 24.0 else cv.ORBIT_DESCENDING


def footprint_lonlat(items: Iterable[pystac.Item]) -> Any:
    """Union of the items' footprints (lon/lat shapely geometry)."""
    return unary_union([shape(item.geometry) for item in items if item.geometry])


def _item_of(product: str, members: list[LocalRaster]) -> pystac.Item:
    """The product as an item: its first raster's footprint, time and orbit."""
    first = members[0]
    footprint = first.header.footprint
    state = first.orbit_state or orbit_state_from_solar_time(first.start, first.header.centre_lon)
    item = pystac.Item(
        id=product,
        geometry=footprint,
        bbox=list(bounds_of(footprint)),
        datetime=first.start.tz_localize("UTC").to_pydatetime(),
        properties={
            cv.COORD_ORBIT_STATE: state,
            cv.COORD_RELATIVE_ORBIT: first.relative_orbit,
            "platform": first.platform,
            "sarslide:orbit_state_from": "tags" if first.orbit_state else "solar time",
            BURST_PROPERTY: first.burst,
        },
    )
    for raster in members:
        item.add_asset(raster.polarisation, _asset_of(raster))
    return item


def _asset_of(raster: LocalRaster) -> pystac.Asset:
    """The raster as an asset carrying what its one open read (for the later steps)."""
    extra = {
        "raster:bands": [raster.header.band_info],
        "file": raster.label,
        **header_fields(raster.header),
    }
    return pystac.Asset(href=raster.href, media_type=pystac.MediaType.GEOTIFF, extra_fields=extra)


def _files_under(folder: Path, wanted: tuple[str, ...]) -> list[Path]:
    """The files under ``folder`` with a wanted suffix, resolved, as ``Path.rglob`` finds
    them (linked folders are not entered), from the folder listings alone: no file is
    stat'ed or resolved but links (a whole OPERA series is hundreds of files)."""
    found, folders = [], [os.path.realpath(folder)]
    while folders:
        with os.scandir(folders.pop()) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    folders.append(entry.path)
                elif os.path.splitext(entry.name)[1].lower() in wanted and entry.is_file():
                    link = entry.is_symlink()
                    found.append(Path(os.path.realpath(entry.path) if link else entry.path))
    return found


def _members(path: Path, problems: dict[str, str]) -> list[tuple[str, str]]:
    if path.suffix.lower() != ".zip":
        return [(str(path), str(path))]
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.lower().endswith(RASTER_SUFFIXES)]
    except zipfile.BadZipFile as err:
        problems[str(path)] = f"not a valid zip ({err})"
        return []
    rasters = [n for n in names if re.search(POL_PATTERN + r"\.tiff?$", Path(n).name)]
    if not rasters:
        problems[str(path)] = "no <name>_VV.tif / _VH.tif inside"
    return [(f"/vsizip/{path}/{n}", f"{path}!{n}") for n in rasters]


def _unpaired(rasters: list[LocalRaster]) -> dict[str, str]:
    """Files whose product lacks a polarisation most products have, and products of
    another polarisation mode (HH/HV among VV/VH, named once with what the others have)."""
    have: dict[str, set[str]] = {}
    for raster in rasters:
        if raster.product:
            have.setdefault(raster.product, set()).add(raster.polarisation)
    modes = Counter(frozenset(pols) for pols in have.values())
    if len(modes) < 2:
        return {}
    common, n_common = max(modes.items(), key=lambda kv: (kv[1], len(kv[0]), sorted(kv[0])))
    shown = "/".join(sorted(p.upper() for p in common))
    problems: dict[str, str] = {}
    for raster in rasters:
        pols = have.get(raster.product, common)
        missing = common - pols
        if missing and pols & common:
            problems[raster.label] = (
                f"no {'/'.join(sorted(p.upper() for p in missing))} file of the same "
                "product to pair it with"
            )
        elif pols != common and pols.isdisjoint(common):  # another mode: named once
            own = "/".join(sorted(p.upper() for p in pols))
            problems[f"product {raster.product}"] = (
                f"has {own} where the other {n_common} product(s) have {shown}; leave it "
                "out of --rtc (one polarisation mode per cube)"
            )
    return problems
