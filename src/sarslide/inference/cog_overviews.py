"""COG overview levels computed while the rows stream in, as GDAL's COG driver makes them.

GDAL's COG driver (3.10, the one rasterio ships) halves the raster, rounding down and
never below 1 px, until both sides fit in one block, and computes every level from the
level above it (cascading):

- ``AVERAGE``: each overview pixel is the mean of the source pixels it covers, a pixel
  cut by the window's edge weighted by the part inside (sides that halve exactly: plain
  2 x 2 means; an odd side: windows of 2.00x px); nodata pixels (NaN) are left out, and
  an overview pixel is nodata where all of its are.
- ``NEAREST``: the source pixel at ``int(0.5 + i * ratio)`` on each axis.

:class:`OverviewPyramid` receives the finished rows of the full-resolution raster in
order and hands back, level by level, the overview rows they complete, so that the
overviews are ready when the last row arrives. Given to the COG driver as the source's
overviews (:func:`write_overview_vrt`), the driver only compresses them instead of
building them after the forward (GDAL reads a source's overviews with its default
``OVERVIEWS=AUTO``). Memory: a few source rows per level.
"""

from __future__ import annotations

import math
import os
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import rasterio

_GDAL_TYPES = {  # numpy dtype -> a VRT's dataType
    "uint8": "Byte",
    "int8": "Int8",
    "uint16": "UInt16",
    "int16": "Int16",
    "uint32": "UInt32",
    "int32": "Int32",
    "float32": "Float32",
    "float64": "Float64",
}


def can_stream_overviews(resampling: str, dtype: str, nodata: float | int | None) -> bool:
    """Whether :class:`OverviewPyramid` makes GDAL's overviews for this raster: NEAREST
    of integers and floats; AVERAGE of floats whose nodata is NaN (GDAL rounds integer
    averages). Elsewhere GDAL builds the overviews."""
    if str(np.dtype(dtype)) not in _GDAL_TYPES:
        return False
    if resampling.upper() == "NEAREST":
        return True
    floating = np.issubdtype(np.dtype(dtype), np.floating)
    nan_nodata = nodata is not None and math.isnan(float(nodata))
    return resampling.upper() == "AVERAGE" and floating and nan_nodata


def list_overview_shapes(height_px: int, width_px: int, block_px: int) -> list[tuple[int, int]]:
    """The (height, width) of each overview level the COG driver makes, largest first."""
    shapes: list[tuple[int, int]] = []
    while height_px > block_px or width_px > block_px:
        height_px, width_px = max(1, height_px // 2), max(1, width_px // 2)
        shapes.append((height_px, width_px))
    return shapes


def compute_average_windows(src_px: int, dst_px: int) -> tuple[np.ndarray, np.ndarray]:
    """Source indices and weights ``(dst_px, k)`` of each overview pixel on one axis.

    Window ``i`` covers ``[i * ratio, (i + 1) * ratio)`` source pixels; the first and last
    are weighted by the part inside (GDAL's rule, with its 1e-8 tolerance). Unused
    columns (shorter windows) point at the window's first pixel with weight 0.
    """
    ratio = src_px / dst_px
    i = np.arange(dst_px, dtype=np.float64)
    lo, hi = i * ratio, (i + 1) * ratio
    first = (lo + 1e-8).astype(np.int64)
    stop = np.ceil(hi - 1e-8).astype(np.int64)
    stop = np.minimum(np.where(stop == first, first + 1, stop), src_px)
    size = stop - first
    offsets = np.arange(int(size.max()))
    inside = offsets[None, :] < size[:, None]
    index = np.where(inside, first[:, None] + offsets[None, :], first[:, None])
    weight = inside.astype(np.float64)
    last = size - 1
    rows = np.arange(dst_px)
    weight[rows, last] = np.where(size > 1, 1.0 - (stop - hi), 1.0)
    weight[:, 0] = np.where(size > 1, 1.0 - (lo - first), 1.0)
    return index, weight


def compute_nearest_index(src_px: int, dst_px: int) -> np.ndarray:
    """The source index of each overview pixel on one axis (GDAL's NEAREST)."""
    ratio = src_px / dst_px
    index = (0.5 + np.arange(dst_px, dtype=np.float64) * ratio).astype(np.int64)
    return np.minimum(index, src_px - 1)


class _AxisWindows:
    """The AVERAGE windows of one axis, read as strided views where they allow it."""

    def __init__(self, src_px: int, dst_px: int) -> None:
        self.index, weight = compute_average_windows(src_px, dst_px)
        self.weight = None if np.all(weight == 1) else weight  # None: plain sums
        self.total_weight = weight.sum(axis=1)  # of each window, all pixels valid
        width = self.index.shape[1]
        # a side halved (rounded down): window i starts at 2 i, all of one width
        self.strided = bool(
            np.array_equal(self.index, 2 * np.arange(dst_px)[:, None] + np.arange(width))
            and np.all(weight > 0)
        )

    def take(self, array: np.ndarray, k: int, first: int, stop: int, offset: int) -> np.ndarray:
        """Pixel ``k`` of windows ``first:stop`` along axis 0 of ``array`` (whose row 0
        is source pixel ``offset``), times its weight (as a column)."""
        if self.strided:
            start = 2 * first + k - offset
            picked = array[start : start + 2 * (stop - first) - 1 : 2]
        else:
            picked = array[self.index[first:stop, k] - offset]
        if self.weight is None:
            return picked
        return picked * self.weight[first:stop, k].reshape((-1,) + (1,) * (array.ndim - 1))

    def reduce(self, array: np.ndarray, first: int, stop: int, offset: int) -> np.ndarray:
        """Weighted sums of windows ``first:stop`` along axis 0 of ``array``."""
        total = self.take(array, 0, first, stop, offset)
        for k in range(1, self.index.shape[1]):
            total = total + self.take(array, k, first, stop, offset)
        return np.asarray(total)


class _AverageLevel:
    """One AVERAGE level: weighted means of the rows of the level above, NaN left out."""

    def __init__(self, src: tuple[int, int], dst: tuple[int, int]) -> None:
        self.y = _AxisWindows(src[0], dst[0])
        self.x = _AxisWindows(src[1], dst[1])
        self.y_stop = self.y.index.max(axis=1) + 1  # rows needed before a row is done
        self.height_px = dst[0]
        self.rows_in = 0
        self.rows_out = 0
        self.first_row = 0  # source row of the buffers' first row
        self.sums = np.empty((0, dst[1]))
        self.counts: np.ndarray | None = None

    def _reduce_x(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sums of the valid values and of their weights along x, in float64 (as GDAL)."""
        nan = np.isnan(rows)
        values = rows.astype(np.float64)
        width = self.x.index.shape[0]
        if not nan.any():  # no nodata: the windows' full weights
            sums = self.x.reduce(values.T, 0, width, 0).T
            return sums, np.broadcast_to(self.x.total_weight, sums.shape)
        np.copyto(values, 0.0, where=nan)
        valid = ~nan
        if self.x.weight is None:
            valid = valid.view(np.uint8)  # counts of at most a few pixels
        sums = self.x.reduce(values.T, 0, width, 0).T
        counts = self.x.reduce(valid.T, 0, width, 0).T
        return sums, counts

    def push(self, rows: np.ndarray) -> np.ndarray:
        sums, counts = self._reduce_x(rows)
        self.sums = np.concatenate([self.sums, sums])
        self.counts = counts if self.counts is None else np.concatenate([self.counts, counts])
        self.rows_in += rows.shape[0]
        done = int(np.searchsorted(self.y_stop, self.rows_in, side="right"))
        first = self.rows_out
        if done == first:
            return np.empty((0, self.sums.shape[1]), rows.dtype)
        total = self.y.reduce(self.sums, first, done, self.first_row)
        covered = self.y.reduce(self.counts, first, done, self.first_row)
        self.rows_out = done
        if done < self.height_px:  # keep the rows from where the next window starts
            drop = int(self.y.index[done, 0]) - self.first_row
            self.sums, self.counts = self.sums[drop:], self.counts[drop:]
            self.first_row += drop
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = (total / covered).astype(rows.dtype)  # float32 or float64, as the raster
        mean[covered == 0] = np.nan  # the quiet NaN GDAL writes (0 / 0 sets the sign bit)
        return mean


class _NearestLevel:
    """One NEAREST level: picked rows and columns of the level above."""

    def __init__(self, src: tuple[int, int], dst: tuple[int, int]) -> None:
        self.y_index = compute_nearest_index(src[0], dst[0])
        self.x_index = compute_nearest_index(src[1], dst[1])
        self.x_columns: Any = self.x_index
        if np.array_equal(self.x_index, 2 * np.arange(dst[1])):  # every other column
            self.x_columns = slice(0, 2 * dst[1] - 1, 2)
        self.rows_in = 0

    def push(self, rows: np.ndarray) -> np.ndarray:
        lo, hi = np.searchsorted(self.y_index, [self.rows_in, self.rows_in + rows.shape[0]])
        picked = rows[self.y_index[lo:hi] - self.rows_in]
        self.rows_in += rows.shape[0]
        return picked[:, self.x_columns]


_PIECE_ROWS = 64  # rows reduced at a time (a 5000 px wide float64 piece: 2.6 MB)


class OverviewPyramid:
    """Every COG overview level of a ``(height, width)`` raster, fed row band by row band.

    ``push(rows)`` takes the next full-width rows of the raster and returns, per level
    (largest first), the overview rows they finished, with the row each starts at.
    """

    def __init__(self, height_px: int, width_px: int, *, resampling: str, block_px: int) -> None:
        if resampling.upper() not in ("AVERAGE", "NEAREST"):
            raise ValueError(f"resampling={resampling!r}: AVERAGE or NEAREST")
        self.shapes = list_overview_shapes(height_px, width_px, block_px)
        level = _AverageLevel if resampling.upper() == "AVERAGE" else _NearestLevel
        sources = [(height_px, width_px), *self.shapes][: len(self.shapes)]
        self._levels: list[Any] = [level(s, d) for s, d in zip(sources, self.shapes, strict=True)]
        self._rows_out = [0] * len(self.shapes)

    def push(self, rows: np.ndarray) -> list[tuple[int, np.ndarray]]:
        """The overview rows ``rows`` completed: ``(row_start, rows)`` per level."""
        finished: list[tuple[int, np.ndarray]] = []
        for n, level in enumerate(self._levels):
            # a level at a time, in pieces that stay in the cache
            pieces = [
                level.push(rows[row : row + _PIECE_ROWS])
                for row in range(0, rows.shape[0], _PIECE_ROWS)
            ]
            if len(pieces) == 1:
                rows = pieces[0]
            elif pieces:
                rows = np.concatenate(pieces)
            else:
                rows = np.empty((0, self.shapes[n][1]), rows.dtype)
            finished.append((self._rows_out[n], rows))
            self._rows_out[n] += rows.shape[0]
        return finished

    @property
    def complete(self) -> bool:
        """Whether every level received all its rows."""
        return all(
            done == shape[0] for done, shape in zip(self._rows_out, self.shapes, strict=True)
        )


def write_overview_vrt(
    vrt: str | os.PathLike[str], base: str | os.PathLike[str], overviews: Sequence[Path]
) -> Path:
    """A VRT of GeoTIFF ``base`` (georeferencing, nodata, descriptions, units, tags) whose
    band lists the ``overviews`` GeoTIFFs as its overviews."""
    with rasterio.open(base) as src:
        root = ET.Element("VRTDataset", rasterXSize=str(src.width), rasterYSize=str(src.height))
        ET.SubElement(root, "SRS").text = src.crs.to_wkt()
        ET.SubElement(root, "GeoTransform").text = ", ".join(
            repr(float(v)) for v in src.transform.to_gdal()
        )
        _add_metadata(root, src.tags())
        band = ET.SubElement(root, "VRTRasterBand", dataType=_GDAL_TYPES[src.dtypes[0]], band="1")
        if src.descriptions[0]:
            ET.SubElement(band, "Description").text = src.descriptions[0]
        if src.nodata is not None:
            nodata = "nan" if math.isnan(src.nodata) else repr(src.nodata)
            ET.SubElement(band, "NoDataValue").text = nodata
        if src.units[0]:
            ET.SubElement(band, "UnitType").text = src.units[0]
        _add_metadata(band, src.tags(1))
        _add_source(band, "SimpleSource", Path(base))
        for path in overviews:
            _add_source(band, "Overview", path)
    Path(vrt).write_text(ET.tostring(root, encoding="unicode"), encoding="utf-8")
    return Path(vrt)


def _add_metadata(parent: ET.Element, tags: dict[str, str]) -> None:
    if tags:
        metadata = ET.SubElement(parent, "Metadata")
        for key, value in tags.items():
            ET.SubElement(metadata, "MDI", key=key).text = value


def _add_source(band: ET.Element, tag: str, path: Path) -> None:
    source = ET.SubElement(band, tag)
    ET.SubElement(source, "SourceFilename", relativeToVRT="0").text = str(path.resolve())
    ET.SubElement(source, "SourceBand").text = "1"
