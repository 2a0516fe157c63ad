"""``sarslide insar evaluate --config FILE --set KEY=VALUE``: precedence and errors.

``evaluate_isslide`` is replaced by a fake that records its arguments (the real one is
run through the CLI in test_cli_end_to_end.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from typer.testing import CliRunner

from sarslide.cli.main import app
from sarslide.insar import run as run_module

runner = CliRunner()


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []

    def fake_evaluate(output_dir: str, **kwargs: Any) -> dict[str, Path]:
        seen.append({"runs_dir": output_dir, **kwargs})
        table = tmp_path / "comparison.md"
        table.write_text("| model |\n")
        return {"table_md": table}

    monkeypatch.setattr(run_module, "evaluate_isslide", fake_evaluate)
    return seen


def _invoke(tmp_path: Path, config: str, *args: str) -> tuple[int, str]:
    cfg_file = tmp_path / "evaluate.yaml"
    cfg_file.write_text(config)
    result = runner.invoke(app, ["insar", "evaluate", "--config", str(cfg_file), *args])
    return result.exit_code, result.output


def test_config_file_values_are_used(tmp_path: Path, calls: list[dict[str, Any]]) -> None:
    code, output = _invoke(tmp_path, "runs_dir: runs/a\nfigure: false\nprecision: fp32\n")
    assert code == 0, output
    assert calls == [
        {
            "runs_dir": "runs/a",
            "figure": False,
            "device": None,
            "precision": "fp32",
            "engine": None,
        }
    ]


def test_flags_beat_the_file_and_set_beats_the_flags(
    tmp_path: Path, calls: list[dict[str, Any]]
) -> None:
    code, output = _invoke(tmp_path, "runs_dir: runs/a\nfigure: false\n", "runs/b", "--figure")
    assert code == 0, output
    assert (calls[-1]["runs_dir"], calls[-1]["figure"]) == ("runs/b", True)
    code, output = _invoke(tmp_path, "runs_dir: runs/a\n", "--no-figure", "--set", "figure=true")
    assert code == 0, output
    assert calls[-1]["figure"] is True


@pytest.mark.usefixtures("calls")
def test_bad_key_is_one_error_line(tmp_path: Path) -> None:
    code, output = _invoke(tmp_path, "runs_dir: runs/a\n", "--set", "figures=false")
    assert code == 1
    lines = [line for line in output.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1 and "'figures'" in lines[0] and "figure" in lines[0], output
    assert "Traceback" not in output


def test_missing_device_in_the_file_stops_before_evaluating(
    tmp_path: Path, calls: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    code, output = _invoke(tmp_path, "runs_dir: runs/a\ndevice: cuda\n")
    assert code == 1 and "'cuda' is not available" in output and "available: cpu" in output
    assert calls == []


def test_engine_flag_reaches_the_evaluation_and_a_bad_one_is_one_line(
    tmp_path: Path, calls: list[dict[str, Any]]
) -> None:
    code, output = _invoke(tmp_path, "runs_dir: runs/a\n", "--engine", "torch")
    assert code == 0, output
    assert calls[-1]["engine"] == "torch"
    code, output = _invoke(tmp_path, "runs_dir: runs/a\n", "--engine", "tensorrt")
    assert code == 1 and "Invalid engine 'tensorrt'" in output and "Traceback" not in output
    assert len(calls) == 1
