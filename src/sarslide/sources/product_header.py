"""What one open of a local raster reads: its tags, its footprint and band information.

The footprint is the raster's bounds, densified (20 segments a side) and transformed to
lon/lat GeoJSON, so that a product in another UTM zone than the grid keeps its shape.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import rasterio
from rasterio.warp import transform_geom
from shapely.geometry import box, mapping, shape


def read_tags(href: str) -> dict[str, str] | str:
    """The raster's GDAL tags (keys upper case), or why it cannot be used."""
    try:
        with rasterio.open(href) as src:
            if src.crs is None:
                return "no CRS (not a georeferenced product)"
            return {str(k).upper(): str(v) for k, v in src.tags().items()}
    except Exception as err:  # rasterio raises several types for unreadable files
        return f"cannot be read ({type(err).__name__}: {err})"


def first_tag(tags: dict[str, str], keys: tuple[str, ...]) -> str | None:
    """The value of the first of ``keys`` the tags hold (stripped), else None."""
    for key in keys:
        if tags.get(key):
            return tags[key].strip()
    return None


def read_footprint(href: str) -> tuple[dict[str, Any], float, dict[str, Any]]:
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


def bounds_of(geometry: dict[str, Any]) -> tuple[float, float, float, float]:
    """(west, south, east, north) of a GeoJSON geometry."""
    return tuple(float(v) for v in shape(geometry).bounds)  # type: ignore[return-value]
