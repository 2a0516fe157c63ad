"""A model meets a cube at another pixel size: refused in one line, or mapped with a warning."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from sarslide.datacube import write_cube
from sarslide.datacube.resolution import GridResolution, cube_resolution, resolution_mismatch
from sarslide.errors import ConfigError, DataSelectionError
from sarslide.inference.config import PredictConfig
from sarslide.inference.outputs import predict_to_directory
from sarslide.training.resolution import record_training_grid, training_resolution
from tests.factories import make_minimal_cube

from .conftest import write_fake_checkpoint

AT_10_M = {"training_resolution": {"pixel_size": 10.0, "unit": "m", "crs_kind": "projected"}}


def _map(tmp_path: Path, cube_resolution_m: float, **options) -> Path:
    cube = write_cube(make_minimal_cube(resolution_m=cube_resolution_m), tmp_path / "c.zarr")
    model = write_fake_checkpoint(tmp_path / "m.ckpt", metadata=AT_10_M)
    cfg = PredictConfig(
        checkpoint=str(model),
        cube=str(cube),
        output_dir=str(tmp_path / "map"),
        tile_size_px=32,
        overlap_px=0,
        figures=False,
        **options,
    )
    return predict_to_directory(cfg, progress=False).directory


def test_a_cube_at_another_pixel_size_is_refused_before_writing(tmp_path: Path) -> None:
    with pytest.raises(DataSelectionError) as caught:
        _map(tmp_path, 30.0)
    message = str(caught.value)
    assert "trained at 10 m pixels and the cube has 30 m" in message
    assert "--allow-resolution-mismatch" in message and "\n" not in message
    assert not (tmp_path / "map").exists()


def test_allow_resolution_mismatch_maps_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        folder = _map(tmp_path, 30.0, allow_resolution_mismatch=True)
    assert (folder / "probability.tif").exists()
    assert any("resolution mismatch" in r.getMessage() for r in caplog.records)


def test_within_ten_percent_is_the_same_resolution() -> None:
    trained = GridResolution(10.0, "m", "projected")
    assert resolution_mismatch(trained, GridResolution(11.0, "m", "projected")) is None
    assert resolution_mismatch(trained, GridResolution(11.5, "m", "projected")) is not None
    assert resolution_mismatch(trained, GridResolution(0.0001, "deg", "geographic")) is not None


def test_training_records_the_pixel_size_and_refuses_mixed_events(tmp_path: Path) -> None:
    from sarslide.chips import DataConfig

    ten = write_cube(make_minimal_cube(resolution_m=10.0), tmp_path / "ten.zarr")
    thirty = write_cube(make_minimal_cube(resolution_m=30.0), tmp_path / "thirty.zarr")
    one = DataConfig(cube=str(ten), timesteps_k=1)
    assert training_resolution(one) == {
        "training_resolution": {"pixel_size": 10.0, "unit": "m", "crs_kind": "projected"}
    }
    mixed = DataConfig(
        events=[{"name": "a", "cube": str(ten)}, {"name": "b", "cube": str(thirty)}],
        timesteps_k=1,
    )
    with pytest.raises(ConfigError, match=r"different pixel sizes \(a: 10 m .*b: 30 m"):
        training_resolution(mixed)
    assert cube_resolution(make_minimal_cube(crs=None)) is None


def test_training_records_whether_its_cubes_are_simulated(tmp_path: Path) -> None:
    from sarslide.chips import DataConfig

    simulated = make_minimal_cube()
    simulated.attrs["simulated"] = "true"
    sim = write_cube(simulated, tmp_path / "sim.zarr")
    real = write_cube(make_minimal_cube(), tmp_path / "real.zarr")
    one = record_training_grid(DataConfig(cube=str(sim), timesteps_k=1))
    assert one == {**AT_10_M, "training_simulated": True}
    assert (
        record_training_grid(DataConfig(cube=str(real), timesteps_k=1))["training_simulated"]
        is False
    )
    events = [{"name": "a", "cube": str(sim)}, {"name": "b", "cube": str(real)}]
    mixed = record_training_grid(DataConfig(events=events, timesteps_k=1))
    assert mixed["training_simulated"] == {"summary": "some", "events": {"a": True, "b": False}}
    both = record_training_grid(DataConfig(events=events[:1], timesteps_k=1))
    assert both["training_simulated"] == {"summary": "all", "events": {"a": True}}


def test_evaluate_refuses_a_cube_at_another_pixel_size(tmp_path: Path) -> None:
    from sarslide.evaluation import evaluate_checkpoint
    from sarslide.evaluation.config import EvaluateConfig

    cube = write_cube(make_minimal_cube(resolution_m=30.0), tmp_path / "c.zarr")
    model = write_fake_checkpoint(tmp_path / "m.ckpt", metadata=AT_10_M)
    cfg = EvaluateConfig(checkpoint=str(model), cube=str(cube), output_dir=str(tmp_path / "e"))
    with pytest.raises(DataSelectionError, match=r"Resolution mismatch.*--allow-resolution"):
        evaluate_checkpoint(cfg, progress=False)
    assert not (tmp_path / "e").exists()
