"""The ``sarslide`` command itself: --version, and config errors as one clear line."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from sarslide import __version__
from sarslide.cli.main import app

runner = CliRunner()


def test_version_needs_no_command() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"sarslide {__version__}"


def test_train_config_error_names_key_value_and_fix(tmp_path: Path) -> None:
    config = tmp_path / "train.yaml"
    config.write_text("data:\n  cube: cube.zarr\n")
    result = runner.invoke(app, ["train", "--config", str(config), "--set", "trainer.max_epoch=3"])
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert "unknown key 'trainer.max_epoch' (got 3)" in text
    assert "Did you mean 'trainer.max_epochs'?" in text
    assert "Traceback" not in result.output


def test_train_shortcut_flags_map_onto_config_keys(tmp_path: Path) -> None:
    result = runner.invoke(app, ["train", "quick", "--epochs", "0"])
    assert result.exit_code == 1
    assert "trainer.max_epochs: Input should be greater than or equal to 1 (got 0)" in " ".join(
        result.output.split()
    )
