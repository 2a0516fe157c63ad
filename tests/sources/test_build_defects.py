"""The defects real files exposed (issue 11, part 3); each test fails on the old code."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from sarslide import conventions as cv
from sarslide.crs_text import format_crs
from sarslide.datacube import open_cube, validate_cube
from sarslide.errors import CubeValidationError, DataSelectionError
from sarslide.sources.build import build_cube
from tests.factories import make_minimal_cube
from tests.sources.stac_fixtures import (
    AOI_BBOX,
    LocalStacApi,
    add_dem_tile,
    make_build_config,
    make_hyp3_zip,
    populate_dem,
    populate_sentinel1,
    serve_stac,
)

DATA = Path(__file__).parents[1] / "data"
PYRATE = DATA / "insar-pyrate-mexico"


@pytest.fixture(scope="module")
def stac():
    with serve_stac(populate_sentinel1, populate_dem, _populate_dem_elsewhere) as api:
        api.add_collection("empty-dem")
        yield api


def _populate_dem_elsewhere(api: LocalStacApi) -> None:
    """A DEM collection whose only tile is in the Alps (the server ignores bboxes, as a
    misconfigured catalog or a wrong collection would)."""
    api.add_collection("dem-alps")
    values = np.full((120, 120), 1500.0, dtype="float32")
    add_dem_tile(
        api,
        "dem-alps",
        "alps",
        "dem_alps.tif",
        values,
        upper_left=(7.0, 46.0),
        bbox=[7.0, 45.97, 7.03, 46.0],
    )


def test_a_dem_that_misses_the_aoi_is_refused_at_build_time(
    stac: LocalStacApi, tmp_path: Path
) -> None:
    cfg = make_build_config(stac, dem_collection="dem-alps")
    with pytest.raises(DataSelectionError) as err:
        build_cube(cfg, tmp_path / "c.zarr", progress=False)
    message = str(err.value)
    assert "covers 0.0% of the AOI" in message and "--dem" in message
    assert not (tmp_path / "c.zarr").exists()


def test_validate_reports_required_variables_that_are_entirely_nodata(tmp_path: Path) -> None:
    cube = make_minimal_cube(height=32, width=32, timesteps=4)
    cube[cv.VAR_DEM] = xr.full_like(cube[cv.VAR_DEM], np.nan)
    validate_cube(cube, task="detection")  # the DEM is not required there
    with pytest.raises(CubeValidationError, match=r"\['dem'\] are entirely nodata"):
        validate_cube(cube, task="detection", required_vars=[cv.VAR_DEM])
    cube[cv.VAR_VH] = xr.full_like(cube[cv.VAR_VH], np.nan)
    from sarslide.datacube import write_cube

    write_cube(cube.chunk({"y": 16, "x": 16}), tmp_path / "c.zarr")
    with pytest.raises(CubeValidationError, match=r"\['vh'\] are entirely nodata"):
        open_cube(tmp_path / "c.zarr", task="detection")
    open_cube(tmp_path / "c.zarr", task="terrain", validate=False)  # still readable


def test_log_ratio_without_a_usable_slope_says_so() -> None:
    from sarslide.experiments.config import LogRatioSettings
    from sarslide.experiments.log_ratio_baseline import score_log_ratio

    data = {"cube": "in-memory", "timesteps_k": 2, "chip_size_px": 16, "split_block_px": 32}
    cube = make_minimal_cube(height=128, width=128, timesteps=4, seed=1)
    no_slope = cube.assign({cv.VAR_DEM_SLOPE: xr.full_like(cube[cv.VAR_DEM_SLOPE], np.nan)})
    with pytest.raises(DataSelectionError) as err:
        score_log_ratio(no_slope, data, LogRatioSettings(slope_min_deg=5.0))
    assert "no usable slope" in str(err.value) and "split_block_px" not in str(err.value)
    flat = cube.assign({cv.VAR_DEM_SLOPE: xr.zeros_like(cube[cv.VAR_DEM_SLOPE])})
    with pytest.raises(DataSelectionError, match="removes every pixel"):
        score_log_ratio(flat, data, LogRatioSettings(slope_min_deg=5.0))


def test_no_dem_items_names_the_dem_collection_flag(stac: LocalStacApi, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from sarslide.cli.main import app

    args = ["cube", "build", "--aoi", AOI_BBOX, "--start", "2018-08-01", "--end", "2018-09-30"]
    args += ["--event-start", "2018-08-30", "--event-end", "2018-08-31"]
    args += ["--stac-url", stac.server.url + "/", "--signer", "none"]
    args += ["--dem-collection", "empty-dem", "-o", str(tmp_path / "c.zarr")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert "No 'empty-dem' items" in result.output and "--dem-collection" in result.output
    rtc = CliRunner().invoke(app, [*args[:-4], "--collection", "no-such-rtc", *args[-4:]])
    assert "No 'no-such-rtc' items" in rtc.output and "(--collection)" in rtc.output


def test_crs_in_errors_is_short(stac: LocalStacApi, tmp_path: Path) -> None:
    import geopandas as gpd
    from shapely.geometry import box

    far = tmp_path / "far.gpkg"
    gpd.GeoDataFrame(geometry=[box(7.0, 45.0, 7.1, 45.1)], crs="EPSG:4326").to_file(far)
    with pytest.raises(DataSelectionError) as err:
        build_cube(make_build_config(stac, labels=far), tmp_path / "c.zarr", progress=False)
    assert "(both in EPSG:32654)" in str(err.value)
    assert "PROJCRS" not in str(err.value) and len(str(err.value)) < 600
    custom = "+proj=tmerc +lat_0=0 +lon_0=141 +k=0.9996 +x_0=500000 +y_0=0 +ellps=GRS80"
    assert len(format_crs(custom)) < 80 and "PROJCRS" not in format_crs(custom)


# --- chunk invariance: every layer identical for two chunk sizes ---------------------


def _build(stac: LocalStacApi, folder: Path, chunk_px: int) -> xr.Dataset:
    import geopandas as gpd
    from shapely.geometry import box

    folder.mkdir()
    labels = folder / "labels.gpkg"
    gpd.GeoDataFrame(
        geometry=[box(141.000, 42.440, 141.004, 42.443), box(141.010, 42.450, 141.013, 42.455)],
        crs="EPSG:4326",
    ).to_file(labels)
    insar = folder / "insar"
    insar.mkdir()
    make_hyp3_zip(insar, "20180812T204031", "20180824T204032", seed=1)
    cfg = make_build_config(
        stac,
        chunk_px=chunk_px,
        labels=labels,
        insar=[str(insar), str(PYRATE / "*_unw.tif"), str(PYRATE / "*_cc.tif")],
        start="2018-01-01",
    )
    return open_cube(build_cube(cfg, folder / "c.zarr", progress=False).store)


@pytest.mark.slow
def test_every_layer_is_identical_for_two_chunk_sizes(stac: LocalStacApi, tmp_path: Path) -> None:
    """Backscatter (UTM -> UTM), DEM (lat/lon -> UTM, bilinear), labels, and InSAR (HyP3
    in UTM and the real PyRate products in lat/lon: phase nearest, coherence bilinear)."""
    a = _build(stac, tmp_path / "a", 48)
    b = _build(stac, tmp_path / "b", 37)
    for name in (*cv.SAR_VARS, *cv.DEM_VARS, cv.VAR_LANDSLIDES, *cv.INSAR_VARS):
        np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)
    assert int(a[cv.VAR_LANDSLIDES].sum()) > 0
    assert a.sizes[cv.DIM_TIMEPAIR] >= 2  # the HyP3 pair and PyRate pairs in the window
    assert np.isfinite(a[cv.VAR_DEM].values).all()


def test_layers_loaded_with_two_chunk_sizes_are_identical() -> None:
    """The same in the default suite, on the real files, layer by layer, on grids that
    force reprojection: OPERA backscatter (UTM 54S -> UTM 55S), the PyRate DEM, phase
    and coherence (lat/lon -> UTM 14N) and labels."""
    from odc.geo.geobox import GeoBox

    from sarslide.sources.dem import load_dem
    from sarslide.sources.insar_pairs import find_insar_products, load_insar_pairs
    from sarslide.sources.labels import rasterize_labels
    from sarslide.sources.local_products import find_rtc_products, raster_items, rtc_items
    from sarslide.sources.rtc import group_acquisitions, load_rtc

    opera = DATA / "s1-rtc-opera-enga" / "T009_019294_IW2_cropped_tv"
    items = rtc_items(find_rtc_products(str(opera / "*_20240123T*.tif")))
    enga = GeoBox.from_bbox((143.345, -5.383, 143.383, -5.357), "EPSG:4326", resolution=0.0001)
    enga = GeoBox.from_bbox(enga.extent.to_crs("EPSG:32755").boundingbox, resolution=30.0)
    mexico = GeoBox.from_bbox((-99.18, 19.38, -99.06, 19.44), "EPSG:4326", resolution=0.001)
    mexico = GeoBox.from_bbox(mexico.extent.to_crs("EPSG:32614").boundingbox, resolution=90.0)
    products, _ = find_insar_products(str(PYRATE))
    dem_items = raster_items(str(PYRATE / "cropA_T005A_dem.tif"), asset="data", flag="--dem")
    labels = DATA / "synthetic" / "enga_labels.geojson"

    def load(chunk: int) -> dict[str, np.ndarray]:
        rtc = load_rtc(group_acquisitions(items), enga, chunk_px=chunk)
        insar, _ = load_insar_pairs(products[:1], mexico, chunk_px=chunk)
        assert insar is not None
        dem = load_dem(dem_items, mexico, chunk_px=chunk)
        return {
            "vv": rtc["vv"].values,
            "dem": dem[cv.VAR_DEM].values,
            "slope": dem[cv.VAR_DEM_SLOPE].values,
            "coherence": insar[cv.VAR_COHERENCE].values,
            "interferogram": insar[cv.VAR_INTERFEROGRAM].values,
            "labels": rasterize_labels(labels, enga, chunk_px=chunk).values,
        }

    a, b = load(64), load(45)
    for name in a:
        assert np.isfinite(a[name]).mean() > 0.5, name
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
