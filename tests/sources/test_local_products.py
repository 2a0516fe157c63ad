"""Cubes built from real products on disk (no STAC): OPERA RTC-S1 and GAMMA/PyRate InSAR.

The reference for the backscatter is GDAL's warper run once over the whole grid with
``rasterio.warp.reproject`` (neither the gdalwarp CLI nor GDAL's Python bindings are
installed here; ``gdalwarp -r bilinear`` runs the same GDALWarpOperation, with the same
default approximate transformer). The data are in tests/data (see ATTRIBUTION.md).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.warp import Resampling, reproject

from sarslide import conventions as cv
from sarslide.datacube import open_cube
from sarslide.errors import DataSelectionError
from sarslide.sources.build import build_cube
from sarslide.sources.config import BuildConfig

DATA = Path(__file__).parents[1] / "data"
OPERA = DATA / "s1-rtc-opera-enga" / "T009_019294_IW2_cropped_tv"
# the four January-February dates (the later ones serve the respond tests)
OPERA_GLOB = "OPERA_L2_RTC-S1_T009-019294-IW2_20240[12]*.tif"
PYRATE = DATA / "insar-pyrate-mexico"
ENGA_DEM = DATA / "synthetic" / "enga_dem_3arcsec.tif"
ENGA_LABELS = DATA / "synthetic" / "enga_labels.geojson"
EVENT = {"event_start": "2024-05-24", "event_end": "2024-05-25"}


def opera_files(pol: str) -> list[Path]:
    return sorted(p for p in OPERA.glob(OPERA_GLOB) if f"_{pol}_" in p.name)


def gdal_warp(path: Path, ds, resampling: Resampling = Resampling.bilinear) -> np.ndarray:
    """The file warped by GDAL onto the cube's grid in one piece."""
    out = np.full((ds.sizes["y"], ds.sizes["x"]), np.nan, dtype="float32")
    with rasterio.open(path) as src:
        reproject(
            rasterio.band(src, 1),
            out,
            dst_crs=ds.rio.crs,
            dst_transform=ds.rio.transform(),
            dst_nodata=np.nan,
            resampling=resampling,
        )
    return out


def assert_equal_to_float32_ulp(built: np.ndarray, reference: np.ndarray) -> None:
    """Same NaN pixels, values within 1 float32 ulp: the reference's approximate
    transformer interpolates source positions (GDAL's default ``-et 0.125``), whose last
    bits differ from the exact ones in ~0.03 % of the pixels of this grid."""
    np.testing.assert_array_equal(np.isnan(built), np.isnan(reference))
    finite = np.isfinite(built)
    np.testing.assert_array_max_ulp(built[finite], reference[finite], maxulp=1)


@pytest.fixture(scope="module")
def enga_cube(tmp_path_factory: pytest.TempPathFactory):
    """The CLI builds a 10 m cube (3x upsampled, so bilinear matters) from the OPERA files."""
    from typer.testing import CliRunner

    from sarslide.cli.main import app

    out = tmp_path_factory.mktemp("enga") / "enga.zarr"
    result = CliRunner().invoke(
        app,
        [
            "cube",
            "build",
            "--rtc",
            str(OPERA / OPERA_GLOB),
            "--dem",
            str(ENGA_DEM),
            "--labels",
            str(ENGA_LABELS),
            "--event-start",
            "2024-02-10",  # between the second and third acquisitions
            "--event-end",
            "2024-02-11",
            "--resolution-m",
            "10",
            "--chunk-px",
            "128",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    return open_cube(out, task="detection")


def test_cli_builds_the_real_opera_files_equal_to_gdal_warp(enga_cube) -> None:
    ds = enga_cube
    assert ds.sizes["timestep"] == 4 and (ds.sizes["y"], ds.sizes["x"]) == (300, 450)
    assert ds.rio.crs.to_epsg() == 32754
    assert ds["timestep"].values[0] == np.datetime64("2024-01-23T08:47:48")
    assert set(ds[cv.COORD_ORBIT_STATE].values) == {"ascending"}  # 18:20 local solar time
    assert set(ds[cv.COORD_RELATIVE_ORBIT].values) == {9}  # track T009
    for pol in ("VV", "VH"):
        for n, path in enumerate(opera_files(pol)):
            assert_equal_to_float32_ulp(
                ds[pol.lower()].isel(timestep=n).values, gdal_warp(path, ds)
            )
    assert int(ds[cv.VAR_LANDSLIDES].sum()) > 0
    assert np.isfinite(ds[cv.VAR_DEM_SLOPE].values).mean() > 0.9


def test_bursts_of_one_pass_become_one_timestep(tmp_path: Path) -> None:
    """Two bursts of one pass (IW2, IW3: seconds apart, overlapping) mosaic into one
    timestep equal to the product they were cut from."""
    folder = tmp_path / "bursts"
    folder.mkdir()
    for pol in ("VV", "VH"):
        source = opera_files(pol)[0]
        with rasterio.open(source) as src:
            profile, values = src.profile, src.read(1)
        for burst, stamp, rows in (
            ("IW2", "084748", slice(0, 60)),
            ("IW3", "084751", slice(40, 100)),
        ):
            part = np.full_like(values, np.nan)
            part[rows] = values[rows]
            name = source.name.replace("IW2_20240123T084748Z", f"{burst}_20240123T{stamp}Z")
            with rasterio.open(folder / name, "w", **profile) as dst:
                dst.write(part, 1)
    cfg = BuildConfig.from_options(
        rtc=[str(folder)], dem=[str(ENGA_DEM)], resolution_m=30, chunk_px=64, **EVENT
    )
    with pytest.raises(ValueError, match="no output store"):
        build_cube(cfg, progress=False)
    # the store named in the config (build_cube(cfg)); the build log's config as before
    result = build_cube(cfg.model_copy(update={"output": tmp_path / "c.zarr"}), progress=False)
    assert result.store == tmp_path / "c.zarr"
    assert "output" not in json.loads(result.log_path.read_text())["config"]
    ds = open_cube(result.store)
    assert ds.sizes["timestep"] == 1 and result.timesteps == 1
    with rasterio.open(opera_files("VV")[0]) as src:
        np.testing.assert_array_equal(ds["vv"].isel(timestep=0).values, src.read(1))


def test_files_that_cannot_be_dated_or_paired_are_all_named(tmp_path: Path) -> None:
    folder = tmp_path / "products"
    folder.mkdir()
    vv, vh = opera_files("VV"), opera_files("VH")
    shutil.copy(vv[0], folder / "scene_without_date_VV.tif")
    shutil.copy(vh[1], folder / vh[1].name)  # a VH whose VV is missing
    shutil.copy(vv[2], folder / vv[2].name)
    shutil.copy(vh[2], folder / vh[2].name)
    cfg = BuildConfig.from_options(rtc=[str(folder)], dem=[str(ENGA_DEM)], **EVENT)
    with pytest.raises(DataSelectionError) as err:
        build_cube(cfg, tmp_path / "c.zarr", progress=False)
    message = str(err.value)
    assert "scene_without_date_VV.tif" in message and "no acquisition time" in message
    assert vh[1].name in message and "no VV file" in message
    assert vv[2].name not in message
    assert not (tmp_path / "c.zarr").exists()


@pytest.fixture(scope="module")
def mexico_cube(tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("mexico") / "mexico.zarr"
    cfg = BuildConfig.from_options(
        rtc="none",
        insar=[str(PYRATE / "*_unw.tif"), str(PYRATE / "*_cc.tif")],
        dem=[str(PYRATE / "cropA_T005A_dem.tif")],
        resolution_m=150,
        chunk_px=32,
        event_start="2018-03-01",
        event_end="2018-03-02",
    )
    return build_cube(cfg, out, progress=False), open_cube(out, task="insar")


def test_real_pyrate_coherence_and_phase_land_in_the_cube(mexico_cube) -> None:
    result, ds = mexico_cube
    assert result.pairs == 4 and ds.sizes["timepair"] == 4
    assert ds.rio.crs.to_epsg() == 32614  # UTM zone of Mexico City
    starts = [str(t)[:10] for t in ds[cv.COORD_PAIR_START].values]
    assert starts == ["2018-01-06", "2018-01-30", "2018-03-07", "2018-03-19"]
    unw = sorted(PYRATE.glob("*_unw.tif"))
    cc = sorted(PYRATE.glob("*_cc.tif"))
    for n in range(4):
        phase = ds[cv.VAR_INTERFEROGRAM].isel(timepair=n).values
        expected = _nearest_exact(unw[n], ds)
        expected = np.mod(expected + np.pi, 2 * np.pi) - np.pi
        np.testing.assert_allclose(phase, expected.astype("float32"), rtol=0, atol=1e-6)
        coherence = ds[cv.VAR_COHERENCE].isel(timepair=n).values
        # GDAL's one-piece warp uses the approximate transformer (error <= 0.125 px)
        reference = gdal_warp(cc[n], ds)
        both = np.isfinite(coherence) & np.isfinite(reference)
        assert both.mean() > 0.9
        assert np.abs(coherence[both] - reference[both]).max() < 0.05
        assert np.nanmin(coherence) >= 0 and np.nanmax(coherence) <= 1


def _nearest_exact(path: Path, ds) -> np.ndarray:
    """Nearest-neighbour sampling computed independently of GDAL (pyproj, exact)."""
    from pyproj import Transformer

    with rasterio.open(path) as src:
        values = src.read(1).astype("float64")
        values[values == src.nodata] = np.nan
        to_src = Transformer.from_crs(ds.rio.crs, src.crs, always_xy=True)
        xx, yy = np.meshgrid(ds["x"].values, ds["y"].values)
        lon, lat = to_src.transform(xx, yy)
        col, row = ~src.transform @ (lon, lat)
        col, row = np.floor(col).astype(int), np.floor(row).astype(int)
        inside = (row >= 0) & (row < src.height) & (col >= 0) & (col < src.width)
    out = np.full(xx.shape, np.nan)
    out[inside] = values[row[inside], col[inside]]
    return out


def test_real_pyrate_interferograms_load_through_the_isslide_readers(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from sarslide.cli.main import app
    from sarslide.insar.isslide_layout import list_raw_interferograms
    from sarslide.insar.readers import read_band

    command = ["insar", "import", str(PYRATE), "-o", str(tmp_path / "raw"), "--layout", "products"]
    refused = CliRunner().invoke(app, command)
    assert refused.exit_code == 1 and "needs --zone" in refused.output
    result = CliRunner().invoke(app, [*command, "--zone", "mexico"])
    assert result.exit_code == 0, result.output
    assert "wrote 4 interferograms of zone mexico" in result.output
    listed = list_raw_interferograms(tmp_path / "raw")
    first = next(i for i in listed if i.start == "20180106")
    assert first.name == "mexico_24d_20180106_20180130" and len(listed) == 4
    source = read_band(sorted(PYRATE.glob("*_unw.tif"))[0])
    phase = read_band(first.phase_path).data
    expected = np.mod(source.data + np.pi, 2 * np.pi) - np.pi
    np.testing.assert_array_equal(phase, expected.astype("float32"))
    coherence = read_band(first.coherence_path).data
    np.testing.assert_array_equal(coherence, read_band(sorted(PYRATE.glob("*_cc.tif"))[0]).data)


def test_hyp3_rtc_names_zips_and_tags_are_read(tmp_path: Path) -> None:
    """HyP3 RTC products (a zip holding <name>/<name>_VV.tif, _VH.tif): time from the
    name, no track (-1); an orbit tag overrides the solar-time rule."""
    import zipfile

    from sarslide.sources.local_products import find_rtc_products, rtc_items

    name = "S1A_IW_20240123T084748_DVP_RTC30_G_gpuned_5A1B"
    archive = tmp_path / f"{name}.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for pol in ("VV", "VH"):
            out.write(opera_files(pol)[0], f"{name}/{name}_{pol}.tif")
    tagged = tmp_path / f"{name.replace('0123', '0204')}_VV.tif"
    with rasterio.open(opera_files("VV")[1]) as src:
        profile, values = src.profile, src.read(1)
    for pol in ("VV", "VH"):
        with rasterio.open(
            tagged.with_name(tagged.name.replace("_VV", f"_{pol}")), "w", **profile
        ) as dst:
            dst.write(values, 1)
            dst.update_tags(ORBIT_PASS_DIRECTION="DESCENDING")
    items = rtc_items(find_rtc_products([str(archive), str(tmp_path / "*.tif")]))
    assert [i.id for i in items] == [name, name.replace("0123", "0204")]
    assert sorted(items[0].assets) == ["vh", "vv"]
    assert items[0].assets["vv"].href.startswith("/vsizip/")
    assert str(items[0].datetime)[:19] == "2024-01-23 08:47:48"
    assert items[0].properties[cv.COORD_RELATIVE_ORBIT] == -1
    assert items[0].properties[cv.COORD_ORBIT_STATE] == "ascending"  # solar time
    assert items[1].properties[cv.COORD_ORBIT_STATE] == "descending"  # the tag wins


def test_products_all_before_the_event_are_refused_with_their_dates(tmp_path: Path) -> None:
    cfg = BuildConfig.from_options(rtc=[str(OPERA / OPERA_GLOB)], dem=[str(ENGA_DEM)], **EVENT)
    with pytest.raises(DataSelectionError) as err:
        build_cube(cfg, tmp_path / "c.zarr", progress=False)
    message = str(err.value)
    assert "The 4 acquisitions found (2024-01-23 .. 2024-02-28) hold none after" in message
    assert "2024-05-24 00:00 .. 2024-05-25 00:00" in message
    assert not (tmp_path / "c.zarr").exists()


def test_an_event_outside_the_search_period_is_refused_before_searching() -> None:
    from sarslide.errors import ConfigError

    with pytest.raises((ConfigError, ValueError), match=r"not before end .*end the search later"):
        BuildConfig.from_options(
            aoi="143.3,-5.4,143.4,-5.3", start="2024-01-01", end="2024-03-01", **EVENT
        )
    with pytest.raises((ConfigError, ValueError), match="not after start"):
        BuildConfig.from_options(
            aoi="143.3,-5.4,143.4,-5.3", start="2024-06-01", end="2024-09-01", **EVENT
        )


def test_one_date_in_hh_hv_among_vv_vh_is_named_once(tmp_path: Path) -> None:
    folder = tmp_path / "products"
    folder.mkdir()
    for path in [*opera_files("VV"), *opera_files("VH")]:
        name = path.name
        if "_20240204T" in name:  # one date in another polarisation mode
            name = name.replace("_VV_", "_HH_").replace("_VH_", "_HV_")
        shutil.copy(path, folder / name)
    cfg = BuildConfig.from_options(rtc=[str(folder)], dem=[str(ENGA_DEM)], **EVENT)
    with pytest.raises(DataSelectionError) as err:
        build_cube(cfg, tmp_path / "c.zarr", progress=False)
    message = str(err.value)
    assert "Cannot use 1 local RTC file(s) or product(s): product " in message
    assert "20240204T084747Z_20240204T155800Z_S1A_30_v1.0: has HH/HV where the other 3" in message
    assert "_20240123T" not in message and len(message) < 700


def test_an_insar_folder_of_junk_is_an_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "notes.txt").write_text("not a product")
    cfg = BuildConfig.from_options(
        rtc=[str(OPERA / OPERA_GLOB)],
        dem=[str(ENGA_DEM)],
        insar=str(junk),
        event_start="2024-02-10",
        event_end="2024-02-11",
    )
    with pytest.raises(DataSelectionError, match=r"--insar .*junk holds no InSAR product"):
        build_cube(cfg, tmp_path / "c.zarr", progress=False)
    assert not (tmp_path / "c.zarr").exists()


def test_a_dem_file_that_is_no_raster_is_named_with_the_flag(tmp_path: Path) -> None:
    from sarslide.sources.local_products import raster_items

    (tmp_path / "dem.tif").write_text("not a GeoTIFF")
    with pytest.raises(DataSelectionError, match=r"--dem file '.*dem.tif': cannot be read"):
        raster_items(str(tmp_path / "dem.tif"), asset="data", flag="--dem")
