"""respond and cube build on a real multi-burst OPERA series given as a whole folder.

``tests/data/s1-rtc-opera-dists1-10SGD``: four dates of track 137 (2023-10-04 ..
2023-11-09), three bursts a date (T137-292320-IW1, T137-292321-IW1, T137-292321-IW2; the
IW1 and IW2 of burst 292321 share their start second on 2023-10-28), products in
EPSG:32611 while the AOI of burst 292321-IW1 lies west of 120 W (a zone-10 grid).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import rasterio
from rasterio.warp import transform_bounds

from sarslide import conventions as cv
from sarslide.datacube import open_cube
from sarslide.response import RespondConfig, respond_to_event
from tests.response.conftest import in_folder

SERIES = Path(__file__).parents[1] / "data" / "s1-rtc-opera-dists1-10SGD"
AOI_IW1 = "-120.727,34.580,-120.717,34.588"  # inside T137-292321-IW1 (zone 10)
AOI_IW2 = "-119.838,34.774,-119.828,34.782"  # inside T137-292321-IW2 (zone 11)


@pytest.mark.parametrize("aoi", [AOI_IW1, AOI_IW2], ids=["IW1-zone10", "IW2-zone11"])
def test_respond_maps_from_the_whole_folder_without_a_dem(
    aoi: str, model_k2: Path, tmp_path: Path
) -> None:
    lines: list[str] = []
    cfg = RespondConfig.from_options(
        aoi=aoi,
        event_start="2023-10-20",
        model=model_k2,
        rtc=[str(SERIES)],
        resolution_m=30,
        stac_url="http://127.0.0.1:9/unreachable/",  # never contacted: no DEM is needed
        chunk_px=64,
        figures=False,
    )
    result = respond_to_event(
        in_folder(cfg, tmp_path / "event"), progress=False, on_step=lines.append
    )
    assert result.steps == {"acquisitions": "done", "cube": "done", "map": "done"}
    assert [f"{p.time:%Y-%m-%d}" for p in result.plan.before] == ["2023-10-04", "2023-10-16"]
    assert [f"{p.time:%Y-%m-%d}" for p in result.plan.after] == ["2023-10-28", "2023-11-09"]
    ds = open_cube(result.cube, task="mapping")
    assert cv.VAR_DEM not in ds
    expected_zone = 32610 if aoi == AOI_IW1 else 32611
    assert ds.rio.crs.to_epsg() == expected_zone
    assert np.isfinite(ds[cv.VAR_VV].values).all()  # the AOI lies inside the burst
    assert result.map.probability_tif.exists()
    state = json.loads(result.state_json.read_text())
    assert state["plan"]["complete"]


def test_the_aoi_lies_inside_its_burst() -> None:
    """The test AOIs are inside the vendored crops (guards the fixture itself)."""
    for aoi, burst in ((AOI_IW1, "292321-IW1"), (AOI_IW2, "292321-IW2")):
        path = next(SERIES.rglob(f"*{burst}_*_VV.tif"))
        with rasterio.open(path) as src:
            west, south, east, north = transform_bounds(src.crs, "EPSG:4326", *src.bounds)
        lon0, lat0, lon1, lat1 = (float(v) for v in aoi.split(","))
        assert west < lon0 < lon1 < east and south < lat0 < lat1 < north


def _dem_model(path: Path) -> Path:
    from sarslide import conventions as cv
    from tests.inference.conftest import write_fake_checkpoint

    names = ["vv_before", "vv_after", "vh_before", "vh_after", *cv.DEM_VARS]
    return write_fake_checkpoint(path, channels="sar+dem", names=names)


def test_a_model_with_dem_channels_is_refused_a_request_without_dem(tmp_path: Path) -> None:
    from sarslide.errors import ConfigError

    cfg = RespondConfig.from_options(
        aoi=AOI_IW1,
        event_start="2023-10-20",
        model=_dem_model(tmp_path / "dem.ckpt"),
        rtc=[str(SERIES)],
        dem="none",
    )
    with pytest.raises(ConfigError, match=r"needs DEM channels .* --dem none; give --dem FILE"):
        respond_to_event(in_folder(cfg, tmp_path / "event"), progress=False)
    assert not (tmp_path / "event").exists()  # refused before anything is written


def test_a_dem_that_cannot_be_fetched_names_the_options(tmp_path: Path) -> None:
    from sarslide.errors import DownloadError

    cfg = RespondConfig.from_options(
        aoi=AOI_IW1,
        event_start="2023-10-20",
        model=_dem_model(tmp_path / "dem.ckpt"),
        rtc=[str(SERIES)],
        resolution_m=30,
        stac_url="http://127.0.0.1:9/unreachable/",
    )
    with pytest.raises(DownloadError) as caught:
        respond_to_event(in_folder(cfg, tmp_path / "event"), progress=False)
    message = str(caught.value)
    assert "--dem FILE" in message and "--dem-collection" in message and "\n" not in message
    assert not (tmp_path / "event" / "cube.zarr").exists()


def test_respond_refuses_products_in_db_before_writing(model_k2: Path, tmp_path: Path) -> None:
    from sarslide.errors import DataSelectionError
    from tests.sources.test_real_bursts import _write_decibels

    _write_decibels(tmp_path / "db")
    cfg = RespondConfig.from_options(
        aoi=AOI_IW1, event_start="2023-10-20", model=model_k2, rtc=[str(tmp_path / "db")]
    )
    with pytest.raises(DataSelectionError, match=r"in dB.*10 \*\* \(dB / 10\)"):
        respond_to_event(in_folder(cfg, tmp_path / "event"), progress=False)
    assert not (tmp_path / "event").exists()  # no cube left behind, no folder either


def test_a_short_window_says_where_the_passes_are_and_the_search_days(
    model_k2: Path, tmp_path: Path
) -> None:
    from sarslide.errors import DataSelectionError

    cfg = RespondConfig.from_options(
        aoi=AOI_IW1, event_start="2023-10-20", model=model_k2, rtc=[str(SERIES)], search_days=10
    )
    with pytest.raises(DataSelectionError) as caught:
        respond_to_event(in_folder(cfg, tmp_path / "event"), progress=False)
    message = str(caught.value)
    assert "before it: 2023-10-04, 2023-10-16" in message
    assert "--search-days 21" in message and "\n" not in message
    assert not (tmp_path / "event").exists()


def test_far_post_event_passes_are_reported_in_the_plan() -> None:
    """The real record of track 137: after 2023-01-01 the next pass is 2023-10-04."""
    import pandas as pd

    from sarslide.response.acquisitions import Pass, plan_acquisitions

    dates = ["2022-12-08", "2022-12-20", "2023-01-01", "2023-10-04", "2023-10-16"]
    passes = [Pass(pd.Timestamp(f"{d}T01:59:11"), "ascending", 137) for d in dates]
    plan = plan_acquisitions(
        passes,
        event_start=pd.Timestamp("2023-01-09"),
        event_end=pd.Timestamp("2023-01-09"),
        k=2,
        search_start=pd.Timestamp("2022-11-01"),
        search_end=pd.Timestamp("2023-12-01"),
        now=pd.Timestamp("2026-01-01"),
    )
    assert plan.complete
    (note,) = [line for line in plan.describe() if line.startswith("far")]
    assert note.startswith("far after the event: the nearest pass after it (2023-10-04) is 268")
    assert "22 revisits of 12 days" in note


def test_respond_grids_at_the_models_pixel_size_and_refuses_another(tmp_path: Path) -> None:
    from sarslide.errors import DataSelectionError
    from tests.inference.conftest import write_fake_checkpoint

    at_30 = {"training_resolution": {"pixel_size": 30.0, "unit": "m", "crs_kind": "projected"}}
    model = write_fake_checkpoint(tmp_path / "m30.ckpt", metadata=at_30)
    options = {"aoi": AOI_IW2, "event_start": "2023-10-20", "model": model, "rtc": [str(SERIES)]}
    lines: list[str] = []
    cfg = RespondConfig.from_options(**options, chunk_px=64, figures=False)
    result = respond_to_event(in_folder(cfg, tmp_path / "a"), progress=False, on_step=lines.append)
    assert open_cube(result.cube, task="mapping").rio.resolution() == (30.0, -30.0)
    assert "grid: 30 m, the model's training pixel size" in lines
    with pytest.raises(DataSelectionError, match=r"--resolution-m 10 but the model was trained"):
        respond_to_event(
            in_folder(RespondConfig.from_options(**options, resolution_m=10), tmp_path / "b"),
            progress=False,
        )
    assert not (tmp_path / "b").exists()


def test_respond_without_a_model_maps_the_log_ratio(tmp_path: Path) -> None:
    """``--model none``: no trained model, no labels, no DEM: the first-hours map."""
    from typer.testing import CliRunner

    from sarslide.cli.main import app

    out = tmp_path / "event"
    result = CliRunner().invoke(
        app,
        [
            *("respond", "--rtc", str(SERIES), f"--aoi={AOI_IW1}", "--event-start", "2023-10-20"),
            *("--model", "none", "--resolution-m", "30", "--no-figures", "-o", str(out)),
        ],
    )
    assert result.exit_code == 0, result.output
    state = json.loads((out / "respond.json").read_text())
    assert state["model"]["model_name"] == "log-ratio baseline (no model)"
    assert [p["time"][:10] for p in state["plan"]["after"]] == ["2023-10-28", "2023-11-09"]
    assert (out / "map" / "probability.tif").exists() and (out / "map" / "landslides.gpkg").exists()
    assert not (out / "map" / "metrics.json").exists()
    assert "log-ratio" in (out / "report.md").read_text()
