"""COG overviews reduced while the rows stream in: the levels and values GDAL builds.

The reference everywhere is the COG the writer made before (GDAL's COG driver building
the overviews from the finished GeoTIFF), made here by turning the streaming off.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rasterio
import rasterio.shutil
from affine import Affine

from sarslide.inference import geotiff
from sarslide.inference.cog_overviews import (
    OverviewPyramid,
    compute_average_windows,
    list_overview_shapes,
)
from sarslide.inference.geotiff import GeoTiffRowWriter, RasterGrid
from sarslide.inference.sinks import (
    BINARY_BAND,
    BINARY_NODATA,
    PROBABILITY_BAND,
    binarize_probability,
)

BINARY = {"dtype": "uint8", "nodata": BINARY_NODATA, "resampling": "NEAREST", **BINARY_BAND}


def _grid(height: int, width: int) -> RasterGrid:
    return RasterGrid(
        height, width, rasterio.crs.CRS.from_epsg(32654), Affine(10, 0, 500000, 0, -10, 4800000)
    )


def _probability(height: int, width: int, seed: int = 0) -> np.ndarray:
    """A smooth map with a NaN swath edge, NaN holes and single NaN pixels."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    prob = 0.5 + 0.4 * np.sin(xx / 37.0) * np.cos(yy / 23.0) + rng.normal(0, 0.05, (height, width))
    prob = prob.astype(np.float32)
    prob[(xx * 0.9 + yy * 0.3) < min(height, width) * 0.2] = np.nan  # outside the swath
    prob[rng.random((height, width)) < 0.01] = np.nan
    prob[height // 3 : height // 3 + 5, width // 2 : width // 2 + 7] = np.nan
    return prob


def _write(path: Path, values: np.ndarray, band_rows: int, *, stream: bool, **kwargs) -> Path:
    """The rows in bands of ``band_rows``; ``stream=False``: GDAL builds the overviews."""
    with pytest.MonkeyPatch.context() as patch:
        if not stream:
            patch.setattr(geotiff, "can_stream_overviews", lambda *args: False)
        grid = _grid(*values.shape)
        with GeoTiffRowWriter(path, grid, tags={"event": "test"}, **kwargs) as writer:
            for start in range(0, values.shape[0], band_rows):
                writer.write_rows(start, values[start : start + band_rows])
    return path


def _levels(path: Path) -> list[np.ndarray]:
    with rasterio.open(path) as src:
        count = len(src.overviews(1))
        levels = [src.read(1)]
    for level in range(count):
        with rasterio.open(path, overview_level=level) as src:
            levels.append(src.read(1))
    return levels


def _ulps(a: np.ndarray, b: np.ndarray) -> int:
    both = ~np.isnan(a) & ~np.isnan(b)
    diff = a[both].view(np.int32).astype(np.int64) - b[both].view(np.int32).astype(np.int64)
    return int(np.abs(diff).max(initial=0))


@pytest.mark.parametrize(
    ("height", "width"),
    [
        (1100, 1300),  # even then odd sides
        (1025, 513),  # odd: windows of 2.00x px
        (523, 2049),
        (513, 3),  # 3 px wide: one column of 3-px windows
        (600, 1),  # one column
        (1, 1100),  # one row
        (300, 300),  # smaller than a tile: no overviews
        (260, 4100),  # a 4x-wide scene
    ],
)
def test_streamed_overviews_equal_gdal_average_and_nearest(
    tmp_path: Path, height: int, width: int
) -> None:
    prob = _probability(height, width)
    binary = binarize_probability(prob, 0.5)
    for name, values, kwargs in (
        ("probability", prob, PROBABILITY_BAND),
        ("landslides", binary, BINARY),
    ):
        new = _write(tmp_path / f"{name}.tif", values, 97, stream=True, **kwargs)
        old = _write(tmp_path / f"{name}_gdal.tif", values, 97, stream=False, **kwargs)
        new_levels, old_levels = _levels(new), _levels(old)
        assert [a.shape for a in new_levels] == [a.shape for a in old_levels]
        assert len(new_levels) - 1 == len(list_overview_shapes(height, width, 512))
        for ours, gdal in zip(new_levels, old_levels, strict=True):
            np.testing.assert_array_equal(np.isnan(ours), np.isnan(gdal))
            if values.dtype == np.float32:
                assert _ulps(ours, gdal) <= 2  # measured: 0 (both sum in float64)
            else:
                np.testing.assert_array_equal(ours, gdal)


def test_streamed_cog_is_the_same_file_as_gdal_builds(tmp_path: Path) -> None:
    """Same bytes: tiles, compression, predictor, overviews, tags, description, unit."""
    prob = _probability(1100, 1300, seed=3)
    for name, values, kwargs in (
        ("probability", prob, PROBABILITY_BAND),
        ("landslides", binarize_probability(prob, 0.5), BINARY),
    ):
        new = _write(tmp_path / f"{name}.tif", values, 200, stream=True, **kwargs)
        old = _write(tmp_path / f"{name}_gdal.tif", values, 200, stream=False, **kwargs)
        assert new.read_bytes() == old.read_bytes()
        with rasterio.open(new) as src:
            assert src.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"  # GDAL's COG layout
            assert src.tags(ns="IMAGE_STRUCTURE")["COMPRESSION"] == "DEFLATE"
            assert src.block_shapes == [(512, 512)] and src.overviews(1) == [2, 4]
            assert src.descriptions == (kwargs["description"],) and src.units == ("1",)
            assert src.tags()["event"] == "test"
            assert src.tags(1) == {**kwargs["band_tags"], **src.tags(1)}


@pytest.mark.parametrize(
    ("dtype", "nodata", "resampling", "streamed"),
    [
        ("float64", float("nan"), "AVERAGE", True),
        ("int16", -1, "NEAREST", True),
        ("uint8", 255, "AVERAGE", False),  # GDAL rounds integer means: it builds them
        ("float32", -9999.0, "AVERAGE", False),  # a nodata other than NaN: GDAL too
    ],
)
def test_other_types_give_the_same_file_as_gdal_builds(
    tmp_path: Path, monkeypatch, dtype: str, nodata: float, resampling: str, streamed: bool
) -> None:
    values = _probability(700, 1030) * 100
    values = np.where(np.isnan(values), nodata, values).astype(dtype)
    options = {"dtype": dtype, "nodata": nodata, "resampling": resampling}
    reference = _write(tmp_path / "gdal.tif", values, 120, stream=False, **options)
    given = _overviews_given_to_the_cog_driver(monkeypatch)
    ours = _write(tmp_path / "ours.tif", values, 120, stream=True, **options)
    assert given == [[2, 4] if streamed else []]
    assert ours.read_bytes() == reference.read_bytes()


def test_the_cog_driver_only_copies_the_overviews(tmp_path: Path, monkeypatch) -> None:
    """The overviews exist when the COG driver starts (it is not asked to build them)."""
    given = _overviews_given_to_the_cog_driver(monkeypatch)
    _write(tmp_path / "p.tif", _probability(1100, 1300), 300, stream=True, **PROBABILITY_BAND)
    _write(tmp_path / "b.tif", np.zeros((1100, 1300), np.uint8), 300, stream=True, **BINARY)
    assert given == [[2, 4], [2, 4]]


def test_rows_out_of_order_fall_back_to_gdal(tmp_path: Path) -> None:
    prob = _probability(700, 1100)
    path = tmp_path / "p.tif"
    with GeoTiffRowWriter(path, _grid(700, 1100)) as writer:
        writer.write_rows(350, prob[350:])
        writer.write_rows(0, prob[:350])
    reference = _write(tmp_path / "ref.tif", prob, 350, stream=False)
    for ours, gdal in zip(_levels(path), _levels(reference), strict=True):
        np.testing.assert_array_equal(ours, gdal)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.tif", "ref.tif"]


@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_an_error_mid_run_leaves_nothing(tmp_path: Path, error: type[BaseException]) -> None:
    with pytest.raises(error), GeoTiffRowWriter(tmp_path / "p.tif", _grid(1100, 1300)) as writer:
        writer.write_rows(0, _probability(1100, 1300)[:600])
        raise error("interrupted")
    assert list(tmp_path.iterdir()) == []


def test_a_failed_cog_copy_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(geotiff.rasterio.shutil, "copy", fail)
    with pytest.raises(OSError, match="disk full"):
        _write(tmp_path / "p.tif", _probability(1100, 1300), 500, stream=True)
    assert list(tmp_path.iterdir()) == []


def test_average_windows_cover_each_source_pixel_once() -> None:
    """Odd sides: windows of ratio = src / dst px whose weights add up to the source."""
    for src, dst in [(2199, 1099), (5, 2), (3, 1), (1, 1), (1024, 512)]:
        index, weight = compute_average_windows(src, dst)
        coverage = np.bincount(index.ravel(), weight.ravel(), minlength=src)
        np.testing.assert_allclose(coverage, 1.0, atol=1e-9)
        np.testing.assert_allclose(weight.sum(axis=1), src / dst, rtol=1e-12)


def test_pyramid_rows_arrive_in_any_band_sizes() -> None:
    prob = _probability(1300, 1100)
    outputs = []
    for band in (1, 64, 1300):
        pyramid = OverviewPyramid(1300, 1100, resampling="AVERAGE", block_px=512)
        levels = [np.full(shape, -1.0, np.float32) for shape in pyramid.shapes]
        for start in range(0, 1300, band):
            for level, (row, rows) in zip(
                levels, pyramid.push(prob[start : start + band]), strict=True
            ):
                level[row : row + rows.shape[0]] = rows
        assert pyramid.complete
        outputs.append(levels)
    for levels in outputs[1:]:
        for a, b in zip(levels, outputs[0], strict=True):
            np.testing.assert_array_equal(a, b)


def test_a_failed_open_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    """An overview file that cannot be created: the files opened before it are gone."""
    opened: list[int] = []
    open_staged = GeoTiffRowWriter._open_staged

    def fail_third(self, path, height, width, **kwargs):
        opened.append(height)
        if len(opened) == 3:
            raise OSError("no space left on device")
        return open_staged(self, path, height, width, **kwargs)

    monkeypatch.setattr(GeoTiffRowWriter, "_open_staged", fail_third)
    with (
        pytest.raises(OSError, match="no space"),
        GeoTiffRowWriter(tmp_path / "p.tif", _grid(1100, 1300)),
    ):
        pass
    assert opened == [1100, 550, 275] and list(tmp_path.iterdir()) == []


def test_a_failing_overview_close_still_closes_everything_and_leaves_nothing(
    tmp_path: Path,
) -> None:
    target = tmp_path / "p.tif"
    writer = GeoTiffRowWriter(target, _grid(1100, 1300))
    with pytest.raises(OSError, match="No space"), writer:
        writer.write_rows(0, np.full((1100, 1300), 0.25, np.float32))
        first = writer._overviews[0]
        real_close = first.close

        def full_disk() -> None:
            real_close()
            raise OSError(28, "No space left on device")

        first.close = full_disk  # type: ignore[method-assign]
        main = writer._dataset
    assert main.closed and all(ds.closed for ds in writer._overviews or [first])
    assert list(tmp_path.iterdir()) == []


def _overviews_given_to_the_cog_driver(monkeypatch) -> list[list[int]]:
    """The overview factors of each source handed to the COG driver, as they come."""
    given: list[list[int]] = []
    copy = rasterio.shutil.copy

    def spy(src, dst, **options):
        with rasterio.open(src) as source:
            given.append(source.overviews(1))
        return copy(src, dst, **options)

    monkeypatch.setattr(geotiff.rasterio.shutil, "copy", spy)
    return given
