"""``sarslide evaluate`` of a model trained on several events keeps docs/safety.md like
the one-cube evaluation: its output folder is checked, marked, locked, and holds the
resolved ``config.yaml``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sarslide.atomic import host_id
from sarslide.chips.events import read_events_file
from sarslide.cli.main import app
from sarslide.evaluation.config import EvaluateConfig
from sarslide.ownership import MANIFEST_NAME, lock_path, read_manifest
from tests.conftest import train_tiny_leave_one_event_out

runner = CliRunner()


@pytest.fixture(scope="module")
def loeo_checkpoint(tiny_events: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-epoch leave-one-event-out model over the tiny events (held out: monsoon)."""
    run = tmp_path_factory.mktemp("loeo") / "run"
    result = train_tiny_leave_one_event_out(tiny_events, run)
    assert result.exit_code == 0, result.output
    return run / "checkpoints" / "best.ckpt"


def evaluate(checkpoint: Path, out: Path, *extra: str) -> tuple[int, str]:
    result = runner.invoke(
        app, ["evaluate", str(checkpoint), "-o", str(out), "--no-region", "--no-progress", *extra]
    )
    return result.exit_code, " ".join(result.output.split())


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_a_folder_evaluate_did_not_write_is_refused_untouched(
    loeo_checkpoint: Path, tmp_path: Path
) -> None:
    """Was written into: the user's metrics.json and summary.md were replaced."""
    out = tmp_path / "results"
    out.mkdir()
    (out / "metrics.json").write_text('{"mine": 1}\n')
    (out / "summary.md").write_text("# my notes\n")
    before = snapshot(out)
    code, output = evaluate(loeo_checkpoint, out)
    assert code == 1, output
    assert "error:" in output and "already holds files that 'sarslide evaluate' did not write" in (
        output
    )
    assert snapshot(out) == before
    assert not lock_path(out).exists()


def test_a_rerun_replaces_its_own_output_and_writes_config_yaml(
    loeo_checkpoint: Path, tmp_path: Path
) -> None:
    """Was: no manifest and no config.yaml for a multi-event model."""
    out = tmp_path / "eval"
    for _ in range(2):  # the second run replaces the first's files: its own output
        code, output = evaluate(loeo_checkpoint, out)
        assert code == 0, output
    assert "config_yaml" in output
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [MANIFEST_NAME, "config.yaml", "metrics.json", "summary.md"]
    )
    assert (read_manifest(out) or {})["command"] == "evaluate"
    resolved = EvaluateConfig.from_yaml(out / "config.yaml")
    assert resolved.checkpoint == str(loeo_checkpoint)
    assert resolved.output_dir == str(out) and resolved.whole_region is False
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["rows"]) == {"monsoon", "pooled"}
    assert metrics["paths"]["config_yaml"] == str(out / "config.yaml")
    assert not lock_path(out).exists()


def test_an_output_inside_an_event_cube_is_refused(
    loeo_checkpoint: Path, tiny_events: Path
) -> None:
    """Was written into the held-out event's cube store."""
    cube = Path(next(e["cube"] for e in read_events_file(tiny_events) if e["name"] == "monsoon"))
    before = sorted(p.name for p in cube.iterdir())
    code, output = evaluate(loeo_checkpoint, cube / "evaluation")
    assert code == 1 and "lies inside the input" in output, output
    assert sorted(p.name for p in cube.iterdir()) == before


def test_a_second_evaluation_into_the_same_folder_refuses(
    loeo_checkpoint: Path, tmp_path: Path
) -> None:
    """A live process (pytest's parent) holds the folder's lock: nothing is written."""
    out = tmp_path / "eval"
    lock = lock_path(out)
    record = {"pid": os.getppid(), "host": "here", "host_id": host_id(), "command": "evaluate"}
    lock.write_text(json.dumps(record))
    code, output = evaluate(loeo_checkpoint, out)
    assert code == 1 and "being written by another sarslide process" in output, output
    assert not out.exists() and lock.exists()


def test_device_precision_and_tiling_reach_the_per_event_pass(
    loeo_checkpoint: Path, tmp_path: Path
) -> None:
    """Were ignored (only --engine reached it): bf16 ran as fp32, a GPU that is not
    there and a tile size predict refuses were accepted."""
    out = tmp_path / "bf16"
    code, output = evaluate(loeo_checkpoint, out, "--engine", "torch", "--precision", "bf16")
    assert code == 0, output
    engine = json.loads((out / "metrics.json").read_text())["engine"]
    assert (engine["engine"], engine["device"], engine["precision"]) == ("torch", "cpu", "bf16")
    assert EvaluateConfig.from_yaml(out / "config.yaml").precision == "bf16"

    code, output = evaluate(loeo_checkpoint, tmp_path / "gpu", "--device", "cuda:7")
    assert code == 1 and "error:" in output and "cuda:7" in output, output
    assert not (tmp_path / "gpu").exists()

    bad_tile = ["evaluate", str(loeo_checkpoint), "-o", str(tmp_path / "tile")]
    result = runner.invoke(app, [*bad_tile, "--tile-size", "7", "--no-progress"])
    line = " ".join(result.output.split())
    assert result.exit_code == 1 and "Invalid tile_size_px=7" in line, line
    assert not (tmp_path / "tile").exists()


def test_the_summary_names_the_engine_and_a_tile_size_changes_the_tiling(
    loeo_checkpoint: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """summary.md did not say what ran, and nothing showed that --tile-size reached the
    whole-region pass (the tiles the model is given are recorded here)."""
    import sarslide.models.engines as engines

    seen: list[tuple[int, ...]] = []
    load = engines.load_inference_model

    def spying_load(*args: object, **kwargs: object) -> engines.InferenceModel:
        model = load(*args, **kwargs)  # type: ignore[arg-type]
        batch = model.predict_batch

        def record(inputs: object) -> object:
            seen.append(tuple(inputs.shape))  # type: ignore[attr-defined]
            return batch(inputs)  # type: ignore[arg-type]

        model.predict_batch = record  # type: ignore[assignment]
        return model

    monkeypatch.setattr(engines, "load_inference_model", spying_load)
    shapes, tilings = [], []
    for name, extra in [("default", []), ("tiles32", ["--tile-size", "32"])]:
        seen.clear()
        out = tmp_path / name
        result = runner.invoke(
            app, ["evaluate", str(loeo_checkpoint), "-o", str(out), "--no-progress", *extra]
        )
        assert result.exit_code == 0, result.output
        summary = (out / "summary.md").read_text()
        metrics = json.loads((out / "metrics.json").read_text())
        ran = metrics["engine"]  # auto: ONNX fp32, or torch bf16 where its check passed
        said = (
            f"Ran on {ran['engine']} {ran['engine_version']} on cpu, precision {ran['precision']}."
        )
        assert said in summary, summary
        tilings.append(metrics["region_tiling"])
        shapes.append({shape[-2:] for shape in seen if shape[-1] != 16})  # 16: the chips
        assert f"tiles of {tilings[-1]['tile_size_px']} px" in summary
    assert shapes == [{(64, 64)}, {(32, 32)}]  # the 64 px scenes: one tile, then 3 x 3
    assert tilings[0]["tile_size_px"] >= 64 and tilings[1]["tile_size_px"] == 32
    assert tilings[1]["overlap_px"] == 8 and set(tilings[1]["tiles"].values()) == {9}
    assert set(tilings[0]["tiles"].values()) == {1}
