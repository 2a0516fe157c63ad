"""GeoTIFF (COG) and polygon outputs open in GIS tools with the cube's CRS and bounds."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from rasterio.features import rasterize

from sarslide.errors import CrsError
from sarslide.inference.geotiff import GeoTiffRowWriter, grid_from_cube, read_raster, write_geotiff
from sarslide.inference.polygons import polygonize_binary_map, write_polygons
from sarslide.inference.sinks import BINARY_NODATA, binarize_probability
from tests.factories import make_minimal_cube


@pytest.fixture
def grid():
    return grid_from_cube(make_minimal_cube(height=40, width=56))


def test_grid_from_cube_matches_rioxarray(grid) -> None:
    cube = make_minimal_cube(height=40, width=56)
    assert (grid.height_px, grid.width_px) == (40, 56)
    assert grid.crs.to_epsg() == 32654
    np.testing.assert_allclose(grid.bounds, cube.rio.bounds())
    assert grid.pixel_area_m2 == pytest.approx(100.0)


@pytest.mark.parametrize(("crs", "match"), [("EPSG:4326", "geographic"), (None, "no CRS")])
def test_grid_refuses_geographic_or_missing_crs(crs, match) -> None:
    with pytest.raises(CrsError, match=match):
        grid_from_cube(make_minimal_cube(crs=crs))


def test_row_writer_writes_a_cog_with_crs_bounds_and_nodata(tmp_path: Path, grid) -> None:
    values = np.random.default_rng(0).random((40, 56)).astype(np.float32)
    values[5:9, 10:20] = np.nan
    path = tmp_path / "probability.tif"
    with GeoTiffRowWriter(path, grid) as writer:
        writer.write_rows(0, values[:17])
        writer.write_rows(17, values[17:])
    with rasterio.open(path) as src:
        assert src.crs.to_epsg() == 32654
        np.testing.assert_allclose(tuple(src.bounds), grid.bounds)
        assert src.profile["tiled"] and src.compression is not None
        np.testing.assert_array_equal(src.read(1), values)
        assert np.isnan(src.nodata)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["probability.tif"]  # no temp left


def test_row_writer_cog_of_many_tiles_reads_back_exactly(tmp_path: Path, grid) -> None:
    """Tiles compressed on several threads and the overviews: values as written."""
    from dataclasses import replace

    big = replace(grid, height_px=1100, width_px=1300)
    values = np.random.default_rng(1).random((1100, 1300)).astype(np.float32)
    path = tmp_path / "probability.tif"
    with GeoTiffRowWriter(path, big) as writer:
        for start in range(0, 1100, 300):
            writer.write_rows(start, values[start : start + 300])
    with rasterio.open(path) as src:
        assert (src.height, src.width) == (1100, 1300) and src.block_shapes[0] == (512, 512)
        assert src.overviews(1)  # for quick display at small scales
        np.testing.assert_array_equal(src.read(1), values)


def test_row_writer_leaves_nothing_on_error(tmp_path: Path, grid) -> None:
    with pytest.raises(RuntimeError), GeoTiffRowWriter(tmp_path / "p.tif", grid) as writer:
        writer.write_rows(0, np.zeros((3, 56), np.float32))
        raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


def test_read_raster_decimates(tmp_path: Path, grid) -> None:
    write_geotiff(np.ones((40, 56), np.float32), tmp_path / "a.tif", grid)
    data, small = read_raster(tmp_path / "a.tif", max_size_px=20)
    assert max(data.shape) <= 20
    np.testing.assert_allclose(small.bounds, grid.bounds)


def _blobs(shape: tuple[int, int]) -> np.ndarray:
    prob = np.zeros(shape, np.float32)
    prob[3:10, 4:15] = 0.9  # a rectangle
    prob[20:30, 20:40] = 0.7  # a frame with a hole
    prob[23:27, 25:35] = 0.1
    prob[35, 50] = 0.8  # one pixel
    prob[36, 51] = 0.8  # diagonal neighbour: a separate 4-connected region
    prob[0:2, 50:56] = np.nan
    return prob


def test_polygons_rasterise_back_to_the_binary_map(tmp_path: Path, grid) -> None:
    prob = _blobs((grid.height_px, grid.width_px))
    binary = binarize_probability(prob, 0.5)
    assert (binary == BINARY_NODATA).sum() == 12
    frame = polygonize_binary_map(binary, prob, grid)
    assert len(frame) == 4
    assert frame.crs.to_epsg() == 32654
    burned = rasterize(frame.geometry, out_shape=binary.shape, transform=grid.transform)
    np.testing.assert_array_equal(burned, binary == 1)
    np.testing.assert_allclose(frame["area_m2"].sum(), (binary == 1).sum() * 100.0)
    assert frame.loc[0, "area_m2"] == pytest.approx((200 - 40) * 100.0)
    assert frame.loc[0, "mean_probability"] == pytest.approx(0.7)
    write_polygons(frame, tmp_path / "landslides.gpkg")
    back = gpd.read_file(tmp_path / "landslides.gpkg")
    assert back.crs.to_epsg() == 32654 and len(back) == 4
    np.testing.assert_allclose(back.total_bounds, frame.total_bounds)
    assert gpd.list_layers(tmp_path / "landslides.gpkg")["name"].tolist() == ["landslides"]
    # GeoJSON: WGS84 lon/lat (RFC 7946), named after the file, not the temporary one
    write_polygons(frame, tmp_path / "landslides.geojson")
    text = json.loads((tmp_path / "landslides.geojson").read_text())
    assert text["name"] == "landslides" and "crs" not in text
    back = gpd.read_file(tmp_path / "landslides.geojson")
    assert back.crs.to_epsg() == 4326 and len(back) == 4
    np.testing.assert_allclose(back.total_bounds, frame.to_crs(4326).total_bounds, rtol=1e-6)


def test_no_landslide_gives_an_empty_layer_that_opens(tmp_path: Path, grid) -> None:
    prob = np.zeros((grid.height_px, grid.width_px), np.float32)
    frame = polygonize_binary_map(binarize_probability(prob, 0.5), prob, grid)
    assert len(frame) == 0
    write_polygons(frame, tmp_path / "none.gpkg")
    back = gpd.read_file(tmp_path / "none.gpkg")
    assert len(back) == 0 and back.crs.to_epsg() == 32654


def test_each_polygons_mean_probability_is_the_mean_over_its_pixels(grid) -> None:
    # many small regions with NaN among them: the per-region mean of scipy's ndimage
    from scipy import ndimage

    rng = np.random.default_rng(3)
    shape = (grid.height_px, grid.width_px)
    prob = rng.random(shape).astype(np.float32)
    prob[rng.random(shape) < 0.01] = np.nan
    binary = binarize_probability(prob, 0.7)
    frame = polygonize_binary_map(binary, prob, grid)
    labels, n = ndimage.label(binary == 1)
    expected = ndimage.mean(np.nan_to_num(prob), labels, np.arange(1, n + 1))
    assert len(frame) == n > 50
    np.testing.assert_allclose(
        np.sort(frame["mean_probability"].to_numpy()), np.sort(expected), rtol=1e-12
    )
