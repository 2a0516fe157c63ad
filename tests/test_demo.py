"""The main job end to end on a small simulated scene, and its output-folder rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import rasterio

from sarslide.demo import DemoConfig, run_demo
from sarslide.errors import OutputExistsError
from sarslide.output_dirs import DEMO_MARKER, prepare_output_dir


def test_demo_runs_end_to_end_on_a_small_scene(tmp_path: Path) -> None:
    cfg = DemoConfig(output_dir=str(tmp_path / "demo"), size_px=256, epochs=1)
    out = run_demo(cfg, progress=False)
    for path in (
        out.cube,
        out.overview_png,
        out.checkpoint,
        out.training_curve_png,
        out.evaluation_dir / "metrics.json",
        out.evaluation_dir / "summary.md",
        out.report_html,
    ):
        assert path.exists(), path
    metrics = json.loads((out.evaluation_dir / "metrics.json").read_text())
    assert metrics["split_method"] == "spatial"
    assert 0.0 <= metrics["chips"]["auprc"] <= 1.0
    # the demo's numbers are a reference: scored in fp32 whatever the CPU's bf16 units
    assert metrics["engine"]["precision"] == "fp32"
    with rasterio.open(out.prediction_dir / "probability.tif") as src:
        assert src.shape == (256, 256) and src.crs is not None
    assert set(out.step_seconds) == {"simulate", "train", "evaluate", "predict"}


def test_existing_output_needs_overwrite(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    prepare_output_dir(folder, overwrite=False)
    assert (folder / DEMO_MARKER).exists()
    with pytest.raises(OutputExistsError, match="--overwrite"):
        prepare_output_dir(folder, overwrite=False)
    (folder / "old.txt").write_text("old")
    prepare_output_dir(folder, overwrite=True)
    assert not (folder / "old.txt").exists()


def test_overwrite_never_deletes_a_folder_the_demo_did_not_write(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "thesis.tex").write_text("precious")
    with pytest.raises(OutputExistsError, match="not written by 'sarslide demo'"):
        prepare_output_dir(folder, overwrite=True)
    assert (folder / "thesis.tex").read_text() == "precious"


def test_an_interrupted_demo_is_called_so_on_the_rerun(tmp_path: Path) -> None:
    from sarslide.output_dirs import mark_output_complete

    folder = tmp_path / "demo"
    prepare_output_dir(folder, overwrite=False)
    (folder / "cube.zarr").mkdir()  # then Ctrl-C
    with pytest.raises(OutputExistsError, match=r"interrupted before it finished.*--overwrite"):
        prepare_output_dir(folder, overwrite=False)
    mark_output_complete(folder)  # a finished demo: the plain message
    with pytest.raises(OutputExistsError, match="exists; pass --overwrite") as info:
        prepare_output_dir(folder, overwrite=False)
    assert "interrupted before" not in str(info.value)


def test_an_interrupted_demo_says_what_it_holds_and_an_old_finished_one_is_not_called_so(
    tmp_path: Path,
) -> None:
    from sarslide.demo import DEMO_STEPS

    folder = tmp_path / "demo"
    prepare_output_dir(folder, overwrite=False, steps=DEMO_STEPS)
    (folder / "cube.zarr").mkdir()
    (folder / "run" / "checkpoints").mkdir(parents=True)
    (folder / "run" / "checkpoints" / "best.ckpt").write_bytes(b"model")  # then Ctrl-C
    with pytest.raises(OutputExistsError) as info:
        prepare_output_dir(folder, overwrite=False, steps=DEMO_STEPS)
    message = str(info.value)
    assert "interrupted before it finished: it holds the simulated cube (cube.zarr)" in message
    assert "the trained model (run/checkpoints/best.ckpt) but not the evaluation" in message
    assert "the map (map/report.html); pass --overwrite" in message
    for path in ("evaluation/metrics.json", "map/report.html"):  # every output, old marker
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text("done")
    with pytest.raises(OutputExistsError, match="exists; pass --overwrite") as info:
        prepare_output_dir(folder, overwrite=False, steps=DEMO_STEPS)
    assert "interrupted before" not in str(info.value)


def test_a_scene_too_small_for_the_split_is_refused_before_anything_is_written(
    tmp_path: Path,
) -> None:
    from typer.testing import CliRunner

    from sarslide.cli.main import app

    result = CliRunner().invoke(app, ["demo", "-o", str(tmp_path / "d"), "--size", "128"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "size_px" in result.output and "256" in result.output
    assert not (tmp_path / "d").exists()  # was: cube written, then 'the split leaves val...'


def test_demo_outputs_tables_show_each_metric_and_output(tmp_path: Path) -> None:
    from rich.console import Console

    from sarslide.demo import DemoOutputs

    block = {
        "evaluated_on": "test chips",
        "auprc": 0.8512,
        "baseline_auprc": 0.042,
        "intervals": {"auprc": [0.7959, 0.8922], "f1": [None, None]},
    }
    paths = {name: tmp_path / name for name in ("directory", "cube", "overview_png")}
    outputs = DemoOutputs(
        **paths,
        run_dir=tmp_path / "run",
        checkpoint=tmp_path / "c.ckpt",
        training_curve_png=tmp_path / "curve.png",
        evaluation_dir=tmp_path / "evaluation",
        evaluation={"chips": block},
        prediction_dir=tmp_path / "map",
        report_html=tmp_path / "report.html",
        step_seconds={"train": 1.0},
    )
    console = Console(record=True, width=200)
    for table in outputs.to_tables():
        console.print(table)
    text = console.export_text()
    assert "test chips" in text and "0.851 [0.796, 0.892]" in text and "0.042" in text
    assert "nan" in text and "[None" not in text  # an undefined interval is left out
    assert str(tmp_path / "report.html") in text and "landslide map" in text
