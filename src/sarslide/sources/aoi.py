"""The area of interest: a bbox string or a vector file, its UTM CRS and the cube grid."""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
from pyproj import CRS, Transformer
from shapely.geometry import box
from shapely.geometry.base import BaseGeometry

from sarslide.crs_text import format_crs
from sarslide.errors import ConfigError, CrsError

if TYPE_CHECKING:
    from odc.geo.geobox import GeoBox

logger = logging.getLogger(__name__)

DEFAULT_RESOLUTION_M = 10.0


@dataclass(frozen=True)
class AreaOfInterest:
    """An area of interest in lon/lat (EPSG:4326) and the projected CRS of its cube."""

    geometry_lonlat: BaseGeometry
    crs: CRS
    # bounds in ``crs`` when known there (local products in that CRS): the grid then
    # follows them exactly instead of a lon/lat round trip that widens it
    bounds_in_crs: tuple[float, float, float, float] | None = None

    @property
    def bbox_lonlat(self) -> tuple[float, float, float, float]:
        """(min lon, min lat, max lon, max lat)."""
        return tuple(float(v) for v in self.geometry_lonlat.bounds)  # type: ignore[return-value]


def parse_aoi(value: str | os.PathLike[str], *, crs: str | None = None) -> AreaOfInterest:
    """Read an AOI from ``"min_lon,min_lat,max_lon,max_lat"`` or a vector file.

    Args:
        value: a bbox string in degrees, or a path to any vector file GDAL reads
            (GeoJSON, GeoPackage, Shapefile) in any CRS; its features are unioned.
        crs: the cube's projected CRS (e.g. ``"EPSG:32654"``); default: the UTM zone
            of the AOI's centroid.

    Raises:
        ConfigError: the string is neither a valid bbox nor an existing file.
        CrsError: the vector file has no CRS, or ``crs`` is not projected.
    """
    text = os.fspath(value)
    path = Path(text).expanduser()
    if path.exists():
        geometry = _read_vector_geometry(path)
    elif text.count(",") == 3:
        geometry = _parse_bbox(text)
    else:
        raise ConfigError(
            f"Invalid AOI {text!r}: not an existing file and not a bbox. Give "
            "'min_lon,min_lat,max_lon,max_lat' in degrees (e.g. '141.9,42.7,142.1,42.85') "
            "or a GeoJSON/GeoPackage/Shapefile path."
        )
    target = CRS.from_user_input(crs) if crs else utm_crs_for(geometry)
    if not target.is_projected:
        raise CrsError(
            f"The cube CRS must be projected (metres); got {format_crs(target)}. "
            "Leave it unset to use the AOI's UTM zone."
        )
    return AreaOfInterest(geometry_lonlat=geometry, crs=target)


def utm_crs_for(geometry_lonlat: BaseGeometry) -> CRS:
    """The WGS 84 UTM CRS of the zone holding the centroid of a lon/lat geometry."""
    centroid = geometry_lonlat.centroid
    zone = min(math.floor((centroid.x + 180.0) / 6.0) + 1, 60)
    epsg = (32600 if centroid.y >= 0 else 32700) + zone
    return CRS.from_epsg(epsg)


def make_geobox(aoi: AreaOfInterest, *, resolution_m: float = DEFAULT_RESOLUTION_M) -> GeoBox:
    """The cube grid: the AOI's bounds in its projected CRS, pixels snapped to the resolution."""
    # [sources] extra: imported where a live source is read.
    from odc.geo.geobox import GeoBox

    if not resolution_m > 0:
        raise ConfigError(f"Invalid resolution_m={resolution_m}; must be > 0 (e.g. 10).")
    if aoi.bounds_in_crs is not None:
        bounds = aoi.bounds_in_crs
    else:
        to_grid = Transformer.from_crs("EPSG:4326", aoi.crs, always_xy=True)
        bounds = to_grid.transform_bounds(*aoi.bbox_lonlat, densify_pts=21)
    return GeoBox.from_bbox(bounds, crs=aoi.crs.to_wkt(), resolution=resolution_m)


def _parse_bbox(text: str) -> BaseGeometry:
    try:
        min_lon, min_lat, max_lon, max_lat = (float(v) for v in text.split(","))
    except ValueError as err:
        raise ConfigError(
            f"Invalid AOI bbox {text!r}: expected four numbers 'min_lon,min_lat,max_lon,max_lat'."
        ) from err
    in_range = min(min_lon, max_lon) >= -180 and max(min_lon, max_lon) <= 180
    if in_range and min_lon > max_lon and -90 <= min_lat < max_lat <= 90:
        raise ConfigError(
            f"AOI bbox {text!r} crosses the antimeridian (min_lon {min_lon:g} > max_lon "
            f"{max_lon:g}): a cube is one UTM grid, which cannot span 180 degrees. Split it "
            f"at 180 into '{min_lon:g},{min_lat:g},180,{max_lat:g}' and "
            f"'-180,{min_lat:g},{max_lon:g},{max_lat:g}' and run once for each."
        )
    if not (-180 <= min_lon < max_lon <= 180 and -90 <= min_lat < max_lat <= 90):
        raise ConfigError(
            f"Invalid AOI bbox {text!r}: need -180 <= min_lon < max_lon <= 180 and "
            "-90 <= min_lat < max_lat <= 90 (degrees, west,south,east,north)."
        )
    return box(min_lon, min_lat, max_lon, max_lat)


def _read_vector_geometry(path: Path) -> BaseGeometry:
    try:
        frame = gpd.read_file(path)
    except Exception as err:  # pyogrio raises several types for unreadable files
        raise ConfigError(f"Cannot read the AOI file {str(path)!r}: {err}") from err
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    if frame.empty:
        raise ConfigError(f"The AOI file {str(path)!r} has no geometries.")
    if frame.crs is None:
        raise CrsError(
            f"The AOI file {str(path)!r} has no CRS; write one (e.g. with "
            "ogr2ogr -a_srs EPSG:4326) or pass a bbox."
        )
    return frame.to_crs("EPSG:4326").geometry.union_all()
