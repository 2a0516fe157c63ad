"""GeoTIFF outputs: the cube's grid, row-streamed writing, Cloud-Optimized GeoTIFF at the end.

Rows are written into a temporary uncompressed tiled GeoTIFF next to the target
(windowed writes, memory bounded), and the COG's overview levels are reduced from the
same rows as they arrive into one temporary GeoTIFF per level (``cog_overviews``, the
levels and values GDAL would build). When the writer closes cleanly, GDAL's COG driver
copies the raster with those overviews (a VRT listing them; it only compresses them)
into a second temporary file that is renamed onto the target. An error leaves no file.
"""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import rasterio
import rasterio.shutil
import rioxarray  # noqa: F401  (registers .rio)
import xarray as xr
from affine import Affine
from rasterio.enums import Resampling
from rasterio.transform import array_bounds
from rasterio.windows import Window

from sarslide import conventions as cv
from sarslide.atomic import replacing, temporary_sibling
from sarslide.crs_text import format_crs
from sarslide.errors import CrsError
from sarslide.inference.cog_overviews import (
    OverviewPyramid,
    can_stream_overviews,
    write_overview_vrt,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RasterGrid:
    """A raster's size, CRS and affine transform (of pixel corners)."""

    height_px: int
    width_px: int
    crs: Any  # rasterio.crs.CRS
    transform: Any  # affine.Affine

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(left, bottom, right, top) in CRS units."""
        west, south, east, north = array_bounds(self.height_px, self.width_px, self.transform)
        return (float(west), float(south), float(east), float(north))

    @property
    def pixel_area_m2(self) -> float:
        return abs(self.transform.a * self.transform.e - self.transform.b * self.transform.d)


def grid_from_cube(cube: xr.Dataset | xr.DataArray) -> RasterGrid:
    """The cube's pixel grid; refuses a cube without a CRS or in a geographic CRS.

    Raises:
        CrsError: no CRS, or a geographic (degree) CRS: areas and scale bars need metres.
    """
    crs = cube.rio.crs
    if crs is None:
        raise CrsError(
            "The cube has no CRS (no 'spatial_ref' coordinate); write one with "
            "cube.rio.write_crs('EPSG:32654') before predicting."
        )
    if crs.is_geographic:
        raise CrsError(
            f"The cube's CRS {format_crs(crs)} is geographic (degrees); landslide maps need a "
            "projected CRS in metres. Reproject the cube, e.g. with "
            "cube.rio.reproject(cube.rio.estimate_utm_crs())."
        )
    return RasterGrid(
        height_px=int(cube.sizes[cv.DIM_Y]),
        width_px=int(cube.sizes[cv.DIM_X]),
        crs=crs,
        transform=_transform_from_coords(cube),
    )


def _transform_from_coords(cube: xr.Dataset | xr.DataArray) -> Any:
    """Affine transform of pixel corners from the (pixel-centre) x/y coordinates."""
    x = np.asarray(cube[cv.DIM_X].values, dtype=np.float64)
    y = np.asarray(cube[cv.DIM_Y].values, dtype=np.float64)
    if x.size < 2 or y.size < 2:
        res_x, res_y = (float(r) for r in cube.rio.resolution())
    else:
        res_x, res_y = (x[-1] - x[0]) / (x.size - 1), (y[-1] - y[0]) / (y.size - 1)
    return Affine(res_x, 0.0, x[0] - res_x / 2, 0.0, res_y, y[0] - res_y / 2)


# GDAL keeps written blocks in its cache (default: 5% of RAM) until it is full, so the
# memory of a streamed write would grow with the raster; a small cache keeps it flat.
GDAL_CACHE_MB = 128
COG_BLOCK_PX = 512  # tiles of the COG; overview levels halve the raster down to one tile
_STAGED = {"driver": "GTiff", "tiled": True, "blockxsize": 256, "blockysize": 256}


class GeoTiffRowWriter:
    """A ``RowSink`` that streams rows into a Cloud-Optimized GeoTIFF.

    Use as a context manager; the COG appears at ``path`` only when the block exits
    without an error.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        grid: RasterGrid,
        *,
        dtype: str = "float32",
        nodata: float | int = float("nan"),
        resampling: str = "AVERAGE",
        tags: dict[str, str] | None = None,
        description: str | None = None,
        unit: str | None = None,
        band_tags: dict[str, str] | None = None,
    ) -> None:
        self.path = Path(path)
        self.description = description
        self.unit = unit
        self.band_tags = band_tags or {}
        self.grid = grid
        self.dtype = dtype
        self.nodata = nodata
        self.resampling = resampling
        self.tags = tags or {}
        self._tmp = temporary_sibling(self.path, tag="rows")
        self._dataset: Any = None
        self._env: Any = None
        self._pyramid: OverviewPyramid | None = None  # overviews reduced while streaming
        self._overview_tmps: list[Path] = []
        self._overviews: list[Any] = []  # their open datasets, largest first
        self._rows_written = 0

    def __enter__(self) -> GeoTiffRowWriter:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._env = rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB)
        self._env.__enter__()
        try:
            self._open_all()
        except BaseException as error:  # nothing left behind when a file cannot be opened
            self.__exit__(type(error), error, None)
            raise
        return self

    def _open_all(self) -> None:
        self._dataset = self._open_staged(self._tmp, self.grid.height_px, self.grid.width_px)
        if can_stream_overviews(self.resampling, self.dtype, self.nodata):
            self._pyramid = OverviewPyramid(
                self.grid.height_px,
                self.grid.width_px,
                resampling=self.resampling,
                block_px=COG_BLOCK_PX,
            )
            for height, width in self._pyramid.shapes:
                self._overview_tmps.append(temporary_sibling(self.path, tag="rows"))
                self._overviews.append(
                    self._open_staged(self._overview_tmps[-1], height, width, scaled=True)
                )

    def _open_staged(self, path: Path, height: int, width: int, *, scaled: bool = False) -> Any:
        """An uncompressed tiled GeoTIFF of ``height x width`` px over the grid."""
        transform = self.grid.transform
        if scaled:  # an overview level: the grid's extent in fewer, larger pixels
            transform = transform @ Affine.scale(
                self.grid.width_px / width, self.grid.height_px / height
            )
        return rasterio.open(
            path,
            "w",
            height=height,
            width=width,
            count=1,
            dtype=self.dtype,
            crs=self.grid.crs,
            transform=transform,
            nodata=self.nodata,
            BIGTIFF="IF_SAFER",
            **_STAGED,
        )

    def write_rows(self, row_start: int, rows: np.ndarray) -> None:
        if rows.shape[0] == 0:
            return
        rows = rows.astype(self.dtype, copy=False)
        window = Window(0, row_start, self.grid.width_px, rows.shape[0])
        self._dataset.write(rows, 1, window=window)
        if self._pyramid is None:
            return
        if row_start != self._rows_written:  # not in order: GDAL builds the overviews
            logger.debug("rows out of order for %s; GDAL builds its overviews", self.path)
            self._close_overviews()
            return
        self._rows_written += rows.shape[0]
        for dataset, (start, done) in zip(self._overviews, self._pyramid.push(rows), strict=True):
            if done.shape[0]:
                dataset.write(done, 1, window=Window(0, start, done.shape[1], done.shape[0]))

    def _close_overviews(self) -> None:
        for dataset in self._overviews:
            dataset.close()
        self._overviews = []
        self._pyramid = None

    def __exit__(self, exc_type: object, *rest: object) -> None:
        staged = [self._tmp, *self._overview_tmps]
        try:
            complete = self._pyramid is not None and self._pyramid.complete
            # every dataset is closed even when a close (a full disk flushing its cache)
            # or a tag fails: overviews first, the full resolution last
            with contextlib.ExitStack() as closing:
                if self._dataset is not None:
                    closing.callback(self._dataset.close)
                for dataset in self._overviews:
                    closing.callback(dataset.close)
                if self._dataset is not None:
                    if self.tags:
                        self._dataset.update_tags(**self.tags)
                    if self.description:
                        self._dataset.set_band_description(1, self.description)
                    if self.unit is not None:
                        self._dataset.set_band_unit(1, self.unit)
                    if self.band_tags:
                        self._dataset.update_tags(1, **self.band_tags)
            if exc_type is None:
                source = self._tmp
                if complete and self._overview_tmps:  # GDAL only compresses them
                    source = self._tmp.with_suffix(".vrt")
                    staged.append(source)
                    write_overview_vrt(source, self._tmp, self._overview_tmps)
                convert_to_cog(source, self.path, resampling=self.resampling)
        finally:
            for path in staged:
                path.unlink(missing_ok=True)
            if self._env is not None:
                self._env.__exit__(None, None, None)
                self._env = None


def convert_to_cog(
    src: str | os.PathLike[str], dst: str | os.PathLike[str], *, resampling: str = "AVERAGE"
) -> Path:
    """Copy a GeoTIFF (or VRT) to a Cloud-Optimized GeoTIFF (DEFLATE level 1, 512 px tiles,
    overviews), compressing on all cores.

    Overviews ``src`` has are copied as they are (GDAL's ``OVERVIEWS=AUTO``); without,
    the driver builds them with ``resampling``.
    """
    target = Path(dst)
    with replacing(target) as tmp:
        with rasterio.open(src) as source:
            predictor = (
                "FLOATING_POINT"
                if np.issubdtype(np.dtype(source.dtypes[0]), np.floating)
                else "YES"
            )
        with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB):
            rasterio.shutil.copy(
                src,
                tmp,
                driver="COG",
                COMPRESS="DEFLATE",
                # level 1, not GDAL's 6: 2.6 -> 1.6 s for a Hokkaido-sized float32 map,
                # 2 % larger (a model's probabilities barely compress at any level)
                LEVEL=1,
                PREDICTOR=predictor,
                BLOCKSIZE=COG_BLOCK_PX,
                OVERVIEW_RESAMPLING=resampling,
                BIGTIFF="IF_SAFER",
                # compression of the tiles on every core (the model is done by now): the
                # same bytes, 4.6 -> 2.9 s for a Hokkaido-sized float32 map on 2 cores
                NUM_THREADS="ALL_CPUS",
            )
    logger.debug("wrote COG %s", target)
    return target


def write_geotiff(
    array: np.ndarray,
    path: str | os.PathLike[str],
    grid: RasterGrid,
    *,
    nodata: float | int = float("nan"),
    resampling: str = "AVERAGE",
) -> Path:
    """Write a small in-memory (y, x) array as a COG on ``grid`` (atomic)."""
    with GeoTiffRowWriter(
        path, grid, dtype=str(array.dtype), nodata=nodata, resampling=resampling
    ) as writer:
        writer.write_rows(0, array)
    return Path(path)


def read_raster(
    path: str | os.PathLike[str], *, max_size_px: int | None = None
) -> tuple[np.ndarray, RasterGrid]:
    """Read band 1 (nodata as NaN for floats), decimated to at most ``max_size_px`` a side.

    Decimated reads use the COG's overviews, so a quicklook of a huge map stays small.
    """
    with rasterio.open(path) as src:
        scale = 1
        if max_size_px:
            scale = max(1, -(-max(src.height, src.width) // max_size_px))
        shape = (-(-src.height // scale), -(-src.width // scale))
        data = src.read(1, out_shape=shape, resampling=Resampling.nearest)
        transform = src.transform @ src.transform.scale(src.width / shape[1], src.height / shape[0])
        grid = RasterGrid(shape[0], shape[1], src.crs, transform)
    return data, grid
