"""The ablation and baseline commands: clear errors, and the baseline end to end."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from sarslide import conventions as cv
from sarslide.cli.main import app
from sarslide.datacube import write_cube
from tests.factories import make_minimal_cube

runner = CliRunner()


def test_ablation_needs_a_config_or_preset() -> None:
    result = runner.invoke(app, ["ablation"])
    assert result.exit_code == 1
    assert "Give an ablation config file or a preset" in result.output


def test_ablation_rejects_unknown_keys(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"train": "quick-train", "epochs": 3}))
    result = runner.invoke(app, ["ablation", str(path)])
    assert result.exit_code == 1
    assert "epochs" in result.output and "Extra inputs are not permitted" in result.output


def test_baseline_log_ratio_writes_json(tmp_path: Path) -> None:
    cube = make_minimal_cube(height=96, width=96, timesteps=4, seed=1)
    landslides = cube[cv.VAR_LANDSLIDES].values.astype(bool)
    vv = cube[cv.VAR_VV].values.copy()
    vv[2:, landslides] *= 3.0
    cube[cv.VAR_VV] = (cube[cv.VAR_VV].dims, vv)
    write_cube(cube, tmp_path / "cube.zarr")
    train = {
        "data": {"cube": str(tmp_path / "cube.zarr"), "chip_size_px": 16, "split_block_px": 32}
    }
    (tmp_path / "train.yaml").write_text(yaml.safe_dump(train))
    out = tmp_path / "log_ratio.json"
    result = runner.invoke(
        app,
        [
            "baseline",
            "log-ratio",
            str(tmp_path / "train.yaml"),
            "-k",
            "1,2",
            "--slope-min-deg",
            "-1",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(out.read_text())
    assert [r["timesteps_k"] for r in rows] == [1, 2]
    assert all(r["sign"] == "increase" and r["slope_min_deg"] is None for r in rows)
    assert rows[1]["metrics"]["auprc_region"] > 2 * rows[1]["metrics"]["baseline_auprc_region"]


def test_ablation_killed_by_sigterm_exits_143_with_a_resume_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sarslide.experiments.study as study

    def killed_after_one_run(cfg, **kwargs):  # type: ignore[no-untyped-def]
        finished = Path(cfg.output_dir) / "runs" / "vv-k1-s0"
        finished.mkdir(parents=True)
        (finished / "result.json").write_text("{}")
        os.kill(os.getpid(), signal.SIGTERM)  # what `kill PID` sends a grid job
        raise AssertionError("SIGTERM did not interrupt the run")

    monkeypatch.setattr(study, "run_ablation", killed_after_one_run)
    out = tmp_path / "ablation"
    result = runner.invoke(app, ["ablation", "--preset", "quick", "-o", str(out)])
    assert result.exit_code == 143, result.output  # 128 + SIGTERM, as every command
    text = " ".join(result.output.split())
    assert "interrupted: 1 run(s) finished" in text
    assert "Run the same command again to continue" in text
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # handler restored
