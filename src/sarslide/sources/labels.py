"""Landslide labels: any vector file GDAL reads, in any CRS, rasterised onto the cube grid.

Rasterisation is lazy, one dask block at a time, so labels for an AOI larger than
memory never exist in memory as a whole.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dask.array as dsa
import geopandas as gpd
import numpy as np
import xarray as xr
from rasterio.features import rasterize
from rasterio.transform import from_origin
from shapely.geometry import box

from sarslide import conventions as cv
from sarslide.crs_text import format_crs
from sarslide.errors import ConfigError, CrsError, DataSelectionError

if TYPE_CHECKING:
    import geopandas as gpd
    from odc.geo.geobox import GeoBox

logger = logging.getLogger(__name__)

DEFAULT_CHUNK_PX = 1024


def read_labels(path: str | os.PathLike[str], geobox: GeoBox) -> gpd.GeoDataFrame:
    """Read a vector file, reproject it to the grid's CRS, keep what overlaps the grid.

    Raises:
        ConfigError: the file cannot be read.
        CrsError: the file has no CRS.
        DataSelectionError: no geometry overlaps the grid.
    """
    source = Path(path).expanduser()
    if not source.exists():
        raise ConfigError(f"Labels file {str(source)!r} does not exist; check the path.")
    try:
        frame = gpd.read_file(source)
    except Exception as err:  # pyogrio raises several types for unreadable files
        raise ConfigError(
            f"Cannot read labels {str(source)!r} ({err}); give a file GDAL reads "
            "(GeoPackage, Shapefile, GeoJSON)."
        ) from err
    if frame.crs is None:
        raise CrsError(
            f"Labels {str(source)!r} have no CRS; assign one (ogr2ogr -a_srs EPSG:XXXX) "
            "so they can be placed on the grid."
        )
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    projected = frame.to_crs(str(geobox.crs.to_wkt() if geobox.crs else ""))
    extent = box(*geobox.boundingbox)
    inside = projected[projected.geometry.intersects(extent)]
    if inside.empty:
        lbl = tuple(round(float(v), 1) for v in projected.total_bounds) if len(projected) else ()
        aoi = tuple(round(float(v), 1) for v in geobox.boundingbox)
        raise DataSelectionError(
            f"None of the {len(frame)} label geometries in {str(source)!r} overlap the AOI: "
            f"labels span {lbl}, the AOI {aoi} (both in {format_crs(geobox.crs)}). Check "
            "--aoi, or the CRS of the --labels file (a wrong CRS puts them elsewhere)."
        )
    logger.info("labels: %d of %d geometries overlap the AOI", len(inside), len(frame))
    return inside


def rasterize_labels(
    path: str | os.PathLike[str],
    geobox: GeoBox,
    *,
    chunk_px: int = DEFAULT_CHUNK_PX,
    all_touched: bool = False,
) -> xr.DataArray:
    """Labels as a lazy uint8 (y, x) raster on ``geobox``: 1 inside a polygon, else 0.

    Args:
        path: vector file (GeoPackage, Shapefile, GeoJSON, ...) in any CRS.
        geobox: the cube grid.
        chunk_px: dask block size in pixels.
        all_touched: burn every pixel a geometry touches (rasterio semantics).
    """
    frame = read_labels(path, geobox)
    geometries = list(frame.geometry.values)
    height, width = geobox.shape
    data = dsa.map_blocks(
        _rasterize_block,
        dtype="uint8",
        chunks=dsa.core.normalize_chunks((chunk_px, chunk_px), (height, width)),
        geometries=geometries,
        transform=geobox.transform,
        all_touched=all_touched,
        meta=np.empty((0, 0), dtype="uint8"),
    )
    return wrap_on_grid(
        data,
        geobox,
        name=cv.VAR_LANDSLIDES,
        attrs={
            "units": cv.VARIABLES[cv.VAR_LANDSLIDES].units,
            "long_name": cv.VARIABLES[cv.VAR_LANDSLIDES].long_name,
            "source_file": Path(path).name,
        },
    )


def wrap_on_grid(
    data: Any, geobox: GeoBox, *, name: str, attrs: dict[str, Any] | None = None
) -> xr.DataArray:
    """A (y, x) array as a DataArray with the grid's coordinates and CRS."""
    # [sources] extra: imported where a live source is read.
    from odc.geo.xr import xr_coords

    coords = xr_coords(geobox, crs_coord_name=cv.COORD_SPATIAL_REF)
    return xr.DataArray(data, dims=cv.SPATIAL_DIMS, coords=coords, name=name, attrs=attrs or {})


def _rasterize_block(
    *,
    geometries: list[Any],
    transform: Any,
    all_touched: bool,
    block_info: dict[Any, Any] | None = None,
) -> np.ndarray:
    info = block_info[None]  # type: ignore[index]
    (row0, row1), (col0, col1) = info["array-location"]
    shape = (row1 - row0, col1 - col0)
    # north-up grid: no rotation terms
    x0, y0 = transform.c + transform.a * col0, transform.f + transform.e * row0
    x1, y1 = transform.c + transform.a * col1, transform.f + transform.e * row1
    block_transform = from_origin(x0, y0, transform.a, -transform.e)
    extent = box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
    shapes = [(g, 1) for g in geometries if g.intersects(extent)]
    if not shapes:
        return np.zeros(shape, dtype="uint8")
    return rasterize(
        shapes,
        out_shape=shape,
        transform=block_transform,
        fill=0,
        dtype="uint8",
        all_touched=all_touched,
    )


def empty_grid_dataset(geobox: GeoBox) -> xr.Dataset:
    """A dataset with only the grid's coordinates and CRS (a cube without backscatter)."""
    # [sources] extra: imported where a live source is read.
    from odc.geo.xr import xr_coords

    return xr.Dataset(coords=xr_coords(geobox, crs_coord_name=cv.COORD_SPATIAL_REF))
