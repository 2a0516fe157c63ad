from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from sarslide import conventions as cv
from sarslide.atomic import host_id
from sarslide.datacube import open_cube, validate_cube
from sarslide.errors import ConfigError, DataSelectionError, OutputBusyError, OutputExistsError
from sarslide.ownership import lock_path
from sarslide.sources.build import build_cube
from sarslide.sources.config import BuildConfig
from sarslide.sources.signing import QueryTokenSigner
from tests.sources.stac_fixtures import (
    AOI_BBOX,
    LocalStacApi,
    TokenClock,
    make_build_config,
    make_hyp3_zip,
    populate_dem,
    populate_sentinel1,
    serve_stac,
)


@pytest.fixture(scope="module")
def stac():
    # tokens rotate every 5 signings (the previous one is honoured a little longer):
    # hrefs signed at search time are refused by the time the pixels are read
    with serve_stac(populate_sentinel1, populate_dem, clock=TokenClock(uses_per_token=5)) as api:
        yield api


@pytest.fixture(scope="module")
def built(stac: LocalStacApi, tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("build")
    cfg = make_build_config(
        stac, labels=write_labels(folder), insar=str(make_insar_folder(folder / "insar"))
    )
    return build_cube(
        cfg, folder / "cube.zarr", progress=False, signer=QueryTokenSigner(stac.clock.get_token)
    )


def write_labels(folder: Path) -> Path:
    """A 3 x 3 pattern of 60 m squares over the AOI, stored in EPSG:4326."""
    squares = [
        box(x, y, x + 60, y + 60)
        for x in (500_050, 500_300, 500_550)
        for y in (4_699_800, 4_700_100, 4_700_400)
    ]
    path = folder / "labels.geojson"
    gpd.GeoDataFrame(geometry=squares, crs="EPSG:32654").to_crs("EPSG:4326").to_file(path)
    return path


def make_insar_folder(folder: Path) -> Path:
    folder.mkdir()
    make_hyp3_zip(folder, "20180812T204031", "20180824T204032", seed=1)
    make_hyp3_zip(folder, "20180824T204032", "20180905T204033", seed=2, corrupt=True)
    make_hyp3_zip(folder, "20180905T204033", "20180917T204033", seed=3)
    return folder


def test_build_from_local_servers_gives_a_valid_cube(stac: LocalStacApi, built) -> None:
    result = built
    # several rotations happened during the build: hrefs signed at search time (tokens
    # 1-3) were refused by the end, so the reads were signed again when they ran
    assert int(stac.clock.current.split("-")[1]) >= 5
    ds = open_cube(result.store, task="detection")
    validate_cube(ds, task="insar")
    assert ds.rio.crs.to_epsg() == 32654 and ds.rio.resolution() == (10.0, -10.0)
    # 4 passes; the two frames of one pass merged; the reprocessed duplicate dropped
    assert ds.sizes[cv.DIM_TIMESTEP] == 4
    assert list(ds[cv.COORD_ORBIT_STATE].values) == ["descending"] * 4
    assert list(ds[cv.COORD_RELATIVE_ORBIT].values) == [46] * 4
    assert result.skipped_items == {
        "S1A_0_0_rtc_reprocessed": pytest.approx(result.skipped_items["S1A_0_0_rtc_reprocessed"])
    }
    vv = ds[cv.VAR_VV].values
    assert np.isfinite(vv[1]).mean() > 0.95  # the two half frames cover the AOI
    assert np.nanmin(vv) > 0 and -32768 not in vv
    # DEM plane rising 0.02 m/m to the north: slope atan(0.02), aspect north
    slope = ds[cv.VAR_DEM_SLOPE].values
    assert np.nanmedian(slope) == pytest.approx(np.arctan(0.02), rel=0.05)
    # labels: 9 squares of 6 x 6 px
    assert abs(int((ds[cv.VAR_LANDSLIDES] > 0).sum()) - 9 * 36) <= 9 * 6
    # the corrupt pair is skipped and recorded; the others stay
    assert ds.sizes[cv.DIM_TIMEPAIR] == 2
    starts = [str(t)[:10] for t in ds[cv.COORD_PAIR_START].values]
    assert starts == ["2018-08-12", "2018-09-05"]
    log = json.loads(result.log_path.read_text())
    assert [s["name"] for s in log["insar"]["skipped"]] == [
        "S1AA_20180824T204032_20180905T204033_VVP012_INT40_G_ueF_0002"
    ]
    assert "S1A_0_0_rtc_reprocessed" in log["rtc"]["skipped"]
    assert len(log["rtc"]["timesteps"][1]["items"]) == 2
    assert ds.attrs[cv.ATTR_EVENT_START].startswith("2018-08-30")


def test_built_cube_feeds_the_chips_pipeline(built) -> None:
    from sarslide.chips import build_chip_splits

    result = built
    splits = build_chip_splits(
        {
            "cube": str(result.store),
            "channels": "sar+dem",
            "timesteps_k": 2,
            "chip_size_px": 16,
            "split": "random",
            "positive_only": True,
        }
    )
    assert "vv_before" in splits.channel_names and "dem" in splits.channel_names
    chips = splits.train.inputs
    assert chips.shape[1:] == (len(splits.channel_names), 16, 16)
    assert np.isfinite(chips).mean() > 0.9  # NaN only at the DEM border and nodata strip


def test_search_without_items_fails_clearly_and_writes_nothing(
    stac: LocalStacApi, tmp_path: Path
) -> None:
    cfg = make_build_config(
        stac, start="2020-01-01", end="2020-02-01", event_start="2020-01-10", event_end="2020-01-11"
    )
    with pytest.raises(DataSelectionError, match="No 'sentinel-1-rtc' items"):
        build_cube(
            cfg,
            tmp_path / "cube.zarr",
            progress=False,
            signer=QueryTokenSigner(stac.clock.get_token),
        )
    assert list(tmp_path.iterdir()) == []


def test_second_build_into_the_same_store_fails_before_reading_inputs(
    stac: LocalStacApi, built, tmp_path: Path
) -> None:
    out = tmp_path / "cube.zarr"
    shutil.copytree(built.store, out)  # the first build's output
    before = {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    cfg = make_build_config(stac, labels=write_labels(tmp_path))
    requests = len(stac.server.requests)
    # the first build still runs: a live process holds the store's lock
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        lock_path(out).write_text(
            json.dumps({"pid": holder.pid, "host_id": host_id(), "command": "cube build"})
        )
        with pytest.raises(OutputBusyError, match=rf"being written.*pid {holder.pid}") as err:
            build_cube(cfg, out, overwrite=True, progress=False)
    finally:
        holder.kill()
        holder.wait()
    assert "\n" not in str(err.value)
    assert len(stac.server.requests) == requests  # nothing searched or read
    assert {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()} == before
    # without --overwrite an existing store is refused as early
    lock_path(out).unlink()
    with pytest.raises(OutputExistsError, match="exists; pass --overwrite"):
        build_cube(cfg, out, progress=False)
    assert len(stac.server.requests) == requests


def test_labels_outside_the_aoi_stop_the_build(stac: LocalStacApi, tmp_path: Path) -> None:
    far = tmp_path / "far.gpkg"
    gpd.GeoDataFrame(geometry=[box(10, 45, 10.01, 45.01)], crs="EPSG:4326").to_file(far)
    with pytest.raises(DataSelectionError, match="overlap the AOI"):
        build_cube(
            make_build_config(stac, labels=far),
            tmp_path / "cube.zarr",
            progress=False,
            signer=QueryTokenSigner(stac.clock.get_token),
        )
    assert not (tmp_path / "cube.zarr").exists()


def test_config_round_trips_through_yaml_and_forbids_unknown_keys(tmp_path: Path) -> None:
    path = tmp_path / "build.yaml"
    path.write_text(
        "aoi: '141,42.45,141.01,42.46'\nstart: 2018-08-01\nend: 2018-09-30\n"
        "event_start: 2018-08-30\nevent_end: 2018-08-31\ninsar: none\n"
    )
    cfg = BuildConfig.from_yaml(path, resolution_m=20.0)
    assert cfg.resolution_m == 20.0 and cfg.start == "2018-08-01"
    path.write_text(path.read_text() + "colection: typo\n")
    with pytest.raises(ConfigError, match="colection"):
        BuildConfig.from_yaml(path)
    with pytest.raises(ConfigError, match="end"):
        BuildConfig.from_options(
            aoi="1,2,3,4",
            start="2019-01-01",
            end="2018-01-01",
            event_start="2018-06-01",
            event_end="2018-06-02",
        )


def test_refused_signature_during_the_write_is_a_clear_error(
    stac: LocalStacApi, tmp_path: Path
) -> None:
    from sarslide.errors import DownloadError

    # signed once at search time only: the server rotates tokens before the reads
    stale = QueryTokenSigner(lambda: "token-0")  # never valid
    with pytest.raises(DownloadError, match="403"):
        build_cube(make_build_config(stac), tmp_path / "cube.zarr", progress=False, signer=stale)
    assert not (tmp_path / "cube.zarr").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".cube.zarr")]


def test_cli_build_reports_a_clean_error_without_traceback(
    stac: LocalStacApi, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from sarslide.cli.main import app

    result = CliRunner().invoke(
        app,
        [
            "cube",
            "build",
            "--aoi",
            AOI_BBOX,
            "--start",
            "2020-01-01",
            "--end",
            "2020-01-31",
            "--event-start",
            "2020-01-10",
            "--event-end",
            "2020-01-11",
            "--stac-url",
            stac.server.url + "/",
            "--signer",
            "none",
            "-o",
            str(tmp_path / "c.zarr"),
        ],
    )
    assert result.exit_code == 1
    assert "No 'sentinel-1-rtc' items" in result.output and "Traceback" not in result.output
