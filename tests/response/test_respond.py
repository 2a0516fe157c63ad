"""End to end: an AOI, a date and a model in; acquisitions, cube, map and report out.

Against local STAC APIs (tests/response/conftest.py): real OPERA RTC over Enga with a
simulated DEM, and the simulated Hokkaido catalogue of the build tests.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pystac
import pytest
import rasterio

from sarslide import conventions as cv
from sarslide.datacube import open_cube
from sarslide.errors import EventTooRecentError, OutputExistsError
from sarslide.models.export import export_model
from sarslide.response import RespondConfig, RespondResult, respond_to_event
from tests.response.conftest import ENGA_AOI, enga_acquisitions, in_folder
from tests.sources.stac_fixtures import AOI_BBOX, LocalStacApi
from tests.stac_validation import validate_offline


def enga_config(api: LocalStacApi, model: Path, **overrides) -> RespondConfig:
    options = {
        "aoi": ENGA_AOI,
        "model": model,
        "stac_url": api.server.url + "/",
        "signer": "none",
        "chunk_px": 256,
        "figures": False,
    }
    return RespondConfig.from_options(**{**options, **overrides})


def hokkaido_config(api: LocalStacApi, model: Path, **overrides) -> RespondConfig:
    options = {
        "aoi": AOI_BBOX,
        "event_start": "2018-08-30",
        "model": model,
        "stac_url": api.server.url + "/",
        "signer": "none",
        "chunk_px": 96,
        "figures": False,
    }
    return RespondConfig.from_options(**{**options, **overrides})


@pytest.fixture(scope="module")
def enga_response(
    enga_stac: LocalStacApi, model_k2: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[RespondResult, list[str]]:
    """respond from the local STAC API (real RTC): an event on 2024-04-10, k = 2."""
    lines: list[str] = []
    cfg = enga_config(enga_stac, model_k2, event_start="2024-04-10T12:00")
    out = tmp_path_factory.mktemp("enga") / "event"
    result = respond_to_event(
        in_folder(cfg, out), progress=False, now="2024-06-01", on_step=lines.append
    )
    return result, lines


def test_maps_a_real_event_from_an_aoi_and_a_date(
    enga_response: tuple[RespondResult, list[str]],
) -> None:
    result, lines = enga_response
    assert result.steps == {"acquisitions": "done", "cube": "done", "map": "done"}
    # the k=2 real acquisitions nearest the event on each side, reported with their dates
    assert [f"{p.time:%Y-%m-%d}" for p in result.plan.before] == ["2024-03-23", "2024-04-04"]
    assert [f"{p.time:%Y-%m-%d}" for p in result.plan.after] == ["2024-04-16", "2024-04-28"]
    assert result.plan.revisit_days == {9: 12}
    text = "\n".join(lines)
    assert "before the event: 2 of 2 needed: 2024-03-23, 2024-04-04" in text
    assert "after the event: 2 of 2 needed: 2024-04-16, 2024-04-28" in text
    assert "relative orbit 9: revisit 12 days (one platform)" in text
    assert "2024-05-10" in text  # the real gap of the source, reported as missing
    # the cube holds exactly those passes, on the AOI's UTM grid, with the real values
    ds = open_cube(result.cube, task="mapping")
    times = [f"{t}"[:10] for t in ds[cv.DIM_TIMESTEP].values]
    assert times == ["2024-03-23", "2024-04-04", "2024-04-16", "2024-04-28"]
    assert ds.rio.crs.to_epsg() == 32754 and ds.rio.resolution() == (10.0, -10.0)
    source = enga_acquisitions()[pd.Timestamp("2024-04-04T08:47:48")]["vv"]
    with rasterio.open(source) as src:  # a 30 m pixel well inside the AOI, read back at 10 m
        x, y = float(ds.x[80]), float(ds.y[80])
        row, col = src.index(x, y)
        window = src.read(1)[row - 1 : row + 2, col - 1 : col + 2]
    value = float(ds[cv.VAR_VV].isel({cv.DIM_TIMESTEP: 1, "x": 80, "y": 80}))
    assert window.min() <= value <= window.max()  # bilinear stays within its neighbours
    # the map folder: georeferenced COGs, polygons, figures, report
    with rasterio.open(result.map.probability_tif) as src:
        probability = src.read(1)
        assert src.crs.to_epsg() == 32754 and src.shape == ds.rio.shape
    assert np.isfinite(probability).mean() > 0.99
    assert np.nanmin(probability) >= 0.0 and np.nanmax(probability) <= 1.0
    assert result.map.polygons_gpkg.exists() and result.map.report_html.exists()
    report = result.report_md.read_text()
    assert "| before | 2024-03-23 08:47 | ascending | 9 | 1 |" in report
    state = json.loads(result.state_json.read_text())
    assert state["plan"]["complete"] and state["steps"]["map"]["status"] == "done"


def test_maps_the_event_with_an_exported_model_on_onnx_runtime(
    enga_stac: LocalStacApi,
    enga_response: tuple[RespondResult, list[str]],
    model_k2: Path,
    tmp_path: Path,
) -> None:
    """respond --model model.onnx --engine onnx --device cpu: the same map as the checkpoint."""
    onnx_file = export_model(model_k2, tmp_path / "model.onnx").onnx
    cfg = enga_config(
        enga_stac, onnx_file, event_start="2024-04-10T12:00", engine="onnx", device="cpu"
    )
    result = respond_to_event(in_folder(cfg, tmp_path / "event"), progress=False, now="2024-06-01")
    run = json.loads(result.map.config_json.read_text())
    assert (run["engine"], run["device"], run["exported_model"]) == ("onnx", "cpu", True)
    with (
        rasterio.open(result.map.probability_tif) as got,
        rasterio.open(enga_response[0].map.probability_tif) as expected,
    ):
        np.testing.assert_allclose(got.read(1), expected.read(1), rtol=0, atol=1e-5)


def test_the_response_is_a_stac_collection_of_its_map_item(
    enga_response: tuple[RespondResult, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    result, _ = enga_response
    folder = result.directory
    collection = validate_offline(folder / "collection.json", monkeypatch, expect_extensions=1)
    item = validate_offline(folder / "map" / "item.json", monkeypatch, expect_extensions=3)
    links = {link["rel"]: link["href"] for link in collection["links"]}
    assert (folder / links["item"]).resolve() == (folder / "map" / "item.json").resolve()
    assert (folder / links["derived_from"]).resolve() == result.cube.resolve()
    item_links = {link["rel"]: link["href"] for link in item["links"]}
    assert (folder / "map" / item_links["derived_from"]).resolve() == result.cube.resolve()
    assert set(collection["assets"]) == {"report", "state", "config"}
    window = [pd.Timestamp(t) for t in collection["extent"]["temporal"]["interval"][0]]
    assert window == [
        pd.Timestamp(result.plan.event_start, tz="UTC"),
        pd.Timestamp(result.plan.event_end, tz="UTC"),
    ]
    assert pd.Timestamp(item["properties"]["start_datetime"]) == window[0]
    assert collection["extent"]["spatial"]["bbox"][0] == item["bbox"]
    west, south, east, north = item["bbox"]
    assert 143.0 < west < east < 144.0 and -6.0 < south < north < -5.0  # Enga, PNG
    assert "collection.json" in result.report_md.read_text()
    # pystac walks from the collection to the map's files
    walked = pystac.Collection.from_file(str(folder / "collection.json"))
    (map_item,) = walked.get_items()
    assert map_item.id == "sarslide-map-20240410"  # the folder's name, not a temporary one
    for asset in map_item.assets.values():
        assert Path(asset.get_absolute_href()).parent == (folder / "map").resolve()
        assert Path(asset.get_absolute_href()).is_file()


def test_a_kept_map_without_an_item_still_gets_a_collection(
    enga_response: tuple[RespondResult, list[str]],
    enga_stac: LocalStacApi,
    model_k2: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A map kept from before maps had an Item: the cube's footprint is the extent."""
    import shutil

    from sarslide.response.report import write_respond_collection

    result, _ = enga_response
    folder = tmp_path / "old"
    shutil.copytree(result.directory, folder)
    item = json.loads((folder / "map" / "item.json").read_text())
    (folder / "map" / "item.json").unlink()
    cfg = enga_config(enga_stac, model_k2, event_start="2024-04-10T12:00")
    path = write_respond_collection(folder, cfg, result.plan, result.map.moved_to(folder / "map"))
    collection = validate_offline(path, monkeypatch, expect_extensions=1)
    assert not [link for link in collection["links"] if link["rel"] == "item"]
    np.testing.assert_allclose(collection["extent"]["spatial"]["bbox"][0], item["bbox"], atol=1e-6)


def test_maps_the_event_from_local_products_as_from_stac(
    enga_response: tuple[RespondResult, list[str]], model_k2: Path, tmp_path: Path
) -> None:
    from tests.response.conftest import ENGA_DIR

    lines: list[str] = []
    cfg = RespondConfig.from_options(
        aoi=ENGA_AOI,
        event_start="2024-04-10T12:00",
        model=model_k2,
        rtc=[str(ENGA_DIR / "*.tif")],
        dem=str(ENGA_DIR.parents[1] / "synthetic" / "enga_dem_3arcsec.tif"),
        stac_url="http://127.0.0.1:9/unreachable/",  # never contacted
        chunk_px=256,
        figures=False,
        batch_size=3,  # the prediction settings are predict's (PredictOptions)
        device="cpu",
        precision="fp32",
    )
    result = respond_to_event(
        in_folder(cfg, tmp_path / "local"), progress=False, on_step=lines.append
    )
    run = json.loads(result.map.config_json.read_text())
    assert (run["batch_size"], run["device"], run["precision"]) == (3, "cpu", "fp32")
    assert result.steps == {"acquisitions": "done", "cube": "done", "map": "done"}
    # dates, track and orbit read from the product names and the solar time of the pass
    from_stac = enga_response[0]

    def described(passes: list) -> list[tuple]:
        return [(p.time, p.orbit_state, p.relative_orbit) for p in passes]

    assert described(result.plan.before) == described(from_stac.plan.before)
    assert described(result.plan.after) == described(from_stac.plan.after)
    assert "before the event: 2 of 2 needed: 2024-03-23, 2024-04-04" in "\n".join(lines)
    # the same files through the same warp: the same backscatter cube
    local = open_cube(result.cube, task="mapping")
    stac = open_cube(from_stac.cube, task="mapping")
    np.testing.assert_array_equal(local[cv.VAR_VV].values, stac[cv.VAR_VV].values)
    np.testing.assert_array_equal(local[cv.DIM_TIMESTEP].values, stac[cv.DIM_TIMESTEP].values)
    assert result.map.probability_tif.exists()


def test_refuses_a_too_recent_event_with_the_date_when_it_will_work(
    enga_stac: LocalStacApi, model_k2: Path, tmp_path: Path
) -> None:
    lines: list[str] = []
    cfg = enga_config(enga_stac, model_k2, event_start="2024-05-15")
    with pytest.raises(EventTooRecentError) as caught:
        respond_to_event(in_folder(cfg, tmp_path / "out"), now="2024-05-25", on_step=lines.append)
    # one pass after the event (2024-05-22); the next of the 12-day track is 2024-06-03
    message = str(caught.value)
    assert "needs k=2 Sentinel-1 passes" in message and "has 1 (2024-05-22)" in message
    assert "enough passes will exist on 2024-06-03" in message
    assert caught.value.ready_date == pd.Timestamp("2024-06-03T08:47:48")
    assert "after the event: 1 of 2 needed: 2024-05-22" in "\n".join(lines)
    assert not (tmp_path / "out").exists()  # nothing written
    # on that date, with its pass published, the same command works (tested above); once
    # the date has passed without the pass, the refusal says the catalogue lacks it
    with pytest.raises(EventTooRecentError, match="should have existed on 2024-06-03"):
        respond_to_event(in_folder(cfg, tmp_path / "out"), now="2024-07-01")


def test_resumes_after_an_interruption(
    hokkaido_stac: LocalStacApi,
    model_k2: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sarslide.response.run as run_module

    out = tmp_path / "event"
    cfg = in_folder(hokkaido_config(hokkaido_stac, model_k2), out)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    # interrupted while building the cube: the plan is recorded, no cube exists
    with monkeypatch.context() as patch:
        patch.setattr(run_module, "build_cube", interrupted)
        with pytest.raises(KeyboardInterrupt):
            respond_to_event(cfg, progress=False)
    assert json.loads((out / "respond.json").read_text())["plan"]["complete"]
    assert not (out / "cube.zarr").exists()
    # interrupted while predicting: the cube is built (and searched for again, as no cube
    # was built for the recorded plan), no map exists
    import sarslide.inference.outputs as predict_module  # respond imports it when mapping

    with monkeypatch.context() as patch:
        patch.setattr(predict_module, "predict_to_directory", interrupted)
        with pytest.raises(KeyboardInterrupt):
            respond_to_event(cfg, progress=False)
    assert (out / "cube.zarr").exists() and not (out / "map").exists()
    log_mtime = (out / "cube.build.json").stat().st_mtime_ns
    requests = len(hokkaido_stac.server.requests)

    result = respond_to_event(cfg, progress=False)
    assert result.steps == {"acquisitions": "reused", "cube": "reused", "map": "done"}
    # no search and no pixel read again: the plan and the cube were reused
    assert hokkaido_stac.server.requests[requests:] == []
    assert (out / "cube.build.json").stat().st_mtime_ns == log_mtime
    assert result.map.probability_tif.exists()

    again = respond_to_event(cfg, progress=False)
    assert again.steps == {"acquisitions": "reused", "cube": "reused", "map": "reused"}
    # the resolved request is written beside the outputs: --config reruns it
    assert RespondConfig.from_yaml(out / "respond.yaml") == cfg


@pytest.mark.slow
def test_a_finished_folder_refuses_another_request(
    hokkaido_stac: LocalStacApi, model_k2: Path, tmp_path: Path
) -> None:
    out = tmp_path / "event"
    respond_to_event(in_folder(hokkaido_config(hokkaido_stac, model_k2), out), progress=False)
    before = sorted(p.name for p in out.iterdir())
    other = hokkaido_config(hokkaido_stac, model_k2, event_start="2018-08-31")
    with pytest.raises(OutputExistsError, match=r"event_start: was '2018-08-30T00:00:00'"):
        respond_to_event(in_folder(other, out), progress=False)
    assert sorted(p.name for p in out.iterdir()) == before
    # another threshold is another map of the same cube: replaced only with overwrite
    other_map = hokkaido_config(hokkaido_stac, model_k2, threshold=0.9)
    with pytest.raises(OutputExistsError, match=r"threshold: was None, now 0\.9"):
        respond_to_event(in_folder(other_map, out), progress=False)
    result = respond_to_event(in_folder(other_map, out), progress=False, overwrite=True)
    assert result.steps == {"acquisitions": "reused", "cube": "reused", "map": "done"}
    assert json.loads(result.map.config_json.read_text())["threshold"] == 0.9


@pytest.mark.slow
def test_cli_maps_an_event(hokkaido_stac: LocalStacApi, model_k2: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from sarslide.cli.main import app

    result = CliRunner().invoke(
        app,
        [
            "respond",
            "--aoi",
            AOI_BBOX,
            "--event-start",
            "2018-08-30",
            "--stac-url",
            hokkaido_stac.server.url + "/",
            "--signer",
            "none",
            "--model",
            str(model_k2),
            "-o",
            str(tmp_path / "hokkaido"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "before the event: 2 of 2 needed: 2018-08-12, 2018-08-24" in result.output
    assert "landslide map written to" in result.output
    assert (tmp_path / "hokkaido" / "map" / "quicklook.png").exists()
    assert (tmp_path / "hokkaido" / "report.md").exists()


def test_cli_refuses_a_recent_event_in_one_clear_message(
    enga_stac: LocalStacApi, model_k2: Path, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from sarslide.cli.main import app

    refused = CliRunner().invoke(
        app,
        [
            "respond",
            "--aoi",
            ENGA_AOI,
            "--event-start",
            "2024-05-15",
            "--stac-url",
            enga_stac.server.url + "/",
            "--signer",
            "none",
            "--model",
            str(model_k2),
            "-o",
            str(tmp_path / "enga"),
            "--set",
            "search_days=40",
        ],
    )
    assert refused.exit_code == 1
    assert "searched 2024-04-05 .. " in refused.output  # --set search_days=40
    # the clock is past 2024-06-03: the pass due then is not in this catalogue
    assert "after the event: 1 of 2 needed: 2024-05-22" in refused.output
    assert "should have existed on 2024-06-03" in refused.output
    assert "Traceback" not in refused.output
    assert not (tmp_path / "enga").exists()


def test_the_models_orbit_filters_the_search(
    hokkaido_stac: LocalStacApi, model_k2: Path, tmp_path: Path
) -> None:
    import shutil

    from sarslide.errors import ConfigError, DataSelectionError
    from sarslide.models.checkpoints import read_checkpoint, update_checkpoint_metadata

    ascending = tmp_path / "ascending.ckpt"
    shutil.copy(model_k2, ascending)
    data_config = read_checkpoint(ascending)["hyper_parameters"]["metadata"]["data_config"]
    update_checkpoint_metadata(ascending, {"data_config": {**data_config, "orbit": "ascending"}})
    lines: list[str] = []
    # the simulated catalogue is all descending: nothing fits a model of ascending passes
    with pytest.raises(DataSelectionError, match=r"No Sentinel-1 pass \(ascending\)"):
        respond_to_event(
            in_folder(hokkaido_config(hokkaido_stac, ascending), tmp_path / "a"),
            on_step=lines.append,
        )
    assert "orbit ascending" in lines[0]
    with pytest.raises(ConfigError, match="conflicts with the model"):
        respond_to_event(
            in_folder(
                hokkaido_config(hokkaido_stac, ascending, orbit_state="descending"), tmp_path / "b"
            )
        )
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
