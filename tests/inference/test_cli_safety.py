"""Nothing a user had is lost: --overwrite, inputs as outputs, two writers at once."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from sarslide.atomic import host_id
from sarslide.cli.main import app
from sarslide.datacube import open_cube, write_cube
from sarslide.errors import OutputExistsError
from sarslide.ownership import lock_path
from sarslide.sources.zenodo import extract_zip_safely
from tests.factories import make_minimal_cube

PREDICT_OPTIONS = ["--tile-size", "32", "--overlap", "8", "--no-figures"]


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, " ".join(result.output.split())  # rich wraps lines


def test_predict_overwrite_never_deletes_its_inputs(tmp_path: Path, fake_checkpoint: Path) -> None:
    cube = write_cube(make_minimal_cube(height=40, width=50), tmp_path / "cube.zarr")
    for out in (cube, tmp_path):  # the cube itself; the folder holding cube and checkpoint
        code, output = run(
            "predict",
            str(fake_checkpoint),
            "--cube",
            str(cube),
            "-o",
            str(out),
            "--overwrite",
            *PREDICT_OPTIONS,
        )
        assert code == 1 and "input" in output and "Traceback" not in output
    assert fake_checkpoint.is_file() and open_cube(cube).sizes["timestep"] == 4


def test_predict_overwrite_refuses_a_run_folder(tmp_path: Path, fake_checkpoint: Path) -> None:
    cube = write_cube(make_minimal_cube(height=40, width=50), tmp_path / "cube.zarr")
    run_dir = tmp_path / "run"
    (run_dir / "checkpoints").mkdir(parents=True)
    (run_dir / "checkpoints" / "best.ckpt").write_bytes(fake_checkpoint.read_bytes())
    code, output = run(
        "predict",
        str(fake_checkpoint),
        "--cube",
        str(cube),
        "-o",
        str(run_dir),
        "--overwrite",
        *PREDICT_OPTIONS,
    )
    assert code == 1 and "only replaces a previous output of 'sarslide predict'" in output
    assert (run_dir / "checkpoints" / "best.ckpt").is_file()


def test_simulate_overwrite_refuses_any_other_folder(tmp_path: Path) -> None:
    folder = tmp_path / "thesis"
    folder.mkdir()
    (folder / "chapter1.tex").write_text("years of work")
    args = ["cube", "simulate", "-o", str(folder), "--size", "32", "--timesteps", "4"]
    code, output = run(*args, "--overwrite", "--no-progress")
    assert code == 1 and "Refusing to overwrite" in output and "Traceback" not in output
    assert (folder / "chapter1.tex").read_text() == "years of work"
    cube = tmp_path / "sim.zarr"
    assert run("cube", "simulate", "-o", str(cube), "--size", "32", "--no-progress")[0] == 0
    code, output = run(
        "cube",
        "simulate",
        "-o",
        str(cube),
        "--size",
        "32",
        "--no-progress",
        "--overwrite",
        "--seed",
        "3",
    )
    assert code == 0, output  # its own earlier output: replaced


def test_second_simulate_into_the_same_store_refuses(tmp_path: Path) -> None:
    cube = tmp_path / "sim.zarr"
    # A live process (this test's parent, pytest's runner) holds the lock.
    lock_path(cube).write_text(
        json.dumps(
            {
                "pid": os.getppid(),
                "host": "here",
                "host_id": host_id(),
                "command": "cube simulate",
                "started": "now",
            }
        )
    )
    code, output = run("cube", "simulate", "-o", str(cube), "--size", "32", "--no-progress")
    assert code == 1 and "being written by another sarslide process" in output
    assert not cube.exists()


def test_fetch_never_deletes_a_folder_named_in_the_zip(tmp_path: Path) -> None:
    dest = tmp_path / "data"
    with zipfile.ZipFile(tmp_path / "store.zip", "w") as zf:
        zf.writestr("Documents.zarr/.zgroup", '{"zarr_format": 2}')
    (dest / "Documents.zarr").mkdir(parents=True)
    (dest / "Documents.zarr" / "notes.txt").write_text("mine too")
    with pytest.raises(OutputExistsError, match="data fetch"):
        extract_zip_safely(tmp_path / "store.zip", dest)
    assert (dest / "Documents.zarr" / "notes.txt").read_text() == "mine too"
    # A store fetched before is replaced by a new fetch.
    again = extract_zip_safely(tmp_path / "store.zip", tmp_path / "fresh")
    assert extract_zip_safely(tmp_path / "store.zip", tmp_path / "fresh") == again
    assert sorted(p.name for p in (tmp_path / "fresh").iterdir()) == ["Documents.zarr"]


def test_evaluate_refuses_a_folder_it_did_not_write(tmp_path: Path, fake_checkpoint: Path) -> None:
    other = tmp_path / "map"
    other.mkdir()
    (other / "metrics.json").write_text("{}")
    code, output = run("evaluate", str(fake_checkpoint), "-o", str(other), "--no-progress")
    assert code == 1 and "did not write" in output and "Traceback" not in output
    assert (other / "metrics.json").read_text() == "{}"
