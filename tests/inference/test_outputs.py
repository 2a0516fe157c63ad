"""predict_to_directory: outputs that open in GIS tools, and bad input refused cleanly."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import xarray as xr
from rasterio.features import rasterize

from sarslide.chips import DataConfig
from sarslide.chips.splits import plan_split
from sarslide.errors import (
    ConfigError,
    CubeValidationError,
    DataSelectionError,
    OutputExistsError,
)
from sarslide.inference import prepare as prepare_module
from sarslide.inference.config import DEFAULT_MIN_AREA_M2, PredictConfig
from sarslide.inference.outputs import PredictionOutputs, predict_to_directory
from tests.factories import make_minimal_cube

from .conftest import write_fake_checkpoint


def _cube(**kwargs):
    cube = make_minimal_cube(height=70, width=90, **kwargs)
    cube["vv"][:, 5:9, 10:14] = np.nan  # nodata in all acquisitions
    return cube


def _predict(
    checkpoint: Path,
    cube: xr.Dataset | str,
    out_dir: Path,
    *,
    progress: bool = True,
    overwrite: bool = False,
    **settings: object,
) -> PredictionOutputs:
    """predict_to_directory with the settings given as keywords, as before its config."""
    in_memory = isinstance(cube, xr.Dataset)
    cfg = PredictConfig.model_validate(
        {
            "checkpoint": str(checkpoint),
            "cube": "<in-memory dataset>" if in_memory else str(cube),
            "output_dir": str(out_dir),
            **settings,
        }
    )
    dataset = cube if isinstance(cube, xr.Dataset) else None
    return predict_to_directory(cfg, cube=dataset, progress=progress, overwrite=overwrite)


def _entries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_outputs_open_with_the_cube_crs_and_bounds(tmp_path: Path, fake_checkpoint: Path) -> None:
    cube = _cube()
    out = _predict(
        fake_checkpoint,
        cube,
        tmp_path / "map",
        tile_size_px=64,
        overlap_px=16,
        threshold=0.48,
        progress=False,
        figures=False,
        min_area_m2=0,  # keep every region: the polygons rasterise back exactly
    )
    bounds = cube.rio.bounds()
    with rasterio.open(out.probability_tif) as src:
        assert src.crs.to_epsg() == 32654 and src.shape == (70, 90)
        np.testing.assert_allclose(tuple(src.bounds), bounds)
        prob = src.read(1)
    with rasterio.open(out.binary_tif) as src:
        binary = src.read(1)
        assert src.nodata == 255
    assert np.isnan(prob[5:9, 10:14]).all() and np.isfinite(prob).sum() == 70 * 90 - 16
    assert (binary[5:9, 10:14] == 255).all()
    np.testing.assert_array_equal(binary[np.isfinite(prob)], prob[np.isfinite(prob)] >= 0.48)
    assert 0 < (binary == 1).sum() < binary.size - 16
    for path in (out.polygons_gpkg, out.polygons_geojson):
        polygons = gpd.read_file(path)
        epsg = 4326 if path.suffix == ".geojson" else 32654  # GeoJSON: RFC 7946 lon/lat
        assert polygons.crs.to_epsg() == epsg and len(polygons) > 0
        assert {"area_m2", "mean_probability"} <= set(polygons.columns)
        assert (polygons["mean_probability"] >= 0.48).all()
        if path.suffix == ".geojson":
            continue  # reprojected: the GeoPackage is the exact one
        burned = rasterize(polygons.geometry, out_shape=binary.shape, transform=src.transform)
        np.testing.assert_array_equal(burned, binary == 1)
    metrics = json.loads(out.metrics_json.read_text())
    assert 0 <= metrics["auprc"] <= 1 and metrics["n_nodata_pixels"] == 16
    assert "auprc" in out.report_html.read_text()
    config = json.loads(out.config_json.read_text())
    assert config["channels"] == ["vv_before", "vv_after", "vh_before", "vh_after"]
    assert _entries(tmp_path) == ["map", "model.ckpt"]  # no temporary left behind


def test_existing_output_is_refused_unless_overwrite(tmp_path: Path, fake_checkpoint: Path) -> None:
    (tmp_path / "map").mkdir()
    (tmp_path / "map" / "old.txt").write_text("keep me")
    with pytest.raises(OutputExistsError, match="--overwrite"):
        _predict(
            fake_checkpoint,
            _cube(),
            tmp_path / "map",
            tile_size_px=64,
            overlap_px=16,
            progress=False,
        )
    assert _entries(tmp_path / "map") == ["old.txt"]
    # --overwrite replaces only an earlier output of predict, never a user's folder.
    with pytest.raises(OutputExistsError, match="only replaces a previous output of"):
        _predict(
            fake_checkpoint,
            _cube(),
            tmp_path / "map",
            tile_size_px=64,
            overlap_px=16,
            overwrite=True,
            progress=False,
        )
    assert _entries(tmp_path / "map") == ["old.txt"]
    options: dict[str, Any] = {"tile_size_px": 64, "overlap_px": 16, "progress": False}
    first = _predict(fake_checkpoint, _cube(), tmp_path / "map2", **options)
    (first.directory / "stale.txt").write_text("from the first run")
    out = _predict(
        fake_checkpoint, _cube(), tmp_path / "map2", overwrite=True, figures=False, **options
    )
    assert "stale.txt" not in _entries(out.directory) and out.probability_tif.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_geographic_cube_is_refused_without_output(tmp_path: Path, fake_checkpoint: Path) -> None:
    with pytest.raises(CubeValidationError, match="geographic"):
        _predict(fake_checkpoint, _cube(crs="EPSG:4326"), tmp_path / "map", progress=False)
    assert _entries(tmp_path) == ["model.ckpt"]


def test_checkpoint_on_channels_the_cube_lacks(tmp_path: Path) -> None:
    names = [
        "vv_before",
        "vv_after",
        "vh_before",
        "vh_after",
        "dem",
        "dem_slope_radians",
        "dem_aspect",
        "dem_curvature",
    ]
    ckpt = write_fake_checkpoint(tmp_path / "model.ckpt", channels="sar+dem", names=names)
    cube = _cube().drop_vars("dem_curvature")
    with pytest.raises(DataSelectionError, match="dem_curvature"):
        _predict(ckpt, cube, tmp_path / "map", progress=False)
    assert _entries(tmp_path) == ["model.ckpt"]


def test_failure_midway_leaves_no_output(
    tmp_path: Path, fake_checkpoint: Path, monkeypatch
) -> None:
    import sarslide.inference.outputs as outputs

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(outputs, "write_polygons", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        _predict(
            fake_checkpoint,
            _cube(),
            tmp_path / "map",
            tile_size_px=64,
            overlap_px=16,
            progress=False,
        )
    assert _entries(tmp_path) == ["model.ckpt"]


def test_scene_smaller_than_a_tile(tmp_path: Path, fake_checkpoint: Path) -> None:
    cube = make_minimal_cube(height=20, width=27)
    out = _predict(fake_checkpoint, cube, tmp_path / "map", progress=False, figures=False)
    with rasterio.open(out.probability_tif) as src:
        assert src.shape == (20, 27) and np.isfinite(src.read(1)).all()


@pytest.mark.slow
def test_report_embeds_the_quicklook_and_error_map(tmp_path: Path, fake_checkpoint: Path) -> None:
    out = _predict(
        fake_checkpoint, _cube(), tmp_path / "map", tile_size_px=64, overlap_px=16, progress=False
    )
    assert out.quicklook_png.stat().st_size > 0 and out.error_map_png.stat().st_size > 0
    html = out.report_html.read_text()
    assert html.count("data:image/png;base64,") == 2 and "auprc" in html


def test_prediction_on_a_dask_cluster_equals_local(
    tmp_path: Path, fake_checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    distributed = pytest.importorskip("distributed")
    cube = _cube().chunk({"y": 32, "x": 32})
    options = {"tile_size_px": 64, "overlap_px": 16, "progress": False, "figures": False}
    local = _predict(fake_checkpoint, cube, tmp_path / "local", **options)

    def no_model_here(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the client loaded the model; only the workers should")

    monkeypatch.setattr(prepare_module, "load_inference_model", no_model_here)
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0"
    ) as cluster:
        remote = _predict(
            fake_checkpoint,
            cube,
            tmp_path / "cluster",
            scheduler_address=cluster.scheduler_address,
            **options,
        )
    run = json.loads(remote.config_json.read_text())
    assert list(run["on_workers"]["blocks_by_worker_pid"].values()) == [1]  # the worker ran it
    ran = run["on_workers"]["model_on_workers"]  # what ran there, recorded as the local run's
    assert list(run["on_workers"]["blocks_by_engine_device_precision"]) == [
        f"{ran['engine']} {ran['device']} {ran['precision']}"  # one way on every worker
    ]
    local_run = json.loads(local.config_json.read_text())
    assert (run["engine"], run["engine_version"]) == (ran["engine"], ran["engine_version"])
    assert (run["engine"], run["engine_version"]) == (
        local_run["engine"],
        local_run["engine_version"],
    )
    assert ran["batch_size"] == local_run["batch_size"] == 2  # auto, chosen on the worker
    with rasterio.open(local.probability_tif) as a, rasterio.open(remote.probability_tif) as b:
        np.testing.assert_array_equal(a.read(1), b.read(1))


def test_default_min_area_and_band_descriptions_on_the_cogs(
    tmp_path: Path, fake_checkpoint: Path
) -> None:
    assert PredictConfig.field_default("min_area_m2") == DEFAULT_MIN_AREA_M2 > 0
    out = _predict(
        fake_checkpoint,
        _cube(),
        tmp_path / "map",
        tile_size_px=64,
        overlap_px=16,
        threshold=0.48,
        progress=False,
        figures=False,
    )
    areas = gpd.read_file(out.polygons_gpkg)["area_m2"]
    assert len(areas) > 0 and (areas >= DEFAULT_MIN_AREA_M2).all()
    with rasterio.open(out.probability_tif) as src:
        assert src.descriptions == ("landslide probability",)
        assert "0-1" in src.tags(1)["units"]
    with rasterio.open(out.binary_tif) as src:
        assert src.descriptions == ("landslide mask",)
        assert src.tags(1)["values"] == "1 = landslide, 0 = no landslide, 255 = nodata"


def test_report_and_quicklook_say_the_cube_is_simulated(
    tmp_path: Path, fake_checkpoint: Path
) -> None:
    from PIL import Image

    cube = _cube()
    cube.attrs["simulated"] = "true"
    out = _predict(
        fake_checkpoint, cube, tmp_path / "sim", tile_size_px=64, overlap_px=16, progress=False
    )
    assert "SIMULATED CUBE" in out.report_html.read_text()
    assert "simulated" in Image.open(out.quicklook_png).info["Description"]
    assert json.loads(out.metrics_json.read_text())["simulated_cube"] is True
    del cube.attrs["simulated"]
    real = _predict(
        fake_checkpoint, cube, tmp_path / "real", tile_size_px=64, overlap_px=16, progress=False
    )
    assert "SIMULATED" not in real.report_html.read_text()
    assert "Description" not in Image.open(real.quicklook_png).info


def test_metrics_split_held_out_test_from_trained_pixels(tmp_path: Path) -> None:
    cube = _cube()
    plan = plan_split((70, 90), block_px=30, buffer_px=6, seed=1)
    train_cube = str(tmp_path / "train.zarr")
    checkpoint = write_fake_checkpoint(
        tmp_path / "model.ckpt", cube=train_cube, split_plan_json=plan.to_json()
    )
    options = {"tile_size_px": 64, "overlap_px": 16, "progress": False, "figures": False}
    out = _predict_named(checkpoint, cube, train_cube, tmp_path / "same", **options)
    metrics = json.loads(out.metrics_json.read_text())
    regions = metrics["regions"]
    assert set(regions) == {"held_out_test", "seen_in_training"}
    test_px = plan.region_mask("test") & ~np.isnan(cube["vv"][0].values)
    assert regions["held_out_test"]["n_pixels"] == int(test_px.sum()) > 0
    seen = plan.region_mask("train") | plan.region_mask("val")
    assert regions["seen_in_training"]["n_pixels"] == int(
        (seen & ~np.isnan(cube["vv"][0].values)).sum()
    )
    assert "never used for training" in regions["held_out_test"]["description"]
    intervals = regions["held_out_test"]["intervals"]  # tiles of the checkpoint's chip size
    tile = DataConfig.model_fields["chip_size_px"].default
    rows, cols = np.nonzero(test_px)
    assert intervals["tile_px"] == tile
    assert intervals["n_blocks"] == len(set(zip(rows // tile, cols // tile, strict=True)))
    assert intervals["auroc"][0] <= intervals["auroc"][1]
    html = out.report_html.read_text()
    assert "held_out_test" in html and "seen_in_training" in html
    assert "spatial block bootstrap interval" in html
    other = _predict_named(
        checkpoint, cube, str(tmp_path / "other.zarr"), tmp_path / "o", **options
    )
    unseen = json.loads(other.metrics_json.read_text())["regions"]
    assert list(unseen) == ["unseen"] and unseen["unseen"]["n_pixels"] == metrics["n_pixels"]


def _predict_named(
    checkpoint: Path, cube: xr.Dataset, name: str, out_dir: Path, **settings: Any
) -> PredictionOutputs:
    """predict_to_directory on an in-memory cube recorded under ``name``."""
    progress = bool(settings.pop("progress", False))
    cfg = PredictConfig.model_validate(
        {"checkpoint": str(checkpoint), "cube": name, "output_dir": str(out_dir), **settings}
    )
    return predict_to_directory(cfg, cube=cube, progress=progress, overwrite=True)


@pytest.mark.slow  # two worker processes start and import torch: 10-70 s on 2 shared cores
def test_the_model_runs_on_worker_processes_and_maps_the_same(
    tmp_path: Path, fake_checkpoint: Path
) -> None:
    """With a scheduler each worker process loads the model once and predicts the blocks;
    the client blends them: the same map as the local path."""
    distributed = pytest.importorskip("distributed")
    cube = make_minimal_cube(height=1100, width=90).chunk({"y": 256, "x": 90})
    options = {"tile_size_px": 256, "overlap_px": 32, "progress": False, "figures": False}
    local = _predict(fake_checkpoint, cube, tmp_path / "local", **options)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        worker_pids = set(client.run(os.getpid).values())
        remote = _predict(
            fake_checkpoint,
            cube,
            tmp_path / "cluster",
            scheduler_address=cluster.scheduler_address,
            **options,
        )
    run = json.loads(remote.config_json.read_text())
    pids = {int(pid) for pid in run["on_workers"]["blocks_by_worker_pid"]}
    # the worker processes ran the forward (the scheduler may give both blocks to one)
    assert pids and pids <= worker_pids and os.getpid() not in pids
    assert sum(run["on_workers"]["blocks_by_worker_pid"].values()) == run["on_workers"]["blocks"]
    with rasterio.open(local.probability_tif) as a, rasterio.open(remote.probability_tif) as b:
        np.testing.assert_allclose(b.read(1), a.read(1), rtol=0, atol=1e-6)


def test_with_a_scheduler_the_device_is_resolved_on_the_workers(
    tmp_path: Path, fake_checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The client does not refuse --device cuda (its workers may have GPUs); a worker
    without one refuses it, and the error reaches the client whole, nothing written."""
    import torch

    distributed = pytest.importorskip("distributed")
    from sarslide.errors import DeviceError
    from sarslide.inference import worker_predict

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    tried: list[str] = []  # the model loads the worker tried (threads of this process here)
    load = worker_predict.load_worker_model

    def recording_load(spec: Any) -> Any:
        tried.append(spec.device)
        return load(spec)

    monkeypatch.setattr(worker_predict, "load_worker_model", recording_load)
    cube = _cube().chunk({"y": 32, "x": 32})
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        pytest.raises(DeviceError, match="'cuda' is not available"),
    ):
        _predict(
            fake_checkpoint,
            cube,
            tmp_path / "map",
            progress=False,
            figures=False,
            device="cuda",
            tile_size_px=64,
            overlap_px=16,
            scheduler_address=cluster.scheduler_address,
        )
    assert tried and set(tried) == {"cuda"} and not (tmp_path / "map").exists()
    with pytest.raises(ConfigError, match="fp32 only"):  # what no worker could run: at once
        _predict(
            fake_checkpoint,
            cube,
            tmp_path / "map",
            engine="onnx",
            precision="bf16",
            scheduler_address="tcp://127.0.0.1:1",
        )


def test_listing_names_the_files_written_in_predicts_order(tmp_path: Path) -> None:
    from sarslide.inference.output_paths import PredictionOutputs

    full = PredictionOutputs.in_directory(tmp_path, has_labels=True).listing()
    assert [p.name for p in full] == [
        "probability.tif", "landslides.tif", "landslides.gpkg", "landslides.geojson",
        "quicklook.png", "error_map.png", "metrics.json", "report.html", "config.yaml",
    ]  # fmt: skip
    bare = PredictionOutputs.in_directory(tmp_path, has_labels=False, figures=False).listing()
    assert [p.name for p in bare] == [
        p.name for p in full if p.suffix != ".png" and p.stem != "metrics"
    ]
