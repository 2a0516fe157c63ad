from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rioxarray  # noqa: F401
from odc.geo.geobox import GeoBox
from shapely.geometry import box

from sarslide import conventions as cv
from sarslide.errors import ConfigError, DataSelectionError
from sarslide.sources.labels import rasterize_labels


@pytest.fixture
def grid() -> GeoBox:
    return GeoBox.from_bbox(
        (500_000, 4_700_000, 500_640, 4_700_480), crs="EPSG:32654", resolution=10
    )


def _write(tmp_path: Path, frame: gpd.GeoDataFrame, name: str) -> Path:
    path = tmp_path / name
    frame.to_file(path)
    return path


def test_labels_in_lonlat_rasterised_on_utm_grid(tmp_path: Path, grid: GeoBox) -> None:
    # two 100 m x 50 m rectangles, defined in UTM, stored in EPSG:4326 as GeoJSON
    rects = [
        box(500_100, 4_700_100, 500_200, 4_700_150),
        box(500_400, 4_700_300, 500_500, 4_700_350),
    ]
    utm = gpd.GeoDataFrame(geometry=rects, crs="EPSG:32654")
    path = _write(tmp_path, utm.to_crs("EPSG:4326"), "labels.geojson")
    labels = rasterize_labels(path, grid, chunk_px=16)
    assert labels.dims == cv.SPATIAL_DIMS and labels.chunks is not None
    values = labels.values
    assert values.dtype == np.uint8 and set(np.unique(values)) == {0, 1}
    # 10 x 5 pixels each; reprojection can move edges by a hair: allow one pixel row
    assert abs(int(values.sum()) - 100) <= 10
    # pixel centred at (500_150, 4_700_125) is inside the first rectangle
    assert int(labels.sel(x=500_155, y=4_700_125, method="nearest")) == 1
    assert int(labels.sel(x=500_305, y=4_700_125, method="nearest")) == 0
    assert labels.rio.crs.to_epsg() == 32654


def test_labels_exact_count_in_same_crs_across_blocks(tmp_path: Path, grid: GeoBox) -> None:
    rect = box(500_150, 4_700_150, 500_350, 4_700_250)  # 20 x 10 px, spans several 8 px blocks
    path = _write(tmp_path, gpd.GeoDataFrame(geometry=[rect], crs="EPSG:32654"), "l.gpkg")
    labels = rasterize_labels(path, grid, chunk_px=8)
    assert int(labels.sum()) == 200


def test_labels_outside_aoi_give_clear_error(tmp_path: Path, grid: GeoBox) -> None:
    far = gpd.GeoDataFrame(geometry=[box(10.0, 45.0, 10.1, 45.1)], crs="EPSG:4326")
    path = _write(tmp_path, far, "far.geojson")
    with pytest.raises(DataSelectionError, match="overlap the AOI"):
        rasterize_labels(path, grid)


def test_missing_labels_file(tmp_path: Path, grid: GeoBox) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        rasterize_labels(tmp_path / "nope.gpkg", grid)
