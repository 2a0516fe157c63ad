"""Sentinel-1 RTC products already on disk, as STAC items for the one build path.

``sarslide cube build --rtc PATH_OR_GLOB`` turns local files into ``pystac.Item``
objects (one per product, one asset per polarisation) so that grouping, mosaicking,
warping and writing are exactly those of the STAC path (``sources.rtc``). Names read:

- OPERA RTC-S1: ``OPERA_L2_RTC-S1_<burst>_<start>_<production>_<S1x>_<res>_v<ver>_<POL>...``
  (``<burst>`` is ``T<track>-<id>-IW<n>``: the track is the relative orbit);
- HyP3 RTC: ``S1x_IW_<YYYYMMDD>T<HHMMSS>_<pol mode>_RTC<res>_..._<POL>.tif``, as files,
  product folders or the product zips.

GeoTIFF tags override what the name says when present (``ZERO_DOPPLER_START_TIME``,
``ORBIT_PASS_DIRECTION``, ``TRACK_NUMBER``, ``POLARIZATION``). Without an orbit
direction in the tags it comes from the local solar time of the acquisition:
Sentinel-1 crosses the equator northbound near 18:00 and southbound near 06:00.
Every file that cannot be dated, or whose product misses a polarisation the others
have, is named in one error.
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pystac
import rasterio
from rasterio.warp import transform_geom
from shapely.geometry import box, mapping, shape
from shapely.ops import unary_union

from sarslide import conventions as cv
from sarslide.conventions import to_utc_naive
from sarslide.datacube.content import looks_like_decibels
from sarslide.datacube.orbit import normalise_orbit_state
from sarslide.errors import ConfigError, DataSelectionError
from sarslide.sources.rtc import BURST_PROPERTY

logger = logging.getLogger(__name__)

RASTER_SUFFIXES = (".tif", ".tiff")
MAX_LISTED = 5  # files named in one error line; the count says how many more
_POL = r"(?P<pol>VV|VH|HH|HV)"
_OPERA = re.compile(
    r"OPERA_L2_RTC-S1_(?P<burst>T(?P<track>\d{3})-\d{6}-IW\d)_(?P<start>\d{8}T\d{6})Z?_"
    r"\d{8}T\d{6}Z?_(?P<platform>S1[A-D])_\d+_v[\d.]+_" + _POL + r"(?=[_.]|$)"
)
_HYP3 = re.compile(
    r"(?P<platform>S1[A-D])_IW_(?P<start>\d{8}T\d{6})_[SD][VH]P_RTC\d+_.*_" + _POL + r"\.tiff?$"
)
_TIME_TAGS = ("ZERO_DOPPLER_START_TIME", "ACQUISITION_START_TIME", "START_TIME")
_ORBIT_TAGS = ("ORBIT_PASS_DIRECTION", "SAT:ORBIT_STATE", "ORBIT_DIRECTION", "PASS_DIRECTION")
_TRACK_TAGS = ("TRACK_NUMBER", "SAT:RELATIVE_ORBIT", "RELATIVE_ORBIT")
_POL_TAGS = ("POLARIZATION", "POLARISATION")
NAME_FORMATS = (
    "OPERA_L2_RTC-S1_<burst>_<start>_... or S1?_IW_<date>T<time>_..._RTC<res>_..._<POL>.tif"
)


@dataclass(frozen=True)
class LocalRaster:
    """One polarisation of one local product."""

    href: str  # what GDAL opens (``/vsizip/`` inside zips)
    label: str  # the path as the user knows it, for messages
    product: str  # product id (the name without the polarisation)
    platform: str
    start: pd.Timestamp  # UTC, naive
    polarisation: str  # lowercase asset name: vv, vh, hh, hv
    relative_orbit: int  # -1 when unknown
    orbit_state: str | None  # from the tags; None: decided from the solar time
    burst: str | None = None  # OPERA burst identity ``T<track>-<id>-IW<n>``; None for frames


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
            matches = [p for p in path.rglob("*") if p.suffix.lower() in wanted and p.is_file()]
        elif path.is_file():
            matches = [path]
        else:
            matches = [
                Path(p)
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
    return sorted(p.resolve() for p in found)


def find_rtc_products(
    patterns: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
) -> list[LocalRaster]:
    """Every RTC raster under ``patterns``, dated and with its polarisation.

    Raises:
        ConfigError: nothing matches a pattern.
        DataSelectionError: some files cannot be dated or paired (all named).
    """
    rasters: list[LocalRaster] = []
    problems: dict[str, str] = {}
    for path in expand_sources(patterns, flag="--rtc"):
        for href, label in _members(path, problems):
            parsed = _parse_rtc(href, label)
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
            f"products named {NAME_FORMATS} (or with the tags {_TIME_TAGS[0]} and {_POL_TAGS[0]}), "
            "with every polarisation, or leave these files out of --rtc."
        )
    if not rasters:
        raise DataSelectionError("No RTC raster found in --rtc; give OPERA or HyP3 RTC files.")
    return rasters


def refuse_decibels(items: Sequence[pystac.Item], *, sample_px: int = 64) -> None:
    """Refuse products in dB: linear gamma0 is never negative, dB backscatter mostly is.

    A decimated sample (at most ``sample_px`` a side) of each asset of the items (the
    products a build or a response uses, after the AOI and dates chose them) is read;
    its valid non-zero values are judged by the cube's own rule
    (``datacube.content.looks_like_decibels``), so no product passes here to make a
    cube that ``open_cube`` then refuses.

    Raises:
        DataSelectionError: every raster in dB named (the first few), with the fix.
    """
    in_db = []
    for item in items:
        for asset in item.assets.values():
            with rasterio.open(asset.href) as src:
                shape_px = (min(src.height, sample_px), min(src.width, sample_px))
                values = src.read(1, out_shape=shape_px, masked=True).astype("float64")
            finite = values.compressed()
            finite = finite[np.isfinite(finite) & (finite != 0)]
            if looks_like_decibels(finite):
                label = asset.extra_fields.get("file", asset.href)
                in_db.append((str(label), float(np.median(finite))))
    if in_db:
        named = ", ".join(f"{Path(label).name} (median {m:.1f})" for label, m in in_db[:3])
        more = f" and {len(in_db) - 3} more" if len(in_db) > 3 else ""
        raise DataSelectionError(
            f"{len(in_db)} RTC product(s) are in dB, not linear gamma0: {named}{more}. "
            "sarslide needs linear backscatter: convert them with 10 ** (dB / 10) (e.g. "
            "gdal_calc.py --calc '10**(A/10)') and give the converted files to --rtc; "
            "nothing was written."
        )


def rtc_items(rasters: Iterable[LocalRaster]) -> list[pystac.Item]:
    """One STAC item per product (bursts of a pass stay separate items: grouped later)."""
    by_product: dict[str, list[LocalRaster]] = {}
    for raster in rasters:
        by_product.setdefault(raster.product, []).append(raster)
    items = []
    for product, members in sorted(by_product.items()):
        first = members[0]
        footprint, lon, meta = _footprint(first.href)
        state = first.orbit_state or orbit_state_from_solar_time(first.start, lon)
        item = pystac.Item(
            id=product,
            geometry=footprint,
            bbox=list(_bounds(footprint)),
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
            item.add_asset(
                raster.polarisation,
                pystac.Asset(
                    href=raster.href,
                    media_type=pystac.MediaType.GEOTIFF,
                    extra_fields={"raster:bands": [meta], "file": raster.label},
                ),
            )
        items.append(item)
    return items


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
        footprint, _, meta = _footprint(str(path))
        item = pystac.Item(
            id=path.name,
            geometry=footprint,
            bbox=list(_bounds(footprint)),
            datetime=datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc),
            properties={},
        )
        item.add_asset(asset, pystac.Asset(href=str(path), extra_fields={"raster:bands": [meta]}))
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


def _members(path: Path, problems: dict[str, str]) -> list[tuple[str, str]]:
    if path.suffix.lower() != ".zip":
        return [(str(path), str(path))]
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.lower().endswith(RASTER_SUFFIXES)]
    except zipfile.BadZipFile as err:
        problems[str(path)] = f"not a valid zip ({err})"
        return []
    rasters = [n for n in names if re.search(_POL + r"\.tiff?$", Path(n).name)]
    if not rasters:
        problems[str(path)] = "no <name>_VV.tif / _VH.tif inside"
    return [(f"/vsizip/{path}/{n}", f"{path}!{n}") for n in rasters]


def _parse_rtc(href: str, label: str) -> LocalRaster | str:
    name = Path(label.split("!")[-1]).name
    tags = _tags(href)
    if isinstance(tags, str):
        return tags
    opera, hyp3 = _OPERA.search(name), _HYP3.search(name)
    match = opera or hyp3
    start_text = _tag(tags, _TIME_TAGS) or (match.group("start") if match else None)
    pol = _tag(tags, _POL_TAGS) or (match.group("pol") if match else None)
    if start_text is None:
        return f"no acquisition time in the name or tags (expected {NAME_FORMATS})"
    if pol is None or pol.upper() not in ("VV", "VH", "HH", "HV"):
        return f"no polarisation (VV, VH, HH or HV) in the name or tags (got {pol!r})"
    try:
        start = to_utc_naive(start_text)
    except ValueError:
        return f"acquisition time {start_text!r} is not a date"
    track_text = _tag(tags, _TRACK_TAGS) or (opera.group("track") if opera else None)
    state = _tag(tags, _ORBIT_TAGS)
    if match is not None:
        product = name[: match.start("pol")].rstrip("_")
        platform = match.group("platform")
    else:
        product = f"{Path(name).stem}@{start.isoformat()}"
        platform = _tag(tags, ("PLATFORM", "MISSION_ID")) or "S1"
    return LocalRaster(
        href=href,
        label=label,
        product=product,
        platform=platform,
        start=start.floor("s"),
        polarisation=pol.lower(),
        relative_orbit=int(track_text) if track_text and track_text.isdigit() else -1,
        orbit_state=normalise_state(state) if state else None,
        burst=opera.group("burst") if opera else None,
    )


def normalise_state(value: str) -> str | None:
    """'ASCENDING', 'asc', 'A' -> 'ascending' (None when unrecognised)."""
    try:
        return normalise_orbit_state(value)
    except ValueError:
        return None


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


def _tags(href: str) -> dict[str, str] | str:
    try:
        with rasterio.open(href) as src:
            if src.crs is None:
                return "no CRS (not a georeferenced product)"
            return {str(k).upper(): str(v) for k, v in src.tags().items()}
    except Exception as err:  # rasterio raises several types for unreadable files
        return f"cannot be read ({type(err).__name__}: {err})"


def _tag(tags: dict[str, str], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        if tags.get(key):
            return tags[key].strip()
    return None


def _footprint(href: str) -> tuple[dict[str, Any], float, dict[str, Any]]:
    """The raster's footprint in lon/lat (GeoJSON), its centre longitude and band info."""
    with rasterio.open(href) as src:
        outline = box(*src.bounds)
        outline = outline.segmentize(max(src.bounds.right - src.bounds.left, 1e-9) / 20)
        geometry = transform_geom(src.crs, "EPSG:4326", mapping(outline))
        nodata = src.nodata
        meta: dict[str, Any] = {"data_type": src.dtypes[0]}
        if nodata is not None and not np.isnan(nodata):
            meta["nodata"] = float(nodata)
    return geometry, float(shape(geometry).centroid.x), meta


def _bounds(geometry: dict[str, Any]) -> tuple[float, float, float, float]:
    return tuple(float(v) for v in shape(geometry).bounds)  # type: ignore[return-value]
