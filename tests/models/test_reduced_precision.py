"""Reduced precision (int8 on ONNX Runtime, bf16 on torch) only where a check allows it.

``sarslide export --check-precision`` quantises the graph on training chips, scores
fp32, int8 and bf16 on the validation chips and records the AUPRC changes in the card;
``--precision auto`` runs the int8 graph only for a model whose record passed.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from sarslide.cli.main import app
from sarslide.datacube import write_cube
from sarslide.devices import resolve_precision
from sarslide.errors import CheckpointError, ConfigError, OutputExistsError
from sarslide.models import engines
from sarslide.models.checkpoints import load_model_from_checkpoint
from sarslide.models.engines import (
    choose_onnx_graph,
    file_sha256,
    int8_graph_path,
    load_inference_model,
    resolve_engine,
)
from sarslide.models.export import export_model
from sarslide.models.onnx_engine import create_onnx_session, export_onnx_bytes
from sarslide.models.precision_check import AUPRC_TOLERANCE
from sarslide.simulate import simulate_event_cube
from tests.inference.conftest import write_fake_checkpoint
from tests.sources.stac_fixtures import THIRD_PARTY_WARNINGS

pytestmark = [pytest.mark.filterwarnings(spec) for spec in THIRD_PARTY_WARNINGS]
CPU = torch.device("cpu")
INT8 = ["--precision", "int8"]


@pytest.fixture(scope="module")
def checked_export(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A unet-small checkpoint on a simulated cube, exported with the precision check."""
    folder = tmp_path_factory.mktemp("int8")
    cube = write_cube(
        simulate_event_cube(height_px=128, width_px=128, timesteps=4, seed=2),
        folder / "c.zarr",
    )
    data = {"chip_size_px": 32, "split": "random", "positive_only": False}
    ckpt = write_fake_checkpoint(
        folder / "best.ckpt", model_name="unet-small", cube=str(cube), data=data
    )
    result = CliRunner().invoke(
        app, ["export", str(ckpt), "-o", str(folder / "model.onnx"), "--check-precision"]
    )
    assert result.exit_code == 0, result.output
    assert "int8: validation AUPRC" in result.output
    return ckpt, folder / "model.onnx"


def test_export_leaves_the_model_in_eval_mode(tmp_path: Path) -> None:
    # the exporter restored its wrapper's training mode recursively: batch norm then
    # ran on batch statistics in whatever used the model next (probabilities off by 0.6)
    model, _ = load_model_from_checkpoint(write_fake_checkpoint(tmp_path / "m.ckpt"))
    export_onnx_bytes(model.eval(), in_channels=4, tile_px=32)
    assert not any(module.training for module in model.modules())


def test_the_check_is_recorded_and_decides_auto(checked_export: tuple[Path, Path]) -> None:
    _, onnx_file = checked_export
    card = json.loads(onnx_file.with_suffix(".json").read_text())
    check = card["precision_check"]
    assert check["split"] == "val" and check["chips"] > 0 and check["pixels"] > 0
    assert check["calibration"]["split"] == "train"
    for name in ("int8", "bf16"):
        result = check["results"][name]
        assert result["auprc_change"] == pytest.approx(result["auprc"] - check["fp32_auprc"])
        assert result["passed"] == (abs(result["auprc_change"]) < AUPRC_TOLERANCE)
    int8 = check["results"]["int8"]
    int8_file = onnx_file.with_name(int8["file"])
    assert int8_file == int8_graph_path(onnx_file) and file_sha256(int8_file) == int8["sha256"]
    assert "## Reduced precision" in onnx_file.with_suffix(".md").read_text()

    auto = load_inference_model(onnx_file, precision="auto")
    chosen = "int8" if int8["passed"] and engines.cpu_has_vnni() else "fp32"
    assert auto.precision.name == chosen
    fp32 = load_inference_model(onnx_file, precision="fp32")
    forced = load_inference_model(onnx_file, precision="int8")
    assert (fp32.precision.name, forced.precision.name) == ("fp32", "int8")
    assert forced.describe()["graph"] == int8_file.name
    x = np.random.default_rng(0).standard_normal((2, 4, 64, 96)).astype(np.float32)
    p32, p8 = fp32.predict_batch(x), forced.predict_batch(x)
    assert p8.shape == p32.shape and np.isfinite(p8).all()
    assert not np.array_equal(p8, p32)  # the int8 graph really runs in int8
    # the recorded largest change on the validation chips bounds the model's error
    # scale: an int8 step is 1/255 of a per-tensor range, not a wrong model
    assert float(np.max(np.abs(p8 - p32))) < 0.25


def test_onnx_sessions_do_not_spin(tmp_path: Path) -> None:
    # spinning intra-op threads took the cores from the block reader (docs/predict.md)
    model, _ = load_model_from_checkpoint(write_fake_checkpoint(tmp_path / "m.ckpt"))
    session = create_onnx_session(export_onnx_bytes(model, in_channels=4, tile_px=32))
    options = session.get_session_options()
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"


def _card(passed: bool | None, sha: str = "") -> dict:
    card: dict = {"model": {"graph_precision": "fp32"}}
    if passed is not None:
        card["precision_check"] = {
            "tolerance_auprc": AUPRC_TOLERANCE,
            "results": {
                "int8": {"passed": passed, "auprc_change": -0.001, "file": "m.int8.onnx"},
            },
        }
        card["precision_check"]["results"]["int8"]["sha256"] = sha
    return card


def test_auto_runs_int8_only_where_the_recorded_check_passed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engines, "cpu_has_vnni", lambda: True)
    model = tmp_path / "m.onnx"
    int8 = tmp_path / "m.int8.onnx"
    int8.write_bytes(b"int8 graph")
    sha = file_sha256(int8)
    assert choose_onnx_graph(model, _card(True, sha), "auto")[:2] == (int8, "int8")
    assert choose_onnx_graph(model, _card(False, sha), "auto")[:2] == (model, "fp32")
    assert choose_onnx_graph(model, _card(None), "auto")[:2] == (model, "fp32")
    assert choose_onnx_graph(model, _card(True, sha), "fp32")[:2] == (model, "fp32")
    # no VNNI: uint8 x int8 sums can saturate, the recorded check would not carry over
    with monkeypatch.context() as patch:
        patch.setattr(engines, "cpu_has_vnni", lambda: False)
        assert choose_onnx_graph(model, _card(True, sha), "auto")[:2] == (model, "fp32")
    # on a GPU: the check and VNNI speak of the CPU, auto keeps the fp32 graph
    assert choose_onnx_graph(model, _card(True, sha), "auto", on_cpu=False)[:2] == (
        model,
        "fp32",
    )
    # a file other than the one checked: fp32
    assert choose_onnx_graph(model, _card(True, "0" * 64), "auto")[:2] == (model, "fp32")
    # asked for explicitly: run it even where the check failed (a warning is logged)
    assert choose_onnx_graph(model, _card(False, sha), "int8")[:2] == (int8, "int8")
    with pytest.raises(CheckpointError, match="--check-precision"):  # a stale file
        choose_onnx_graph(model, _card(False, "0" * 64), "int8")
    int8.unlink()
    assert choose_onnx_graph(model, _card(True, sha), "auto")[:2] == (model, "fp32")
    with pytest.raises(CheckpointError, match="--check-precision"):
        choose_onnx_graph(model, _card(None), "int8")
    graph_card = {"model": {"graph_precision": "int8"}}
    assert choose_onnx_graph(int8, graph_card, "auto")[:2] == (int8, "int8")
    with pytest.raises(ConfigError, match="is an int8 graph"):
        choose_onnx_graph(int8, graph_card, "fp32")


def test_int8_is_refused_for_training_off_the_cpu_and_without_an_export() -> None:
    assert resolve_precision("int8", CPU, inference=True).name == "int8"
    with pytest.raises(ConfigError, match="inference only"):
        resolve_precision("int8", CPU)
    with pytest.raises(ConfigError, match="on the CPU"):
        resolve_precision("int8", torch.device("cuda"), inference=True)
    assert resolve_engine("auto", CPU, onnx_file=True, precision="int8") == "onnx"
    with pytest.raises(ConfigError, match="--check-precision"):
        resolve_engine("auto", CPU, onnx_file=False, precision="int8")
    with pytest.raises(ConfigError, match="--check-precision"):
        resolve_engine("onnx", CPU, onnx_file=False, precision="int8")
    with pytest.raises(ConfigError, match="needs a checkpoint"):
        resolve_engine("torch", CPU, onnx_file=True, precision="int8")


def test_predict_with_int8_from_a_checkpoint_is_one_line(tmp_path: Path) -> None:
    ckpt = write_fake_checkpoint(tmp_path / "best.ckpt")
    result = CliRunner().invoke(
        app,
        ["predict", str(ckpt), "--cube", "c.zarr", "-o", str(tmp_path / "m"), *INT8],
    )
    assert result.exit_code == 1
    assert "--check-precision" in result.output
    assert not (tmp_path / "m").exists()


def test_export_refuses_an_existing_int8_file(checked_export: tuple[Path, Path]) -> None:
    ckpt, onnx_file = checked_export
    other = onnx_file.with_name("other.onnx")
    int8_graph_path(other).write_bytes(b"someone's file")
    with pytest.raises(OutputExistsError, match=r"other\.int8\.onnx"):
        export_model(ckpt, other, check_precision=True)
    assert not other.exists()


def test_predict_runs_the_int8_graph_and_says_so(
    checked_export: tuple[Path, Path], tmp_path: Path
) -> None:
    import rasterio

    from sarslide.inference.config import PredictConfig
    from sarslide.inference.outputs import predict_to_directory

    _, onnx_file = checked_export
    cube = onnx_file.with_name("c.zarr")
    maps, runs = {}, {}
    for precision in ("fp32", "int8"):
        cfg = PredictConfig(
            checkpoint=str(onnx_file),
            cube=str(cube),
            output_dir=str(tmp_path / precision),
            precision=precision,
            figures=False,
        )
        outputs = predict_to_directory(cfg, progress=False)
        with rasterio.open(outputs.probability_tif) as src:
            maps[precision] = src.read(1)
        runs[precision] = json.loads(outputs.config_json.read_text())
    assert (runs["fp32"]["precision"], runs["int8"]["precision"]) == ("fp32", "int8")
    assert runs["int8"]["graph"] == "model.int8.onnx"
    assert runs["fp32"]["graph"] == "model.onnx"
    both = np.isfinite(maps["fp32"]) & np.isfinite(maps["int8"])
    assert both.any() and not np.array_equal(maps["fp32"][both], maps["int8"][both])
    # same bound as on chips: quantisation steps, not a different model
    assert float(np.max(np.abs(maps["fp32"][both] - maps["int8"][both]))) < 0.25
