"""Chunk-invariant warping: a layer does not depend on how it is cut into dask chunks.

GDAL's warper computes the source position of each destination pixel from the pixel
index and the geotransform of the raster being warped. Warping each chunk as a raster
of its own (the old way) makes three things depend on where the chunk starts:

- the approximate transformer (``gdalwarp -et 0.125``) interpolates source positions
  linearly between exactly transformed points of the chunk: about 0.5 % of the pixels
  of a lat/lon InSAR product warped onto UTM read other source pixels (phase off by up
  to 3 rad, coherence by 0.004) when ``chunk_px`` changes;
- the pixel-to-pixel affine GDAL composes has another offset per chunk, which changes
  the last bit of a bilinear value in ~0.03 % of the pixels;
- the resampling scale of the averaging kernels when downsampling is estimated per chunk.

Here every chunk is a *window read* of one warped VRT of the whole grid (same pixel
indices, same internal blocks for any chunking), with the exact transformer (error
threshold ``EXACT_TOLERANCE_PX``: rasterio 1.4's ``WarpedVRT`` refuses 0, which leaves
GDAL without a transformer, and ``rasterio.warp.reproject`` takes no threshold at all)
and the scale fixed for the layer (``XSCALE`` / ``YSCALE`` warp options).
``ExactRioReader`` plugs this into odc-stac (RTC and DEM); ``warp_to_grid`` serves the
InSAR products: one warp for every layer.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import numpy as np
import rasterio
from odc.loader._reader import resolve_dst_dtype, resolve_dst_nodata, resolve_src_nodata
from odc.loader._rio import RioReader
from rasterio.enums import Resampling
from rasterio.vrt import WarpedVRT
from rasterio.warp import transform_bounds
from rasterio.windows import Window as RioWindow

if TYPE_CHECKING:
    from affine import Affine

logger = logging.getLogger(__name__)

# Smallest positive threshold given to GDAL's approximate transformer (a C float in
# rasterio): every point is transformed exactly unless interpolation is exact anyway.
EXACT_TOLERANCE_PX = 1e-30

Window = tuple[tuple[int, int], tuple[int, int]]  # ((row0, row1), (col0, col1))


def warp_to_grid(
    source: Any,
    *,
    dst_crs: Any,
    grid_transform: Affine,
    grid_shape: tuple[int, int],
    window: Window | None = None,
    resampling: str,
    band: int = 1,
    src_nodata: float | None = None,
    dst_nodata: float = float("nan"),
    dtype: str = "float32",
) -> np.ndarray:
    """Warp one band of ``source`` onto a window of a grid, exactly and chunk-invariantly.

    Args:
        source: an open rasterio dataset or a path/URL GDAL opens.
        dst_crs: the grid's CRS (anything rasterio takes).
        grid_transform: affine transform of the whole grid.
        grid_shape: (rows, cols) of the whole grid.
        window: the part to return, ((row0, row1), (col0, col1)); default: all.
        resampling: a ``rasterio.enums.Resampling`` name (``"bilinear"``, ``"nearest"``).
        band: 1-based band index.
        src_nodata: source nodata (default: the file's).
        dst_nodata: value of pixels the source does not cover.
        dtype: output dtype.

    Returns:
        The window's array; pixels without source data hold ``dst_nodata``.
    """
    if isinstance(source, (str, bytes)) or hasattr(source, "__fspath__"):
        with rasterio.open(source) as src:
            return warp_to_grid(
                src,
                dst_crs=dst_crs,
                grid_transform=grid_transform,
                grid_shape=grid_shape,
                window=window,
                resampling=resampling,
                band=band,
                src_nodata=src_nodata,
                dst_nodata=dst_nodata,
                dtype=dtype,
            )

    (row0, row1), (col0, col1) = window or ((0, grid_shape[0]), (0, grid_shape[1]))
    out = np.full((row1 - row0, col1 - col0), dst_nodata, dtype=dtype)
    if out.size == 0:
        return out
    scale_x, scale_y = layer_scale(source, dst_crs, grid_transform)
    with WarpedVRT(
        source,
        crs=dst_crs,
        transform=grid_transform,
        width=grid_shape[1],
        height=grid_shape[0],
        resampling=Resampling[resampling],
        src_nodata=source.nodatavals[band - 1] if src_nodata is None else src_nodata,
        nodata=dst_nodata,
        tolerance=EXACT_TOLERANCE_PX,
        dtype=dtype,
        XSCALE=repr(scale_x),
        YSCALE=repr(scale_y),
    ) as vrt:
        vrt.read(band, out=out, window=RioWindow(col0, row0, col1 - col0, row1 - row0))
    return out


def layer_scale(src: Any, dst_crs: Any, dst_transform: Affine) -> tuple[float, float]:
    """Destination pixels per source pixel along x and y, for the whole source.

    GDAL computes this ratio per chunk when it is not given; here it is the ratio of
    the source footprint (in the destination CRS) to its size in pixels, the value
    GDAL finds when it warps the whole source at once.
    """
    left, bottom, right, top = transform_bounds(src.crs, dst_crs, *src.bounds, densify_pts=21)
    dst_px_x = (right - left) / abs(dst_transform.a)
    dst_px_y = (top - bottom) / abs(dst_transform.e)
    return dst_px_x / src.width, dst_px_y / src.height


class ExactRioReader(RioReader):  # type: ignore[misc]
    """odc-stac reader warping each asset with ``warp_to_grid`` (exact, chunk-invariant).

    ``grid`` is the whole cube grid: each chunk odc-stac asks for is read as a window
    of it. Returns the whole chunk; pixels the asset does not cover hold the fill
    value, so odc-stac's mosaic (first valid pixel wins) is unchanged.
    """

    def __init__(self, src: Any, ctx: Any, grid: Any = None) -> None:
        super().__init__(src, ctx)
        self._grid = grid

    def read(
        self,
        cfg: Any,
        dst_geobox: Any,
        *,
        dst: np.ndarray | None = None,
        selection: Any = None,
    ) -> tuple[tuple[slice, slice], np.ndarray]:
        band = int(self._src.band or 1)
        grid, window = _grid_window(self._grid, dst_geobox)
        with rasterio.open(self._src.uri, "r", sharing=False) as rdr:
            src_nodata = resolve_src_nodata(rdr.nodatavals[band - 1], cfg)
            dtype = resolve_dst_dtype(rdr.dtypes[band - 1], cfg)
            dst_nodata = resolve_dst_nodata(dtype, cfg, src_nodata)
            if dst_nodata is None:
                dst_nodata = np.nan if np.issubdtype(dtype, np.floating) else 0
            out = warp_to_grid(
                rdr,
                dst_crs=grid.crs.to_wkt(),
                grid_transform=grid.transform,
                grid_shape=tuple(grid.shape),
                window=window,
                resampling=str(cfg.resampling),
                band=band,
                src_nodata=src_nodata,
                dst_nodata=dst_nodata,
                dtype=str(np.dtype(dtype)),
            )
        roi = (slice(0, out.shape[0]), slice(0, out.shape[1]))
        if dst is not None:
            dst[roi] = out
            return roi, dst[roi]
        return roi, out


def _grid_window(grid: Any, chunk: Any) -> tuple[Any, Window]:
    """``chunk`` as a window of ``grid`` when it is one (same CRS and pixel size, whole
    pixel offset); else the chunk is its own grid."""
    rows, cols = chunk.shape
    own = (chunk, ((0, rows), (0, cols)))
    if grid is None or grid.crs != chunk.crs:
        return own
    g, c = grid.transform, chunk.transform
    if (g.a, g.b, g.d, g.e) != (c.a, c.b, c.d, c.e):
        return own
    col0, row0 = ~g @ (c.c, c.f)
    if abs(col0 - round(col0)) > 1e-6 or abs(row0 - round(row0)) > 1e-6:
        return own
    col0, row0 = round(col0), round(row0)
    if row0 < 0 or col0 < 0 or row0 + rows > grid.shape[0] or col0 + cols > grid.shape[1]:
        return own
    return grid, ((row0, row0 + rows), (col0, col0 + cols))
