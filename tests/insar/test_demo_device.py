"""``sarslide insar demo --device/--precision``: checked before any work, passed to the runs.

The full demo takes minutes; these tests replace its simulate/patches/train stages by
fakes that record what they were given, so they check the flag -> config -> run path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from typer.testing import CliRunner

from sarslide.cli.main import app
from sarslide.devices import resolve_lightning_device
from sarslide.insar import demo as demo_module
from sarslide.insar.run import IsslideRunConfig

runner = CliRunner()


@pytest.fixture
def no_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)


@pytest.fixture
def fake_stages(monkeypatch: pytest.MonkeyPatch) -> list[IsslideRunConfig]:
    """Stub the demo's stages; the list receives the run config it trains with."""
    seen: list[IsslideRunConfig] = []

    def fake_run(cfg: IsslideRunConfig, **_: Any) -> dict[str, Path]:
        seen.append(cfg)
        table = Path(cfg.output_dir) / "comparison.md"
        table.parent.mkdir(parents=True, exist_ok=True)
        table.write_text("| model |\n")
        return {"table_md": table}

    monkeypatch.setattr(demo_module, "simulate_isslide_raw", lambda *a, **k: [])
    monkeypatch.setattr(demo_module, "extract_patches", lambda *a, **k: None)
    monkeypatch.setattr(demo_module, "run_isslide", fake_run)
    return seen


def _error_line(output: str) -> str:
    assert "Traceback" not in output
    lines = [line for line in output.splitlines() if line.startswith("error: ")]
    assert len(lines) == 1, output
    return lines[0]


@pytest.mark.usefixtures("no_gpu", "fake_stages")
@pytest.mark.parametrize(
    "how",
    [["--device", "cuda"], ["--set", "device=cuda"], ["--config", "CFG"]],
    ids=["flag", "set", "config"],
)
def test_demo_on_a_missing_gpu_is_one_line_and_creates_nothing(
    tmp_path: Path, how: list[str]
) -> None:
    cfg_file = tmp_path / "demo.yaml"
    cfg_file.write_text("device: cuda\n")
    args = [str(cfg_file) if a == "CFG" else a for a in how]
    out = tmp_path / "demo"
    result = runner.invoke(app, ["insar", "demo", "-o", str(out), *args])
    assert result.exit_code == 1, result.output
    line = _error_line(result.output)
    assert "'cuda' is not available" in line and "available: cpu" in line
    assert not out.exists()


@pytest.mark.usefixtures("no_gpu", "fake_stages")
def test_demo_precision_that_does_not_fit_the_device_creates_nothing(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = runner.invoke(app, ["insar", "demo", "-o", str(out), "--precision", "fp16"])
    assert result.exit_code == 1, result.output
    assert "fp16" in _error_line(result.output)
    assert not out.exists()


@pytest.mark.usefixtures("no_gpu")
def test_demo_device_auto_trains_and_evaluates_on_the_cpu(
    tmp_path: Path, fake_stages: list[IsslideRunConfig]
) -> None:
    out = tmp_path / "demo"
    args = ["insar", "demo", "-o", str(out), "--fast", "--device", "auto"]
    result = runner.invoke(app, [*args, "--precision", "fp32"])
    assert result.exit_code == 0, result.output
    (cfg,) = fake_stages
    assert cfg.device == "auto" and cfg.precision == "fp32"
    assert resolve_lightning_device(cfg.device, cfg.accelerator, log=False)[0].type == "cpu"


@pytest.mark.usefixtures("no_gpu")
def test_demo_flags_beat_the_config_file(
    tmp_path: Path, fake_stages: list[IsslideRunConfig]
) -> None:
    cfg_file = tmp_path / "demo.yaml"
    cfg_file.write_text("device: cuda\nprecision: bf16\n")
    out = tmp_path / "demo"
    args = ["insar", "demo", "-o", str(out), "--config", str(cfg_file), "--device", "cpu"]
    result = runner.invoke(app, [*args, "--precision", "fp32"])
    assert result.exit_code == 0, result.output
    assert (fake_stages[0].device, fake_stages[0].precision) == ("cpu", "fp32")


@pytest.mark.usefixtures("no_gpu")
def test_demo_engine_reaches_the_runs_and_a_bad_one_creates_nothing(
    tmp_path: Path, fake_stages: list[IsslideRunConfig]
) -> None:
    out = tmp_path / "demo"
    result = runner.invoke(app, ["insar", "demo", "-o", str(out), "--engine", "unknown"])
    assert result.exit_code == 1, result.output
    assert "Invalid engine 'unknown'" in _error_line(result.output)
    assert not out.exists() and not fake_stages
    result = runner.invoke(app, ["insar", "demo", "-o", str(out), "--fast", "--engine", "torch"])
    assert result.exit_code == 0, result.output
    assert fake_stages[0].engine == "torch"
