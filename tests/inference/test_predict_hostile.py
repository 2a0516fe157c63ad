"""Issue 23's predict cases: a figure that fails keeps the map; a full disk is named."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from sarslide.cli.main import app
from sarslide.datacube import write_cube
from tests.factories import make_minimal_cube

OPTIONS = ["--tile-size", "32", "--overlap", "8"]


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, " ".join(result.output.split())


def test_a_corrupt_dem_chunk_costs_the_figures_not_the_map(
    tmp_path: Path, fake_checkpoint: Path
) -> None:
    cube = write_cube(make_minimal_cube(height=40, width=50), tmp_path / "cube.zarr")
    chunks = [p for p in (cube / "dem").rglob("*") if p.is_file() and "zarr.json" not in p.name]
    assert chunks, "the DEM has chunk files"
    for chunk in chunks:
        chunk.write_bytes(b"\x00garbage" * 3)
    out = tmp_path / "map"
    code, output = run(
        "predict", str(fake_checkpoint), "--cube", str(cube), "-o", str(out), *OPTIONS
    )
    assert code == 0, output
    assert (out / "probability.tif").is_file() and (out / "landslides.gpkg").is_file()
    assert not (out / "quicklook.png").exists()
    assert "--no-figures" in output and "dem" in output, output
    assert "quicklook.png" not in (out / "report.html").read_text()


def test_a_full_disk_during_predict_names_the_device_and_keeps_nothing(
    tmp_path: Path, fake_checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cube = write_cube(make_minimal_cube(height=40, width=50), tmp_path / "cube.zarr")
    real_usage = shutil.disk_usage

    def failing_write(*_: Any, **__: Any) -> None:
        # GDAL on a full disk: only 'Write failed' reaches Python (the errno is logged)
        monkeypatch.setattr(shutil, "disk_usage", lambda p: real_usage(p)._replace(free=4096))
        raise RuntimeError("Write failed. See previous exception for details.")

    monkeypatch.setattr("sarslide.inference.outputs.predict_map_rasters", failing_write)
    out = tmp_path / "map"
    code, output = run(
        "predict", str(fake_checkpoint), "--cube", str(cube), "-o", str(out), "--no-figures"
    )
    assert code == 1
    assert f"No space left on the device holding {str(tmp_path)!r}" in output
    assert "0.0 MiB free" in output and "Free space there" in output
    assert not out.exists() and not list(tmp_path.glob(".map*"))


def test_a_lost_chunk_of_an_xarray_cube_is_reported_in_metrics_json(
    tmp_path: Path, fake_checkpoint: Path
) -> None:
    import json

    from sarslide import conventions as cv

    ds = make_minimal_cube(height=40, width=50)
    store = tmp_path / "xr.zarr"
    ds.chunk({cv.DIM_TIMESTEP: 1, cv.DIM_Y: 20, cv.DIM_X: 25}).to_zarr(store, zarr_format=2)
    (store / cv.VAR_VV / "3.1.1").unlink()  # after the event: the model reads it
    out = tmp_path / "map"
    args = ["predict", str(fake_checkpoint), "--cube", str(store), "-o", str(out)]
    code, output = run(*args, *OPTIONS, "--no-figures")
    assert code == 0, output
    assert "'vv' has no file for 1 of 16 chunks" in output
    holes = json.loads((out / "metrics.json").read_text())["missing_chunks"]
    assert holes["vv"]["missing"] == 1
    assert holes["vv"]["examples"] == ["vv/3.1.1: timestep 3, y 20-39, x 25-49"]


_DYING: dict[str, Any] = {}


def _scheduler_dies(*args: Any, **kwargs: Any) -> Any:
    """predict_block_task that first stops the scheduler (module level: tasks pickle)."""
    cluster = _DYING["cluster"]
    cluster.loop.add_callback(cluster.scheduler.close)
    time.sleep(2)
    return _DYING["task"](*args, **kwargs)


def test_a_scheduler_that_dies_mid_run_is_one_line_and_keeps_no_map(
    tmp_path: Path, fake_checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scheduler stops while the first block is predicted: was 'unexpected
    FutureCancelledError: ... cancelled for reason: scheduler-connection-lost'."""
    distributed = pytest.importorskip("distributed")
    from sarslide.inference import worker_predict

    cube = write_cube(make_minimal_cube(height=64, width=64), tmp_path / "cube.zarr")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0"
    ) as cluster:
        monkeypatch.setitem(_DYING, "cluster", cluster)
        monkeypatch.setitem(_DYING, "task", worker_predict.predict_block_task)
        monkeypatch.setattr(worker_predict, "predict_block_task", _scheduler_dies)
        out = tmp_path / "map"
        args = ["--cube", str(cube), "-o", str(out), "--no-figures", *OPTIONS]
        address = ["--scheduler", cluster.scheduler_address]
        code, output = run("predict", str(fake_checkpoint), *args, *address)
    assert code == 1, output
    assert f"error: Lost the dask scheduler {cluster.scheduler_address!r}" in output
    assert "run the same command again" in output and "unexpected" not in output
    assert "ERROR" not in output  # the client's reconnect traceback is not shown
    assert not out.exists() and not list(tmp_path.glob(".map*"))
