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
indices for any chunking), written by ``warped_vrt_xml`` as ``gdalwarp -of VRT`` would
with GDAL's default transformer (``tolerance_px`` 0.125) and blocks that span the full
grid width. The approximate transformer interpolates source positions along each
destination row it is given, recursively bisecting the row until the midpoint error is
below the threshold: with full-width blocks every row it sees is the grid's whole row,
as when ``gdalwarp`` warps the grid in one piece, whatever the chunk (rasterio's
``WarpedVRT`` has 512-px blocks, so wider grids depended on the chunking). The kernel
scale is fixed for the layer (``XSCALE`` / ``YSCALE`` warp options) to the value
``gdalwarp`` computes when it warps the whole grid in one piece (``gdal_kernel_scale``):
the destination size over the source window that GDAL's ``ComputeSourceWindow`` finds
from 21 points on each edge of the grid. Below 0.95 GDAL widens the kernel by 1/scale
(a bilinear warp from a 30 m product onto a rotated 30 m grid in another UTM zone
averages over ~1.06 source pixels, not 1). The result equals ``gdalwarp -r bilinear``
with no options when gdalwarp warps the grid in one piece (its warp memory ``-wm``
holds it); ``tolerance_px=0`` gives GDAL's exact transformer (``gdalwarp -et 0``).
A chunk costs the resampling of its rows' full width.
``GdalwarpRioReader`` plugs this into odc-stac for RTC and DEM, with gdalwarp's default
(approximate) transformer; ``warp_to_grid`` serves the InSAR products too, with the
exact transformer (``tolerance_px=0``: nearest phase pixels as pyproj finds them): one
warp for every layer.
"""

from __future__ import annotations

import logging
import math
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

import numpy as np
import rasterio
import rasterio.warp
from odc.loader._reader import resolve_dst_dtype, resolve_dst_nodata, resolve_src_nodata
from odc.loader._rio import RioReader
from rasterio.io import MemoryFile
from rasterio.windows import Window as RioWindow

if TYPE_CHECKING:
    from affine import Affine

logger = logging.getLogger(__name__)

# gdalwarp's default error threshold of the approximate transformer (-et), in pixels.
GDAL_TOLERANCE_PX = 0.125
BLOCK_ROWS = 64  # rows of a warped block when the window's rows share no larger divisor
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
    tolerance_px: float = GDAL_TOLERANCE_PX,
) -> np.ndarray:
    """Warp one band of ``source`` onto a window of a grid, as ``gdalwarp`` warps the whole
    grid in one piece (chunk-invariant).

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
        tolerance_px: GDAL's transformer error threshold in pixels (default 0.125,
            gdalwarp's; 0: the exact transformer, ``gdalwarp -et 0``).

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
    scale = gdal_kernel_scale(source, dst_crs, grid_transform, grid_shape)
    xml = warped_vrt_xml(
        source,
        dst_crs=dst_crs,
        grid_transform=grid_transform,
        grid_shape=grid_shape,
        resampling=resampling,
        band=band,
        src_nodata=source.nodatavals[band - 1] if src_nodata is None else src_nodata,
        dst_nodata=dst_nodata,
        dtype=dtype,
        tolerance_px=tolerance_px,
        kernel_scale=scale,
        block_rows=_block_rows(row0, row1),
    )
    with MemoryFile(xml.encode(), ext=".vrt") as memfile, memfile.open() as vrt:
        vrt.read(1, out=out, window=RioWindow(col0, row0, col1 - col0, row1 - row0))
    return out


def warped_vrt_xml(
    src: Any,
    *,
    dst_crs: Any,
    grid_transform: Affine,
    grid_shape: tuple[int, int],
    resampling: str,
    band: int,
    src_nodata: float | None,
    dst_nodata: float,
    dtype: str,
    tolerance_px: float,
    kernel_scale: tuple[float, float],
    block_rows: int,
) -> str:
    """A GDAL warped VRT (as ``gdalwarp -of VRT`` writes it) of the whole grid whose
    blocks span the full grid width, so that every destination row GDAL's warper hands
    to the transformer is the grid's whole row, as in a one-piece ``gdalwarp``."""
    rows, cols = grid_shape
    dst_wkt = escape(rasterio.crs.CRS.from_user_input(dst_crs).to_wkt())
    transformer = (
        f"<GenImgProjTransformer><SrcGeoTransform>{_geotransform(src.transform)}"
        f"</SrcGeoTransform><DstGeoTransform>{_geotransform(grid_transform)}"
        "</DstGeoTransform><ReprojectTransformer><ReprojectionTransformer>"
        f"<SourceSRS>{escape(src.crs.to_wkt())}</SourceSRS><TargetSRS>{dst_wkt}</TargetSRS>"
        "</ReprojectionTransformer></ReprojectTransformer></GenImgProjTransformer>"
    )
    if tolerance_px > 0:
        transformer = (
            f"<ApproxTransformer><MaxError>{tolerance_px!r}</MaxError>"
            f"<BaseTransformer>{transformer}</BaseTransformer></ApproxTransformer>"
        )
    src_nodata_xml = (
        "" if src_nodata is None else f"<SrcNoDataReal>{_number(src_nodata)}</SrcNoDataReal>"
    )
    gdal_type = rasterio.dtypes._gdal_typename(dtype)
    return (
        f'<VRTDataset rasterXSize="{cols}" rasterYSize="{rows}" subClass="VRTWarpedDataset">'
        f"<SRS>{dst_wkt}</SRS><GeoTransform>{_geotransform(grid_transform)}</GeoTransform>"
        f'<VRTRasterBand dataType="{gdal_type}" band="1" subClass="VRTWarpedRasterBand">'
        f"<NoDataValue>{_number(dst_nodata)}</NoDataValue></VRTRasterBand>"
        f"<BlockXSize>{cols}</BlockXSize><BlockYSize>{block_rows}</BlockYSize>"
        f"<GDALWarpOptions><ResampleAlg>{_RESAMPLE_ALG.get(resampling, resampling)}"
        '</ResampleAlg><Option name="INIT_DEST">NO_DATA</Option>'
        f'<Option name="XSCALE">{kernel_scale[0]!r}</Option>'
        f'<Option name="YSCALE">{kernel_scale[1]!r}</Option>'
        f'<SourceDataset relativeToVRT="0">{escape(_gdal_name(src))}</SourceDataset>'
        f"<Transformer>{transformer}</Transformer><BandList>"
        f'<BandMapping src="{band}" dst="1">{src_nodata_xml}'
        f"<DstNoDataReal>{_number(dst_nodata)}</DstNoDataReal></BandMapping>"
        "</BandList></GDALWarpOptions></VRTDataset>"
    )


# rasterio's resampling names that GDAL's warp options spell otherwise
_RESAMPLE_ALG = {"nearest": "near", "cubic_spline": "cubicspline"}


def _gdal_name(src: Any) -> str:
    """The name GDAL opened ``src`` by (``/vsicurl/`` for a URL), else rasterio's."""
    files = src.files
    return str(files[0]) if files else str(src.name)


def _geotransform(transform: Affine) -> str:
    return ",".join(repr(float(v)) for v in transform.to_gdal())


def _number(value: float) -> str:
    return "nan" if np.isnan(value) else repr(float(value))


def _block_rows(row0: int, row1: int) -> int:
    """Rows of a warped block: a divisor of the window's first and last row when one
    is large enough, so the blocks read cover the window and nothing more. (Values do
    not depend on it: each destination row is transformed and resampled on its own.)"""
    rows = math.gcd(row0, row1)
    return rows if rows >= BLOCK_ROWS else BLOCK_ROWS


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


class GdalwarpRioReader(RioReader):
    """odc-stac reader warping each asset with ``warp_to_grid`` as ``gdalwarp`` does with
    its defaults (approximate transformer, ``-et 0.125``; bilinear kernel scaled for the
    whole grid): RTC and DEM layers. The InSAR layers use ``warp_to_grid`` with the exact
    transformer instead (``sources.insar_pairs``).

    ``grid`` is the whole cube grid: each chunk odc-stac asks for is read as a window
    of it (chunk-invariant). Returns the whole chunk; pixels the asset does not cover hold the fill
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
