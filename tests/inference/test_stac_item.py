"""Every map folder carries a STAC Item that validates offline and describes its files."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pystac
import pytest
import rasterio
import shapely
from shapely.geometry import shape

from sarslide.datacube.io import write_cube
from sarslide.inference.config import PredictConfig
from sarslide.inference.outputs import predict_to_directory
from sarslide.inference.stac_item import item_id, link_href
from tests.factories import make_minimal_cube
from tests.stac_validation import validate_offline

from .conftest import write_fake_checkpoint


@pytest.fixture
def predicted(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A map folder predicted from a written cube, with a model card beside the model."""
    cube = make_minimal_cube(height=70, width=90, timesteps=6)  # 3 before, 2 after
    cube.attrs.update(
        event_start="2018-09-05T18:08:00", event_end="2018-09-07", event_name="Iburi test"
    )
    cube_path = write_cube(cube, tmp_path / "inputs" / "cube.zarr")
    checkpoint = write_fake_checkpoint(tmp_path / "inputs" / "model.ckpt")
    card = {"card_format": "sarslide-model-card/1", "model_name": "unet-tiny"}
    (tmp_path / "inputs" / "model.json").write_text(json.dumps(card))
    (tmp_path / "inputs" / "model.md").write_text("# unet-tiny\n")
    cfg = PredictConfig.model_validate(
        {
            "checkpoint": str(checkpoint),
            "cube": str(cube_path),
            "output_dir": str(tmp_path / "maps" / "iburi"),
            "tile_size_px": 64,
            "overlap_px": 16,
        }
    )
    out = predict_to_directory(cfg, progress=False)
    assert out.item_json == out.directory / "item.json"
    return out.directory, cube_path, checkpoint


def test_map_item_validates_offline_and_describes_every_file(
    predicted: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = predicted[0]
    item = validate_offline(folder / "item.json", monkeypatch, expect_extensions=3)
    assert item["type"] == "Feature" and item["stac_version"] == "1.1.0"
    assert item["id"] == "sarslide-iburi-test-20180905"
    props = item["properties"]
    assert props["datetime"] is None
    assert pd.Timestamp(props["start_datetime"]) == pd.Timestamp("2018-09-05T18:08:00Z")
    assert pd.Timestamp(props["end_datetime"]) == pd.Timestamp("2018-09-07T00:00:00Z")
    assert props["sarslide:model"] == "unet-tiny" and props["sarslide:threshold"] == 0.5
    assert len(props["sarslide:acquisitions_before"]) == 2
    expected = {
        "probability",
        "landslides",
        "polygons",
        "polygons_geojson",
        "quicklook",
        "error_map",
        "report",
        "metrics",
        "run_config",
        "config",
    }
    assert set(item["assets"]) == expected
    with rasterio.open(folder / "probability.tif") as src:
        assert props["proj:code"] == f"EPSG:{src.crs.to_epsg()}" == "EPSG:32654"
        assert props["proj:shape"] == [src.height, src.width] == [70, 90]
        assert props["proj:transform"] == list(src.transform)[:6]
        assert props["proj:bbox"] == list(src.bounds)
        footprint = shape(item["geometry"])
        lon_lat = rasterio.warp.transform_bounds(src.crs, "EPSG:4326", *src.bounds)
    assert shapely.box(*item["bbox"]).contains(footprint)
    np.testing.assert_allclose(item["bbox"], lon_lat, atol=1e-6)
    for key, asset in item["assets"].items():
        path = folder / asset["href"]
        assert path.is_file(), key
        assert asset["file:size"] == path.stat().st_size
        assert asset["file:checksum"] == "1220" + hashlib.sha256(path.read_bytes()).hexdigest()
    bands = item["assets"]["probability"]["raster:bands"]
    assert bands == [
        {"data_type": "float32", "nodata": "nan", "spatial_resolution": 10.0, "sampling": "area"}
    ]
    assert item["assets"]["landslides"]["raster:bands"][0]["nodata"] == 255
    assert item["assets"]["probability"]["type"].startswith("image/tiff; application=geotiff")


def test_map_item_links_the_cube_and_the_model_card(predicted: tuple[Path, Path, Path]) -> None:
    folder, cube_path, checkpoint = predicted
    item = json.loads((folder / "item.json").read_text())
    links = {(link["rel"], link["type"]): link["href"] for link in item["links"]}
    cube_href = links[("derived_from", "application/vnd+zarr")]
    assert not Path(cube_href).is_absolute()  # the folder and its cube move together
    assert (folder / cube_href).resolve() == cube_path.resolve()
    assert (folder / links[("describedby", "application/json")]).resolve() == (
        checkpoint.with_suffix(".json").resolve()
    )
    assert (folder / links[("describedby", "text/markdown")]).resolve() == (
        checkpoint.with_suffix(".md").resolve()
    )


def test_item_id_and_hrefs() -> None:
    start = pd.Timestamp("2024-05-24T15:00").to_pydatetime()
    assert item_id("Enga, Papua New Guinea", start) == "sarslide-enga-papua-new-guinea-20240524"
    assert item_id("***", start) == "sarslide-map-20240524"
    assert link_href("s3://bucket/cube.zarr", Path("/x")) == "s3://bucket/cube.zarr"
    assert link_href("/data/a/cube.zarr", Path("/data/b/map")) == "../../a/cube.zarr"


def test_the_offline_validation_refuses_a_broken_item(
    predicted: tuple[Path, Path, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    item = json.loads((predicted[0] / "item.json").read_text())
    item["properties"]["proj:shape"] = "70x90"
    item["assets"]["probability"]["raster:bands"][0]["data_type"] = "f32"
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(item))
    with pytest.raises(pystac.errors.STACValidationError):
        validate_offline(broken, monkeypatch, expect_extensions=3)


def test_an_in_memory_cube_gets_no_cube_link(tmp_path: Path) -> None:
    from affine import Affine
    from rasterio.crs import CRS

    from sarslide.inference.geotiff import RasterGrid
    from sarslide.inference.stac_item import MapDescription, build_map_item

    grid = RasterGrid(20, 30, CRS.from_epsg(32754), Affine(10, 0, 760000, 0, -10, 9407000))
    window = (pd.Timestamp("2024-05-24T15:00").to_pydatetime(),) * 2
    description = MapDescription("map", window, cube_href="<in-memory dataset>")
    item = build_map_item(tmp_path, grid, description).to_dict()
    assert not item["links"] and not item["assets"]
    west, south, east, north = item["bbox"]
    assert 143.3 < west < east < 143.4 and -5.4 < south < north < -5.3  # Enga, PNG
    remote = MapDescription("map", window, cube_href="s3://bucket/enga.zarr")
    links = build_map_item(tmp_path, grid, remote).to_dict()["links"]
    assert [link["href"] for link in links] == ["s3://bucket/enga.zarr"]
