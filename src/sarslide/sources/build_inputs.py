"""Where each layer of a build comes from: a STAC API or files on disk.

Local products become STAC items (``sources.local_products``), so that both origins
go through the same grouping, warping and writing. The STAC catalog is opened only
when a layer needs it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pandas as pd
from odc.geo.geom import Geometry
from pyproj import CRS
from shapely.geometry import shape
from shapely.ops import unary_union

from sarslide import conventions as cv
from sarslide.crs_text import format_crs
from sarslide.errors import ConfigError, DataSelectionError
from sarslide.sources.aoi import AreaOfInterest, parse_aoi, utm_crs_for
from sarslide.sources.decibel_check import refuse_decibels
from sarslide.sources.local_products import (
    find_rtc_products_for,
    footprint_lonlat,
    raster_items,
    rtc_items,
    select_items,
)
from sarslide.sources.product_header import asset_grid
from sarslide.sources.product_prefilter import missing_the_aoi
from sarslide.sources.signing import UrlSigner, sign_items
from sarslide.sources.stac_search import open_catalog, search_items

if TYPE_CHECKING:
    import pystac
    from odc.geo.geobox import GeoBox

    from sarslide.sources.config import BuildConfig

logger = logging.getLogger(__name__)

CatalogGetter = Callable[[], Any]


class BuildInputs:
    """The STAC catalog, opened on first use; the AOI and the RTC items (``found``: items
    a search already gave, used instead of searching or reading products again)."""

    def __init__(
        self, cfg: BuildConfig, signer: UrlSigner, found: list[pystac.Item] | None = None
    ) -> None:
        self.cfg = cfg
        self.signer = signer
        self.found = found
        self._catalog: Any = None

    def catalog(self) -> Any:
        if self._catalog is None:
            self._catalog = open_catalog(self.cfg.stac_url, signer=self.signer)
        return self._catalog

    def aoi_and_rtc_items(self) -> tuple[Any, list[Any], dict[str, str]]:
        cfg = self.cfg
        if self.found is not None:
            if cfg.aoi is None:
                raise ConfigError("A build from items already found needs the AOI (--aoi).")
            aoi = parse_aoi(cfg.aoi, crs=cfg.crs)
            items, skipped = list(self.found), dict[str, str]()
            if not uses_local_rtc(cfg):
                sign_items(items, self.signer)  # as the catalogue's search modifier does
        elif uses_local_rtc(cfg):
            chosen = parse_aoi(cfg.aoi, crs=cfg.crs) if cfg.aoi else None
            items, skipped = local_rtc_items(cfg, chosen) if cfg.rtc else ([], {})
            if chosen is not None:
                aoi = chosen
            elif items:
                aoi = aoi_from_items(items, crs=cfg.crs)
            elif cfg.dem:
                aoi = aoi_from_items(dem_items(cfg, self.catalog, None), crs=cfg.crs)
            else:
                raise ConfigError(
                    "No --aoi and no local RTC product or --dem file to take the grid from; "
                    "pass --aoi 'min_lon,min_lat,max_lon,max_lat' (or a vector file)."
                )
        else:
            missing = [f"--{k}" for k in ("aoi", "start", "end") if getattr(cfg, k) is None]
            if missing:
                raise ConfigError(
                    f"A STAC build needs {', '.join(missing)}; pass them, or build from "
                    "local products with --rtc PATH_OR_GLOB (and --dem FILE)."
                )
            aoi = parse_aoi(str(cfg.aoi), crs=cfg.crs)
            items = stac_rtc_items(cfg, self.catalog(), aoi)
            skipped = {}
        items, dropped = filter_orbits(items, cfg)
        return aoi, items, {**skipped, **dropped}


def local_bands(items: list[Any]) -> tuple[str, ...]:
    """The polarisations every local product has (VV and VH first)."""
    common = set.intersection(*(set(i.assets) for i in items))
    order = ("vv", "vh", "hh", "hv")
    return tuple(b for b in order if b in common)


def filter_orbits(items: list[Any], cfg: BuildConfig) -> tuple[list[Any], dict[str, str]]:
    """Items of the asked orbit state / relative orbit; the others with the reason."""
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


def uses_local_rtc(cfg: BuildConfig) -> bool:
    """True when backscatter comes from files (``--rtc``), not from a STAC search."""
    return cfg.rtc is not None


def local_rtc_items(
    cfg: BuildConfig, aoi: AreaOfInterest | None = None
) -> tuple[list[pystac.Item], dict[str, str]]:
    """Items of the local RTC products in [start, end] over the AOI (others with the reason).

    Products outside the dates are left out silently (the dates ask for that); those
    that miss the AOI are named in the build's warning.
    """
    start = pd.Timestamp(cfg.start) if cfg.start else None
    end = _inclusive_end(cfg.end) if cfg.end else None
    aoi_lonlat = aoi.geometry_lonlat if aoi else None
    rasters, unopened = find_rtc_products_for(
        cfg.rtc or [], aoi_lonlat=aoi_lonlat, start=start, end=end
    )
    items = rtc_items(rasters)
    in_dates, _ = select_items(items, start=start, end=end)
    if not in_dates:
        raise DataSelectionError(
            f"None of the {len(items) + len(unopened)} local RTC products is between --start "
            f"{cfg.start} and --end {cfg.end}; widen the dates or leave them out to use every "
            "product."
        )
    kept, skipped = select_items(in_dates, aoi_lonlat=aoi_lonlat)
    skipped.update(missing_the_aoi(unopened, start=start, end=end))  # named as if read
    if not kept:
        dates = f" between --start {cfg.start} and --end {cfg.end}" if cfg.start or cfg.end else ""
        raise DataSelectionError(
            f"None of the {len(skipped)} local RTC products{dates} covers the AOI "
            f"{cfg.aoi!r}; check --aoi against the products' footprints, and --rtc."
        )
    refuse_decibels(kept)
    return kept, skipped


def stac_rtc_items(cfg: BuildConfig, catalog: Any, aoi: AreaOfInterest) -> list[pystac.Item]:
    """The RTC items of ``cfg.collection`` over the AOI."""
    return search_items(
        catalog,
        collection=cfg.collection,
        bbox_lonlat=aoi.bbox_lonlat,
        start=cfg.start,
        end=cfg.end,
        flag="--collection",
    )


def dem_items(
    cfg: BuildConfig, get_catalog: CatalogGetter, aoi: AreaOfInterest | None
) -> list[Any]:
    """DEM tiles: the files of ``--dem``, else a search of ``--dem-collection``."""
    if cfg.dem:
        return raster_items(cfg.dem, asset=cfg.dem_asset, flag="--dem")
    if aoi is None:
        raise ValueError("a DEM search needs the AOI")
    return search_items(
        get_catalog(),
        collection=cfg.dem_collection,
        bbox_lonlat=aoi.bbox_lonlat,
        flag="--dem-collection (or --dem FILE for a local DEM)",
    )


def check_dem_coverage(
    items: list[pystac.Item], geobox: GeoBox, *, minimum: float, source: str
) -> float:
    """Fraction of the grid the DEM tiles' footprints cover; refuse below ``minimum``.

    Raises:
        DataSelectionError: the DEM covers less than ``minimum`` of the grid (with the
            coverage found, both extents and the fix).
    """
    grid = geobox.extent
    footprints = [shape(i.geometry) for i in items if i.geometry]
    if not footprints or grid.crs is None:
        return 1.0  # nothing to judge by: the validation of the written layer decides
    dem = Geometry(unary_union(footprints), crs="EPSG:4326").to_crs(grid.crs)
    covered = float(dem.intersection(grid).area / grid.area) if grid.area else 0.0
    if covered < minimum:
        dem_bounds = tuple(round(v, 4) for v in unary_union(footprints).bounds)
        grid_bounds = tuple(round(v, 4) for v in grid.to_crs("EPSG:4326").boundingbox)
        raise DataSelectionError(
            f"The DEM ({source}) covers {covered:.1%} of the AOI (DEM spans lon/lat "
            f"{dem_bounds}, the AOI {grid_bounds}; {format_crs(geobox.crs)} grid); at least "
            f"{minimum:.0%} is needed (min_dem_coverage). Give a DEM over the AOI with --dem "
            "FILE or --dem-collection, or check the AOI."
        )
    if covered < 0.999:
        logger.warning("the DEM covers %.1f%% of the AOI: the rest is NaN", 100 * covered)
    return covered


def aoi_from_items(items: list[Any], *, crs: str | None) -> AreaOfInterest:
    """The AOI of a local build without ``--aoi``: the products' footprint, in their
    shared projected CRS (else the UTM zone of the footprint)."""
    footprint = footprint_lonlat(items)
    crses, native = set(), []
    for item in items:
        crs_wkt, item_bounds = asset_grid(next(iter(item.assets.values())))
        crses.add(crs_wkt)
        native.append(item_bounds)
    only = CRS.from_wkt(next(iter(crses))) if len(crses) == 1 and "" not in crses else None
    if crs:
        target = CRS.from_user_input(crs)
    else:
        target = only if only is not None and only.is_projected else utm_crs_for(footprint)
    bounds = None
    if only is not None and only == target:  # the products' own bounds: no widening
        bounds = (
            min(b[0] for b in native),
            min(b[1] for b in native),
            max(b[2] for b in native),
            max(b[3] for b in native),
        )
    logger.info("AOI from the products' footprint, grid CRS %s", format_crs(target))
    return AreaOfInterest(geometry_lonlat=footprint, crs=target, bounds_in_crs=bounds)


def _inclusive_end(end: str) -> pd.Timestamp:
    stamp = pd.Timestamp(end)
    if len(end) <= 10:  # a bare date includes that whole day
        stamp = stamp + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)
    return stamp
