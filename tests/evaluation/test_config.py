"""EvaluateConfig: defaults beside the run, and bad settings refused in one line."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from sarslide.cli.main import app
from sarslide.evaluation.config import EvaluateConfig


def test_default_output_folder_is_beside_the_run(tmp_path: Path) -> None:
    checkpoint = tmp_path / "run" / "checkpoints" / "best.ckpt"
    cfg = EvaluateConfig(checkpoint=str(checkpoint), split="val")
    assert cfg.output_path == (tmp_path / "run" / "evaluation-val").resolve()
    assert EvaluateConfig(checkpoint="c", output_dir="out").output_path == Path("out")


def test_evaluate_command_names_the_bad_split_and_the_allowed_ones(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["evaluate", str(tmp_path / "best.ckpt"), "--split", "train"])
    assert result.exit_code == 1
    text = " ".join(result.output.split())
    assert "split: Input should be 'test' or 'val' (got 'train')" in text
    assert "Traceback" not in result.output
