"""``sarslide export`` (ONNX + model card) and the engines (torch, ONNX Runtime) that run it.

The maps of both engines are compared on a cube built from real OPERA RTC-S1 files
(tests/data/s1-rtc-opera-enga, see ATTRIBUTION.md) and on a simulated cube.
"""

from __future__ import annotations

import errno
import json
from pathlib import Path

import numpy as np
import pytest
import rasterio
from typer.testing import CliRunner

from sarslide.atomic import host_id
from sarslide.cli.main import app
from sarslide.datacube import write_cube
from sarslide.errors import (
    CheckpointError,
    ConfigError,
    OutputBusyError,
    OutputExistsError,
    OutputLocationError,
)
from sarslide.evaluation.config import EvaluateConfig
from sarslide.evaluation.evaluate import evaluate_checkpoint
from sarslide.inference.config import PredictConfig
from sarslide.inference.outputs import predict_to_directory
from sarslide.models.checkpoints import read_checkpoint, read_model_bundle
from sarslide.models.engines import load_inference_model, read_model_file_bundle, resolve_engine
from sarslide.models.export import export_model
from sarslide.models.model_card import build_model_card, render_model_card
from sarslide.ownership import lock_path
from sarslide.simulate import simulate_event_cube
from sarslide.sources.build import build_cube
from sarslide.sources.config import BuildConfig
from tests.factories import make_minimal_cube
from tests.inference.conftest import write_fake_checkpoint
from tests.sources.stac_fixtures import THIRD_PARTY_WARNINGS

DATA = Path(__file__).parents[1] / "data"
OPERA = DATA / "s1-rtc-opera-enga" / "T009_019294_IW2_cropped_tv"
# probability is in [0, 1]: 1e-5 absolute is the contract between the fp32 engines
ENGINE_TOLERANCE = 1e-5
pytestmark = [pytest.mark.filterwarnings(spec) for spec in THIRD_PARTY_WARNINGS]  # odc-geo's


@pytest.fixture(scope="module")
def model_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A unet-small checkpoint (seeded random weights) and its export."""
    folder = tmp_path_factory.mktemp("export")
    ckpt = write_fake_checkpoint(folder / "best.ckpt", model_name="unet-small")
    written = export_model(ckpt, folder / "model.onnx")
    return ckpt, written.onnx


@pytest.fixture(scope="module")
def real_cube(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 x 450 px at 10 m from the four Jan-Feb 2024 OPERA files; the 'event' is put
    between the second and third pass so that k = 2 composites exist on both sides."""
    out = tmp_path_factory.mktemp("real") / "enga.zarr"
    cfg = BuildConfig.model_validate(
        {
            "rtc": str(OPERA / "OPERA_L2_RTC-S1_T009-019294-IW2_20240[12]*.tif"),
            "dem": str(DATA / "synthetic" / "enga_dem_3arcsec.tif"),
            "event_start": "2024-02-10",
            "event_end": "2024-02-11",
        }
    )
    build_cube(cfg, out, progress=False)
    return out


def _predict(model: Path, cube: str, out: Path, engine: str) -> tuple[np.ndarray, dict]:
    cfg = PredictConfig(
        checkpoint=str(model), cube=cube, output_dir=str(out), engine=engine, figures=False
    )
    outputs = predict_to_directory(cfg, progress=False)
    with rasterio.open(outputs.probability_tif) as src:
        probability = src.read(1)
    return probability, json.loads(outputs.config_json.read_text())


def test_export_writes_onnx_and_a_card_a_program_loads(model_files: tuple[Path, Path]) -> None:
    ckpt, onnx_file = model_files
    card = json.loads(onnx_file.with_suffix(".json").read_text())
    assert card["channels"] == ["vv_before", "vv_after", "vh_before", "vh_after"]
    assert card["normalisation"]["mean"] == [-1.0] * 4
    assert card["composite"]["timesteps_k"] == 2 and card["composite"]["reducer"] == "mean"
    assert card["threshold"]["value"] == 0.5
    assert card["model"]["size_multiple_px"] == 16
    check = card["model"]["export_check"]
    assert check["onnx_max_abs_error"] <= ENGINE_TOLERANCE
    assert card["sarslide_version"]
    # the card embedded in the ONNX file rebuilds the checkpoint's bundle exactly
    assert _facts(read_model_file_bundle(onnx_file)) == _facts(read_model_bundle(ckpt))
    markdown = onnx_file.with_suffix(".md").read_text()
    assert "| 0 | vv_before | -1 | 0.3 |" in markdown and "## Threshold" in markdown


def _facts(bundle) -> dict:
    """Every field of a bundle, comparable (arrays as lists), its source file apart."""
    facts = {k: v for k, v in vars(bundle).items() if k not in ("source",)}
    facts["normalisation"] = bundle.normalisation.to_dict()
    facts["data_config"] = bundle.data_config.model_dump(mode="json")
    return facts


def test_onnx_graph_takes_any_batch_and_tile_size(model_files: tuple[Path, Path]) -> None:
    ckpt, onnx_file = model_files
    onnx_model = load_inference_model(onnx_file, engine="auto")
    torch_model = load_inference_model(ckpt, engine="torch")
    assert (onnx_model.engine, torch_model.engine) == ("onnx", "torch")
    rng = np.random.default_rng(1)
    for shape in [(3, 4, 64, 96), (1, 4, 160, 32)]:
        x = rng.standard_normal(shape).astype(np.float32)
        got, expected = onnx_model.predict_batch(x), torch_model.predict_batch(x)
        assert got.shape == shape[:1] + shape[2:]
        np.testing.assert_allclose(got, expected, rtol=0, atol=ENGINE_TOLERANCE)


def test_two_class_probability_runs_without_a_softmax_over_channels() -> None:
    # softmax(l)[:, 1] == sigmoid(l1 - l0): the exported head has no Softmax (which with
    # its transposes took ~15 % of an int8 graph) and equals the torch head
    import io

    import onnx
    import torch

    from sarslide.models import create_model
    from sarslide.models.onnx_engine import create_onnx_session, export_onnx_bytes
    from sarslide.models.predict import positive_probability

    torch.manual_seed(0)
    model = create_model("unet-tiny", in_channels=3, num_classes=2, encoder_weights=None)
    graph = export_onnx_bytes(model, in_channels=3)
    ops = {node.op_type for node in onnx.load(io.BytesIO(graph)).graph.node}
    assert "Softmax" not in ops and "Sigmoid" in ops
    x = torch.randn(2, 3, 64, 96) * 4
    with torch.no_grad():
        expected = positive_probability(model.eval()(x)).numpy()
    got = create_onnx_session(graph).run(None, {"input": x.numpy()})[0]
    np.testing.assert_allclose(got, expected, rtol=0, atol=ENGINE_TOLERANCE)


def test_maps_of_both_engines_agree_on_a_real_file_cube(
    model_files: tuple[Path, Path], real_cube: Path, tmp_path: Path
) -> None:
    ckpt, onnx_file = model_files
    torch_map, torch_run = _predict(ckpt, str(real_cube), tmp_path / "torch", "torch")
    onnx_map, onnx_run = _predict(onnx_file, str(real_cube), tmp_path / "onnx", "auto")
    assert np.isfinite(torch_map).mean() > 0.9
    np.testing.assert_array_equal(np.isnan(torch_map), np.isnan(onnx_map))
    np.testing.assert_allclose(onnx_map, torch_map, rtol=0, atol=ENGINE_TOLERANCE)
    assert torch_run["engine"] == "torch" and torch_run["engine_version"].startswith("2.")
    assert onnx_run["engine"] == "onnx" and onnx_run["engine_version"][0].isdigit()
    assert onnx_run["exported_model"] is True


def test_maps_of_both_engines_agree_on_a_simulated_cube(
    model_files: tuple[Path, Path], tmp_path: Path
) -> None:
    ckpt, _ = model_files
    cube = simulate_event_cube(height_px=96, width_px=112, timesteps=4, seed=5)
    maps = {}
    for engine in ("torch", "onnx"):  # onnx from the checkpoint: exported in memory
        cfg = PredictConfig(
            checkpoint=str(ckpt),
            cube="<simulated>",
            output_dir=str(tmp_path / engine),
            engine=engine,
            figures=False,
            tile_size_px=64,
            overlap_px=16,
        )
        with rasterio.open(
            predict_to_directory(cfg, cube=cube, progress=False).probability_tif
        ) as f:
            maps[engine] = f.read(1)
    np.testing.assert_allclose(maps["onnx"], maps["torch"], rtol=0, atol=ENGINE_TOLERANCE)


def test_engine_choice_and_refusals() -> None:
    import torch

    cpu, gpu = torch.device("cpu"), torch.device("cuda")
    assert resolve_engine("auto", cpu, onnx_file=False) == "onnx"
    assert resolve_engine("auto", gpu, onnx_file=False) == "torch"
    assert resolve_engine("auto", cpu, onnx_file=False, precision="bf16") == "torch"
    assert resolve_engine("auto", cpu, onnx_file=True) == "onnx"
    with pytest.raises(ConfigError, match="needs a checkpoint"):
        resolve_engine("torch", cpu, onnx_file=True)
    with pytest.raises(ConfigError, match="fp32 only"):
        resolve_engine("onnx", cpu, onnx_file=False, precision="bf16")
    with pytest.raises(ConfigError, match="Invalid engine 'tensorrt'"):
        resolve_engine("tensorrt", cpu, onnx_file=False)


def test_cli_export_and_its_refusals(model_files: tuple[Path, Path], tmp_path: Path) -> None:
    ckpt, _ = model_files
    runner = CliRunner()
    out = tmp_path / "m.onnx"
    result = runner.invoke(app, ["export", str(ckpt), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.is_file() and out.with_suffix(".json").is_file() and out.with_suffix(".md").is_file()
    again = runner.invoke(app, ["export", str(ckpt), "-o", str(out)])
    assert again.exit_code == 1 and "--overwrite" in again.output
    bad = runner.invoke(app, ["export", str(ckpt), "-o", str(tmp_path / "m.pt")])
    assert bad.exit_code == 1 and "a .onnx file" in bad.output
    assert not (tmp_path / "m.pt").exists()
    wrong = runner.invoke(
        app,
        ["predict", str(out), "--cube", "x.zarr", "-o", str(tmp_path / "p"), "--engine", "torch"],
    )
    assert wrong.exit_code == 1 and "needs a checkpoint" in wrong.output
    assert not (tmp_path / "p").exists()


def test_evaluate_from_the_exported_model_equals_the_checkpoint(tmp_path: Path) -> None:
    cube_path = write_cube(
        simulate_event_cube(height_px=96, width_px=96, timesteps=4, seed=2), tmp_path / "c.zarr"
    )
    data = {"chip_size_px": 32, "split": "random", "positive_only": False}
    ckpt = write_fake_checkpoint(
        tmp_path / "best.ckpt", model_name="unet-small", cube=str(cube_path), data=data
    )
    onnx_file = export_model(ckpt, tmp_path / "model.onnx").onnx
    results = {}
    for name, model in (("torch", ckpt), ("onnx", onnx_file)):
        cfg = EvaluateConfig(
            checkpoint=str(model),
            output_dir=str(tmp_path / f"eval-{name}"),
            tile_size_px=64,
            overlap_px=16,
        )
        results[name] = evaluate_checkpoint(cfg.model_copy(update={"engine": name}))
    assert results["onnx"].engine["engine"] == "onnx"
    assert results["torch"].engine["engine"] == "torch"
    for block in ("chips", "region"):
        got, expected = (getattr(results[n], block) for n in ("onnx", "torch"))
        assert got.n_pixels == expected.n_pixels > 0
        assert got.auprc == pytest.approx(expected.auprc, abs=1e-4)


def test_a_foreign_onnx_file_is_refused_in_one_line(tmp_path: Path) -> None:
    foreign = tmp_path / "other.onnx"
    foreign.write_bytes(b"not a protobuf at all")
    with pytest.raises(CheckpointError, match=r"cannot be read as ONNX|no sarslide model card"):
        read_model_file_bundle(foreign)


def test_the_card_takes_the_training_resolution_the_checkpoint_recorded(
    model_files: tuple[Path, Path],
) -> None:
    ckpt, _ = model_files
    hparams = read_checkpoint(ckpt)["hyper_parameters"]
    record = {"pixel_size": 10.0, "unit": "m", "crs_kind": "projected"}
    hparams["metadata"]["training_resolution"] = record
    card = build_model_card(hparams, source=str(ckpt), model_spec={})
    assert card["training_grid"] == {"source": "checkpoint", "training_resolution": record}
    assert "training_resolution" in render_model_card({**card, "model": {"name": "m"}})


def test_the_card_says_whether_the_training_data_was_simulated(
    model_files: tuple[Path, Path], tmp_path: Path
) -> None:
    """The run records it (the card said "unknown (the training cube was not read)"
    whenever the checkpoint recorded its grid, as every 'sarslide train' run does)."""
    ckpt, _ = model_files
    hparams = read_checkpoint(ckpt)["hyper_parameters"]
    meta = hparams["metadata"]  # its cube 'train.zarr' does not exist
    meta["training_resolution"] = {"pixel_size": 10.0, "unit": "m", "crs_kind": "projected"}
    meta["training_simulated"] = True
    card = build_model_card(hparams, source=str(ckpt), model_spec={})
    assert card["training_data"]["simulated"] is True
    assert "- simulated: **yes**: trained on simulated data" in render_model_card(card)
    meta["training_simulated"] = {"summary": "some", "events": {"a": True, "b": False}}
    card = build_model_card(hparams, source=str(ckpt), model_spec={})
    assert card["training_data"]["simulated"] == "some"
    assert card["training_data"]["simulated_by_event"] == {"a": True, "b": False}
    assert "(a yes, b no)" in render_model_card(card)
    # an older checkpoint (no record): its cube is read where it can be, else unknown, why
    del meta["training_simulated"]
    card = build_model_card(hparams, source=str(ckpt), model_spec={})
    unknown = card["training_data"]["simulated"]
    assert unknown.startswith("unknown (the training cube is not readable here: ")
    assert "train.zarr" in unknown
    simulated = make_minimal_cube()
    simulated.attrs["simulated"] = "true"
    meta["cube_path"] = str(write_cube(simulated, tmp_path / "sim.zarr"))
    card = build_model_card(hparams, source=str(ckpt), model_spec={})
    assert card["training_data"]["simulated"] is True


def test_export_refuses_a_folder_in_the_way_before_writing_anything(
    model_files: tuple[Path, Path], tmp_path: Path
) -> None:
    """A folder named like the card's .json was found only after the export's work,
    when the .md was already in place (left behind, exit 1)."""
    ckpt, _ = model_files
    (tmp_path / "m.json").mkdir()
    (tmp_path / "m.json" / "keep.txt").write_text("mine")
    with pytest.raises(OutputExistsError, match="is a folder"):
        export_model(ckpt, tmp_path / "m.onnx", overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json"]
    assert (tmp_path / "m.json" / "keep.txt").read_text() == "mine"


def test_export_overwrite_replaces_an_export_but_never_a_users_file(
    model_files: tuple[Path, Path], tmp_path: Path
) -> None:
    ckpt, onnx_file = model_files
    for suffix in (".onnx", ".json", ".md"):  # an earlier export: replaced
        (tmp_path / f"m{suffix}").write_bytes(onnx_file.with_suffix(suffix).read_bytes())
    (tmp_path / "notes.md").write_text("# my notes\n")
    with pytest.raises(OutputExistsError, match="not a file 'sarslide export' wrote"):
        export_model(ckpt, tmp_path / "notes.onnx", overwrite=True)
    assert (tmp_path / "notes.md").read_text() == "# my notes\n"
    assert not (tmp_path / "notes.onnx").exists() and not (tmp_path / "notes.json").exists()
    written = export_model(ckpt, tmp_path / "m.onnx", overwrite=True)
    assert json.loads(written.card_json.read_text())["card_format"] == "sarslide-model-card/1"


def test_a_second_export_to_the_same_file_refuses_at_once(
    model_files: tuple[Path, Path], tmp_path: Path
) -> None:
    """The lock of a live exporter (pid 1 on this host) stops a second one before it
    loads the checkpoint; both used to write, the last one winning."""
    ckpt, _ = model_files
    target = tmp_path / "m.onnx"
    lock = lock_path(target)
    lock.write_text(
        json.dumps({"pid": 1, "host": "here", "host_id": host_id(), "command": "export"})
    )
    with pytest.raises(OutputBusyError, match="being written by another sarslide process"):
        export_model(ckpt, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == [lock.name]


def test_export_on_a_full_disk_keeps_nothing_and_says_so(
    model_files: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ckpt, _ = model_files

    def fill_disk(graph: bytes, path: str, meta: dict) -> None:
        Path(path).write_bytes(graph[:1000])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("sarslide.models.export.write_onnx_with_metadata", fill_disk)
    with pytest.raises(OutputLocationError, match="No space left on the device holding"):
        export_model(ckpt, tmp_path / "m.onnx")
    assert list(tmp_path.iterdir()) == []


def test_an_onnx_whose_graph_does_not_match_its_card_is_refused_at_load(
    model_files: tuple[Path, Path], tmp_path: Path
) -> None:
    """A card copied onto a 2-channel graph: ONNX Runtime's 'Got invalid dimensions'
    surfaced at the first tile as an unexpected error."""
    from sarslide.models import create_model
    from sarslide.models.engines import read_onnx_card
    from sarslide.models.onnx_engine import (
        CARD_METADATA_KEY,
        export_onnx_bytes,
        write_onnx_with_metadata,
    )

    _, onnx_file = model_files
    card = json.dumps(read_onnx_card(onnx_file))
    other = create_model("unet-tiny", in_channels=2, num_classes=2, encoder_weights=None)
    mixed = tmp_path / "mixed.onnx"
    write_onnx_with_metadata(
        export_onnx_bytes(other, in_channels=2), mixed, {CARD_METADATA_KEY: card}
    )
    with pytest.raises(CheckpointError, match="takes 2 input channels but its model card lists 4"):
        load_inference_model(mixed, engine="onnx")
    broken = tmp_path / "broken.onnx"  # the card on a graph ONNX Runtime cannot load
    write_onnx_with_metadata(
        export_onnx_bytes(other, in_channels=2), broken, {CARD_METADATA_KEY: card}
    )
    import onnx

    proto = onnx.load(broken)
    proto.graph.node[0].op_type = "NoSuchOperator"
    onnx.save(proto, broken)
    with pytest.raises(CheckpointError, match="ONNX Runtime cannot load"):
        load_inference_model(broken, engine="onnx")


def test_a_folder_given_as_the_model_is_named_a_folder(tmp_path: Path) -> None:
    """``export cube.zarr`` said the folder 'does not exist' (hostile round)."""
    folder = tmp_path / "cube.zarr"
    folder.mkdir()
    onnx_folder = tmp_path / "model.onnx"
    onnx_folder.mkdir()
    with pytest.raises(CheckpointError, match="is a folder, not a file"):
        read_checkpoint(folder)
    with pytest.raises(CheckpointError, match="is a folder, not a file"):
        read_model_file_bundle(onnx_folder)
    with pytest.raises(CheckpointError, match="does not exist"):
        read_checkpoint(tmp_path / "missing.ckpt")
