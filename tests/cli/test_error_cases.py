"""Issue 12's operational errors through the CLI: one line, non-zero exit, nothing written.

Each case failed on the old code (a traceback, an impossible fix, exit 0 on a bad value,
or a folder left behind after expensive work).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from sarslide.cli.main import app
from sarslide.datacube import write_cube
from tests.factories import make_minimal_cube
from tests.inference.conftest import write_fake_checkpoint

runner = CliRunner()


def _one_error_line(output: str) -> str:
    assert "Traceback" not in output
    lines = [line for line in output.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, output
    return lines[0]


def test_simulate_size_zero_is_refused_not_the_default(tmp_path: Path) -> None:
    result = runner.invoke(app, ["cube", "simulate", "--size", "0", "-o", str(tmp_path / "c")])
    assert result.exit_code == 1
    _one_error_line(result.output)
    assert "height_px" in result.output and "(got 0)" in result.output
    assert not (tmp_path / "c").exists()


def test_output_under_a_regular_file_is_refused_before_simulating(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "afile").write_text("x")

    def never(**_: object) -> None:
        raise AssertionError("simulated before checking the output path")

    monkeypatch.setattr("sarslide.simulate.run.simulate_event_cube", never)
    target = tmp_path / "afile" / "cube.zarr"
    result = runner.invoke(app, ["cube", "simulate", "-o", str(target)])
    assert result.exit_code == 1
    line = _one_error_line(result.output)
    assert "regular file" in line and str(target) in line


@pytest.fixture
def small_cube(tmp_path: Path) -> Path:
    return write_cube(make_minimal_cube(height=40, width=50), tmp_path / "cube.zarr")


def _predict(tmp_path: Path, cube: Path | str, *extra: str) -> tuple[int, str]:
    ckpt = write_fake_checkpoint(tmp_path / "model.ckpt")
    args = ["predict", str(ckpt), "--cube", str(cube), "-o", str(tmp_path / "map"), *extra]
    result = runner.invoke(app, [*args, "--tile-size", "32", "--overlap", "8", "--no-figures"])
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (("--event-start", "notadate"), "Invalid --event-start 'notadate'"),
        (("--threshold", "2"), "threshold: Input should be less than or equal to 1 (got 2.0)"),
        (
            ("--batch-size", "0"),
            "batch_size: Input should be greater than or equal to 1 or 'auto' (got 0)",
        ),
        (("--scheduler", "tcp://127.0.0.1:9"), "Cannot reach the dask scheduler"),
        # refused when the config is read, not after the connection timeout
        (("--scheduler", "not an address"), "not a dask scheduler address"),
        (("--scheduler", ":notaport"), "not a dask scheduler address"),
    ],
)
def test_predict_refuses_bad_options_in_one_line(
    tmp_path: Path, small_cube: Path, extra: tuple[str, ...], words: str
) -> None:
    code, output = _predict(tmp_path, small_cube, *extra)
    assert code == 1
    assert words in _one_error_line(output)
    assert not (tmp_path / "map").exists()


def test_predict_s3_url_without_s3fs_names_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import fsspec

    def no_s3fs(protocol: str) -> None:
        raise ImportError("Install s3fs to access S3", name="s3fs")

    monkeypatch.setattr(fsspec, "get_filesystem_class", no_s3fs)
    code, output = _predict(tmp_path, "s3://bucket/cube.zarr")
    assert code == 1
    line = _one_error_line(output)
    assert "s3://bucket/cube.zarr" in line and "pip install s3fs" in line


@pytest.mark.parametrize(
    ("command", "job"),
    [
        (["insar", "simulate"], "sarslide.insar.simulate.simulate_isslide_raw"),
        (["insar", "demo"], "sarslide.insar.demo.run_isslide_demo"),
    ],
)
def test_every_config_output_is_checked_before_the_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str], job: str
) -> None:
    """-o of a generated flag is checked when the config loads, for every command (the
    insar commands did not check it)."""
    (tmp_path / "afile").write_text("x")

    def never(*_: object, **__: object) -> None:
        raise AssertionError("the job ran before the output path was checked")

    monkeypatch.setattr(job, never)
    target = tmp_path / "afile" / "out"
    result = runner.invoke(app, [*command, "-o", str(target)])
    assert result.exit_code == 1
    line = _one_error_line(result.output)
    assert "Cannot write --output" in line and "regular file" in line
