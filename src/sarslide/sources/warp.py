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
- the resampling scale of the kernels when downsampling is estimated per chunk.

Here every chunk is a *window read* of one warped VRT of the whole grid (same pixel
indices, same internal blocks for any chunking), with the exact transformer (error
threshold ``EXACT_TOLERANCE_PX``: rasterio 1.4's ``WarpedVRT`` refuses 0, which leaves
GDAL without a transformer, and ``rasterio.warp.reproject`` takes no threshold at all)
and the kernel scale fixed for the layer (``XSCALE`` / ``YSCALE`` warp options) to the
value ``gdalwarp`` computes when it warps the whole grid in one piece
(``gdal_kernel_scale``): the destination size over the source window that GDAL's
``ComputeSourceWindow`` finds from 21 points on each edge of the grid. Below 0.95 GDAL
widens the kernel by 1/scale (a bilinear warp from a 30 m product onto a rotated 30 m
grid in another UTM zone averages over ~1.06 source pixels, not 1). The result equals
``gdalwarp -r bilinear -et 0`` (GDAL's exact transformer) over the same grid; with
``tolerance_px=0.125`` (GDAL's default approximate transformer, which interpolates source
positions along each row of the warped region and so depends on the chunking) it equals
``gdalwarp -r bilinear`` with no options.
``ExactRioReader`` plugs this into odc-stac (RTC and DEM); ``warp_to_grid`` serves the
InSAR products: one warp for every layer.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import numpy as np
import rasterio
import rasterio.warp
from odc.loader._reader import resolve_dst_dtype, resolve_dst_nodata, resolve_src_nodata
from odc.loader._rio import RioReader
from rasterio.enums import Resampling
from rasterio.vrt import WarpedVRT
from rasterio.windows import Window as RioWindow

if TYPE_CHECKING:
    from affine import Affine

logger = logging.getLogger(__name__)

# Smallest positive threshold given to GDAL's approximate transformer (a C float in
# rasterio): every point is transformed exactly unless interpolation is exact anyway.
EXACT_TOLERANCE_PX = 1e-30
SAMPLE_STEPS = 21  # points per edge GDAL's ComputeSourceWindow transforms (SAMPLE_STEPS)

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
    tolerance_px: float = EXACT_TOLERANCE_PX,
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
        tolerance_px: GDAL's transformer error threshold (default: exact; 0.125 is
            gdalwarp's default, chunk-dependent, for comparisons with it).

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
                tolerance_px=tolerance_px,
            )

    (row0, row1), (col0, col1) = window or ((0, grid_shape[0]), (0, grid_shape[1]))
    out = np.full((row1 - row0, col1 - col0), dst_nodata, dtype=dtype)
    if out.size == 0:
        return out
    scale_x, scale_y = gdal_kernel_scale(source, dst_crs, grid_transform, grid_shape)
    with WarpedVRT(
        source,
        crs=dst_crs,
        transform=grid_transform,
        width=grid_shape[1],
        height=grid_shape[0],
        resampling=Resampling[resampling],
        src_nodata=source.nodatavals[band - 1] if src_nodata is None else src_nodata,
        nodata=dst_nodata,
        tolerance=tolerance_px,
        dtype=dtype,
        XSCALE=repr(scale_x),
        YSCALE=repr(scale_y),
    ) as vrt:
        vrt.read(band, out=out, window=RioWindow(col0, row0, col1 - col0, row1 - row0))
    return out


def gdal_kernel_scale(
    src: Any, dst_crs: Any, grid_transform: Affine, grid_shape: tuple[int, int]
) -> tuple[float, float]:
    """GDAL's kernel scale (destination pixels per source pixel) for the whole grid.

    As ``GDALWarpOperation::ComputeSourceWindow`` finds it when ``gdalwarp`` warps the
    grid in one piece: 21 points on each edge of the grid (pixel corners) are
    transformed into source pixel coordinates; the scale is the grid size over the
    extent they span. GDAL clips that extent to the source raster; here it is not
    clipped, so that a burst covering part of the grid gets the scale of the mosaic it
    belongs to: for a grid inside one product, or inside the ``gdalbuildvrt`` mosaic of
    products on one pixel grid (the bursts of one UTM zone), this is the scale
    ``gdalwarp`` uses. (Where the grid reaches past the source, ``gdalwarp`` on the
    single file splits the region by its own heuristics and its scale follows them.)
    """
    rows, cols = grid_shape
    ratio = np.linspace(0.0, 1.0, SAMPLE_STEPS)
    xs = np.concatenate(
        [ratio * cols, ratio * cols, np.zeros_like(ratio), np.full_like(ratio, cols)]
    )
    ys = np.concatenate(
        [np.zeros_like(ratio), np.full_like(ratio, rows), ratio * rows, ratio * rows]
    )
    g, inverse = grid_transform, ~src.transform
    geo_x, geo_y = g.a * xs + g.b * ys + g.c, g.d * xs + g.e * ys + g.f
    sx, sy = (np.asarray(v) for v in rasterio.warp.transform(dst_crs, src.crs, geo_x, geo_y))
    px = inverse.a * sx + inverse.b * sy + inverse.c
    py = inverse.d * sx + inverse.e * sy + inverse.f
    finite = np.isfinite(px) & np.isfinite(py)
    if not finite.any():
        return 1.0, 1.0
    return (
        _axis_scale(float(px[finite].min()), float(px[finite].max()), cols),
        _axis_scale(float(py[finite].min()), float(py[finite].max()), rows),
    )


def _axis_scale(low: float, high: float, dst_size: int) -> float:
    """``nDstSize / dfSrcSizeRaw`` along one axis, unclipped (1 when empty)."""
    return float(dst_size / (high - low)) if high > low else 1.0


class ExactRioReader(RioReader):
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
