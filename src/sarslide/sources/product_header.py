"""What one open of a local raster reads, so that no later step opens it again.

``read_product_header`` opens a raster once and returns its tags, its grid (CRS and
bounds), its footprint in lon/lat, its band information and, for the products likely
to be used, a decimated sample judged by the cube's dB rule. Finding, selecting and
checking local products work from this record; a product used but not sampled is
opened again for its dB sample (``decibel_check``), and every product used for its
pixels.

The footprint is the raster's bounds, densified (20 segments a side) and transformed to
lon/lat GeoJSON, so that a product in another UTM zone than the grid keeps its shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import rasterio
from rasterio.crs import CRS
from rasterio.errors import RasterioError
from rasterio.warp import transform_geom
from shapely.geometry import box, mapping, shape

from sarslide.datacube.content import looks_like_decibels

GRID_FIELD = "sarslide:grid"  # asset field: {"crs_wkt": ..., "bounds": [...]}
SAMPLE_FIELD = "sarslide:decibel_sample"  # asset field: {"in_decibels": ..., "median": ...}
SAMPLE_PX = 64  # the dB sample: at most this many pixels a side, decimated by GDAL


@dataclass(frozen=True)
class DecibelSample:
    """A decimated sample of a backscatter raster, judged by the cube's dB rule."""

    in_decibels: bool  # ``datacube.content.looks_like_decibels`` of its valid values
    median: float  # of the valid non-zero values (NaN when none)


@dataclass(frozen=True)
class ProductHeader:
    """Tags, grid and band information of one raster; its footprint computed from them
    (on first use: most products of a folder are chosen by their first raster's)."""

    tags: dict[str, str] = field(repr=False)  # GDAL tags, keys upper case
    crs: CRS
    bounds: tuple[float, float, float, float]  # in ``crs``
    band_info: dict[str, Any]  # a STAC ``raster:bands`` entry: data_type, nodata
    sample: DecibelSample | None = None  # read with the header when asked (and readable)

    @cached_property
    def footprint(self) -> dict[str, Any]:
        """The bounds densified (20 segments a side), in lon/lat (GeoJSON)."""
        west, _, east, _ = self.bounds
        outline = box(*self.bounds).segmentize(max(east - west, 1e-9) / 20)
        return transform_geom(self.crs, "EPSG:4326", mapping(outline))

    @cached_property
    def centre_lon(self) -> float:
        """Longitude of the footprint's centroid (degrees)."""
        return float(shape(self.footprint).centroid.x)


def read_product_header(href: str, *, with_sample: bool = False) -> ProductHeader | str:
    """Everything later steps need of the raster at ``href``, from one open.

    Args:
        href: what GDAL opens (a path, or ``/vsizip/...`` inside a zip).
        with_sample: read the dB sample too (a tile of pixels: worth it only for the
            products likely to be used; the others are not sampled).

    Returns:
        The header, or why the raster cannot be used (unreadable, no CRS).
    """
    try:
        with rasterio.open(href) as src:
            if src.crs is None:
                return "no CRS (not a georeferenced product)"
            return _header_of(src, with_sample)
    except Exception as err:  # rasterio raises several types for unreadable files
        return f"cannot be read ({type(err).__name__}: {err})"


def header_fields(header: ProductHeader) -> dict[str, Any]:
    """The header's grid and dB sample as STAC asset fields, for the steps after the
    items are made (``asset_grid`` and ``asset_decibel_sample`` read them back)."""
    fields: dict[str, Any] = {
        GRID_FIELD: {"crs_wkt": header.crs.to_wkt(), "bounds": list(header.bounds)}
    }
    if header.sample is not None:
        fields[SAMPLE_FIELD] = {
            "in_decibels": header.sample.in_decibels,
            "median": header.sample.median,
        }
    return fields


def asset_grid(asset: Any) -> tuple[str, tuple[float, float, float, float]]:
    """(CRS as WKT, bounds in it) of an asset: carried by its item, else read."""
    grid = asset.extra_fields.get(GRID_FIELD)
    if grid is None:
        with rasterio.open(asset.href) as src:
            return (src.crs.to_wkt() if src.crs else ""), tuple(src.bounds)
    return grid["crs_wkt"], tuple(grid["bounds"])


def asset_decibel_sample(asset: Any) -> DecibelSample:
    """The dB sample of an asset: carried by its item, else read (one more open)."""
    sample = asset.extra_fields.get(SAMPLE_FIELD)
    if sample is None:
        with rasterio.open(asset.href) as src:
            return read_decibel_sample(src)
    return DecibelSample(in_decibels=bool(sample["in_decibels"]), median=float(sample["median"]))


def read_decibel_sample(src: Any) -> DecibelSample:
    """Judge a decimated read (at most ``SAMPLE_PX`` a side) of band 1 of an open raster."""
    shape_px = (min(src.height, SAMPLE_PX), min(src.width, SAMPLE_PX))
    values = src.read(1, out_shape=shape_px, masked=True).astype("float64").compressed()
    finite = values[np.isfinite(values) & (values != 0)]
    median = float(np.median(finite)) if finite.size else float("nan")
    return DecibelSample(in_decibels=looks_like_decibels(finite), median=median)


def first_tag(tags: dict[str, str], keys: tuple[str, ...]) -> str | None:
    """The value of the first of ``keys`` the tags hold (stripped), else None."""
    for key in keys:
        if tags.get(key):
            return tags[key].strip()
    return None


def bounds_of(geometry: dict[str, Any]) -> tuple[float, float, float, float]:
    """(west, south, east, north) of a GeoJSON geometry."""
    return tuple(float(v) for v in shape(geometry).bounds)  # type: ignore[return-value]


def _header_of(src: Any, with_sample: bool) -> ProductHeader:
    band_info: dict[str, Any] = {"data_type": src.dtypes[0]}
    if src.nodata is not None and not np.isnan(src.nodata):
        band_info["nodata"] = float(src.nodata)
    return ProductHeader(
        tags={str(k).upper(): str(v) for k, v in src.tags().items()},
        crs=src.crs,
        bounds=tuple(float(v) for v in src.bounds),  # type: ignore[arg-type]
        band_info=band_info,
        sample=_try_sample(src) if with_sample else None,
    )


def _try_sample(src: Any) -> DecibelSample | None:
    """The sample, or None where the pixels cannot be read (a truncated file): read
    again, with its error, only if the product is used (``refuse_decibels``)."""
    try:
        return read_decibel_sample(src)
    except RasterioError:
        return None
