"""respond's prediction settings are predict's (one declaration), and a missing GPU is
one line before any search."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from sarslide.cli.main import app
from sarslide.evaluation.config import EvaluateConfig
from sarslide.inference.config import PredictConfig, PredictOptions, TilingOptions
from sarslide.response import RespondConfig


@pytest.mark.parametrize("config", [PredictConfig, RespondConfig])
def test_predict_and_respond_declare_the_map_settings_once(config: type) -> None:
    assert issubclass(config, PredictOptions)
    for name, field in PredictOptions.model_fields.items():
        mine = config.model_fields[name]
        assert (mine.annotation, mine.default, mine.description, mine.metadata) == (
            field.annotation,
            field.default,
            field.description,
            field.metadata,
        ), name


def test_evaluate_region_pass_has_the_tiling_settings() -> None:
    assert issubclass(EvaluateConfig, TilingOptions)
    cfg = EvaluateConfig.from_mapping({"checkpoint": "x.ckpt"}, ["overlap_px=16", "batch_size=4"])
    assert (cfg.overlap_px, cfg.batch_size, cfg.device) == (16, 4, "auto")


def test_respond_sizes_batches_like_predict_and_reads_old_files() -> None:
    base = {"aoi": "0,0,1,1", "event_start": "2024-01-01", "model": "m.ckpt"}
    assert RespondConfig.from_mapping(base).batch_size == "auto"  # was a fixed 2
    # keys of respond.yaml files written before: unchanged, 'batch_size: null' is auto
    old = {**base, "tile_size_px": 256, "overlap_px": 32, "margin_px": 8, "batch_size": None}
    cfg = RespondConfig.from_mapping(old)
    assert (cfg.tile_size_px, cfg.overlap_px, cfg.margin_px, cfg.batch_size) == (
        256,
        32,
        8,
        "auto",
    )


def test_respond_on_a_missing_gpu_is_one_line_before_any_work(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    args = ["--aoi", "0,0,1,1", "--event-start", "2024-01-01", "--model", "missing.ckpt"]
    for device in (["--device", "cuda"], ["--set", "device=cuda"]):
        out = tmp_path / device[0].strip("-")
        result = CliRunner().invoke(app, ["respond", *args, *device, "-o", str(out)])
        assert result.exit_code == 1, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and "cuda" in lines[0]
        assert "Traceback" not in result.output
        assert not out.exists()


def test_respond_refuses_an_impossible_engine_in_one_line_before_any_work(tmp_path: Path) -> None:
    args = ["--aoi", "0,0,1,1", "--event-start", "2024-01-01", "--device", "cpu"]
    cases = [
        (["--model", "model.onnx", "--engine", "torch"], "needs a checkpoint"),
        (["--model", "best.ckpt", "--engine", "onnx", "--precision", "bf16"], "fp32 only"),
        (["--model", "best.ckpt", "--engine", "tensorrt"], "Invalid engine"),
    ]
    for n, (extra, message) in enumerate(cases):
        out = tmp_path / f"r{n}"
        result = CliRunner().invoke(app, ["respond", *args, *extra, "-o", str(out)])
        assert result.exit_code == 1, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]
        assert not out.exists()


def test_sarslide_respond_runs_the_job_and_needs_a_folder() -> None:
    import sarslide
    from sarslide.errors import ConfigError

    cfg = RespondConfig.from_mapping({"aoi": "0,0,1,1", "event_start": "2024-01-01", "model": "m"})
    with pytest.raises(ConfigError, match="output_dir"):
        sarslide.respond(cfg)  # respond_to_event(cfg)


def test_respond_output_folder_is_the_config_key(tmp_path: Path) -> None:
    """-o/--output (old --out) is output_dir: a --config file's folder is used, and the
    flag, its old spelling and --set name the same key (here: a path under a file)."""
    under_a_file = tmp_path / "a-file" / "event"
    under_a_file.parent.write_text("")
    keys = "aoi: 0,0,1,1\nevent_start: 2024-01-01\nmodel: m.ckpt\n"
    cfg, cfg_with_dir = tmp_path / "respond.yaml", tmp_path / "with-dir.yaml"
    cfg.write_text(keys)
    cfg_with_dir.write_text(keys + f"output_dir: {under_a_file}\n")
    for args in (
        ["--config", str(cfg_with_dir)],
        ["--config", str(cfg), "-o", str(under_a_file)],
        ["--config", str(cfg), "--out", str(under_a_file)],
        ["--config", str(cfg), "--set", f"output_dir={under_a_file}"],
    ):
        result = CliRunner().invoke(app, ["respond", *args])
        text = " ".join(result.output.split())
        assert result.exit_code == 1 and "a regular file" in text, (args, text)
    missing = CliRunner().invoke(app, ["respond", "--config", str(cfg)])
    assert "error: No folder for this event: set output_dir (-o/--output)." in missing.output


def test_model_none_says_the_model_settings_are_not_used(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """``--model none --engine onnx``: the engine was silently ignored (hostile round)."""
    base = {"aoi": "0,0,1,1", "event_start": "2024-01-01", "model": "none"}
    with caplog.at_level("WARNING", logger="sarslide.response.config"):
        RespondConfig.from_mapping(base)
        assert not caplog.records  # the defaults (auto) say nothing
        RespondConfig.from_mapping({**base, "engine": "onnx", "precision": "bf16"})
    assert len(caplog.records) == 1
    message = caplog.records[0].getMessage()
    assert "engine onnx" in message and "precision bf16" in message and "device" not in message
