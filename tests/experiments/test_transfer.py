"""The transfer study: runs per held-out event and seed, table, figure, resume, CLI."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import sarslide
from sarslide.chips import load_data_config
from sarslide.cli.main import app
from sarslide.datacube import open_cube
from sarslide.errors import ConfigError
from sarslide.experiments.grid import RunSpec
from sarslide.experiments.records import RunOutput
from sarslide.experiments.transfer import (
    build_run_config,
    equal_step_epochs,
    expand_transfer_runs,
    load_transfer_config,
    run_transfer,
)
from sarslide.experiments.transfer_report import judge_loss
from tests.conftest import tiny_events_data, train_tiny_leave_one_event_out
from tests.stac_validation import validate_offline

runner = CliRunner()

TINY_TRAIN = {
    "model": {"name": "unet-tiny"},
    "trainer": {
        "max_epochs": 1,
        "batch_size": 8,
        "accelerator": "cpu",
        "devices": 1,
        "limit_train_batches": 2,
    },
}


def _config(events_file: Path, tmp_path: Path, **changes: object) -> dict[str, object]:
    data = tiny_events_data(events_file)
    events = data.pop("events")
    return {
        "train": {"data": data, **TINY_TRAIN},
        "events": events,
        "output_dir": str(tmp_path / "study"),
        **changes,
    }


def fake_run(spec: RunSpec) -> RunOutput:
    """A run without training: a score that depends on the mode, event and seed."""
    mode, event = spec.input_set.split("-", 1)
    value = (0.5 if mode == "own" else 0.3) + 0.01 * spec.seed + 0.001 * len(event)
    metrics = {"auprc_test_region": value, "positive_rate_test_region": 0.05}
    metrics |= {"auprc_test_region_low": value - 0.05, "auprc_test_region_high": value + 0.05}
    if mode == "unseen":
        metrics["auprc_whole_event"] = value - 0.02
    return RunOutput(channel_names=["vv_before"], metrics=metrics, split=mode)


def test_two_runs_per_event_and_seed_with_their_own_splits(
    tiny_events: Path, tmp_path: Path
) -> None:
    cfg = load_transfer_config(_config(tiny_events, tmp_path, seeds=[0, 1]))
    specs = expand_transfer_runs(cfg)
    assert len(specs) == 4 * 2 * 2
    assert {s.run_id for s in specs} >= {"unseen-alpine-s0", "own-alpine-s1"}
    unseen = build_run_config(next(s for s in specs if s.run_id == "unseen-alpine-s1"))
    assert unseen["data"]["split"] == "leave_one_event_out"
    assert unseen["data"]["held_out_event"] == "alpine"
    assert unseen["trainer"]["seed"] == 1
    own = build_run_config(next(s for s in specs if s.run_id == "own-iburi-s0"))
    assert own["data"]["split"] == "spatial"
    assert [e["name"] for e in own["data"]["events"]] == ["iburi"]


def test_study_writes_table_and_figure_and_resumes(tiny_events: Path, tmp_path: Path) -> None:
    cfg = load_transfer_config(_config(tiny_events, tmp_path, held_out=["monsoon", "farmland"]))
    result = run_transfer(cfg, run_one=fake_run, progress=False)
    outcome, paths = result.grid, result.paths
    assert len(outcome.ran) == 4 and not outcome.failed
    table = paths["table_md"].read_text()
    assert "| monsoon | 0.307 [0.26, 0.36] | 0.507 [0.46, 0.56] | +0.200 (clear) |" in table
    log_ratio_cell = table.split("| monsoon |")[1].split("|")[3]
    assert re.fullmatch(r" 0\.\d{3} \[0\.\d\d, [01]\.\d\d\] ", log_ratio_cell)
    assert paths["figure"].stat().st_size > 1000
    csv_text = paths["table_csv"].read_text()
    assert csv_text.splitlines()[0].startswith("event,unseen_test_region_mean")
    baseline = json.loads((tmp_path / "study" / "log_ratio" / "farmland.json").read_text())
    assert baseline["scores"]["sign"] in ("abs", "increase", "decrease")
    assert 0.0 <= baseline["scores"]["auprc_whole_event"] <= 1.0
    again, paths_again = run_transfer(cfg, run_one=fake_run, progress=False)
    assert not again.ran and len(again.skipped) == 4
    assert paths_again["table_md"].read_text() == table


def test_loss_within_the_noise_is_said_to_be() -> None:
    row = {
        "loss_unseen_vs_own": 0.1,
        **stats_of("own_test_region", 0.6, 0.05, 5, 0.5, 0.7),
        **stats_of("unseen_test_region", 0.5, 0.05, 5, 0.4, 0.6),
    }
    assert judge_loss(row) == "no"  # the intervals overlap
    row |= {"own_test_region_low": 0.61, "own_test_region_high": 0.7}
    assert judge_loss(row) == "yes"  # apart, and 0.1 > 2 * sqrt(2 * 0.05**2 / 5) = 0.063
    row |= {"own_test_region_std": 0.2, "unseen_test_region_std": 0.2}
    assert judge_loss(row) == "no"  # apart, but the seeds disagree by more
    row |= {"own_test_region_low": math.nan}
    assert judge_loss(row) == ""


def stats_of(key: str, *values: float) -> dict[str, float]:
    names = ("mean", "std", "n", "low", "high")
    return {f"{key}_{name}": value for name, value in zip(names, values, strict=True)}


def test_study_is_a_stac_collection_of_its_events(
    tiny_events: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = load_transfer_config(_config(tiny_events, tmp_path, held_out=["monsoon"]))
    paths = run_transfer(cfg, run_one=fake_run, progress=False).paths
    collection = validate_offline(paths["collection"], monkeypatch, expect_extensions=1)
    assert set(collection["assets"]) == {"table", "table_md", "figure", "config"}
    cubes = sorted(link["href"] for link in collection["links"] if link["rel"] == "derived_from")
    assert len(cubes) == len(cfg.events) == 4
    for href in cubes:
        assert (paths["collection"].parent / href).resolve().is_dir()
    boxes = collection["extent"]["spatial"]["bbox"]
    assert len(boxes) == 1 + 4  # the union, then each event
    union = boxes[0]
    for west, south, east, north in boxes[1:]:
        assert union[0] <= west < east <= union[2] and union[1] <= south < north <= union[3]
    starts = [open_cube(event["cube"]).attrs["event_start"] for event in cfg.events]
    first = collection["extent"]["temporal"]["interval"][0][0]
    assert pd.Timestamp(first) == pd.Timestamp(min(starts), tz="UTC")


def test_own_event_model_gets_as_many_steps_as_the_unseen_one(tiny_events: Path) -> None:
    data = load_data_config(tiny_events_data(tiny_events))
    # 16 chips per 64 px event (positive_only: false, 16 px chips, 32 px blocks): half of
    # them train for the event alone, three quarters of each other event for the rest
    assert equal_step_epochs(data, "iburi", 2, 8) == 2 * 5  # ceil(36 / 8) / ceil(8 / 8)
    assert equal_step_epochs(data, "iburi", 2, 64) == 2  # one batch each: no change


def test_unknown_held_out_event_is_refused(tiny_events: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"held_out \['mars'\]"):
        load_transfer_config(_config(tiny_events, tmp_path, held_out=["mars"]))


def _write_config(tiny_events: Path, tmp_path: Path) -> Path:
    import yaml

    config = tmp_path / "transfer.yaml"
    data = tiny_events_data(tiny_events)
    data.pop("events")
    config.write_text(yaml.safe_dump({"train": {"data": data, **TINY_TRAIN}}))
    return config


def test_transfer_cli_writes_the_table_and_resumes(
    tiny_events: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command with fake runs (no training): options, table, figure, resume."""
    import sarslide.experiments.transfer as transfer_module

    monkeypatch.setattr(transfer_module, "train_and_score_transfer", fake_run)
    config = _write_config(tiny_events, tmp_path)
    out = tmp_path / "fake-study"
    args = ["transfer", str(config), "--events", str(tiny_events), "-o", str(out)]
    args += ["--held-out", "iburi,alpine", "--seeds", "0,1", "--no-progress"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert (
        "runs: 8 ran" in result.output
        and "| alpine | 0.311 ± 0.007 [0.26, 0.36] |" in result.output
    )
    assert (out / "transfer.png").is_file() and (out / "transfer.csv").is_file()
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and "runs: 0 ran, 8 already finished" in again.output


@pytest.mark.slow
def test_transfer_cli_runs_the_study_on_tiny_events(tiny_events: Path, tmp_path: Path) -> None:
    config = tmp_path / "transfer.yaml"
    data = tiny_events_data(tiny_events)
    data.pop("events")
    import yaml

    config.write_text(yaml.safe_dump({"train": {"data": data, **TINY_TRAIN}}))
    out = tmp_path / "cli-study"
    args = ["transfer", str(config), "--events", str(tiny_events), "-o", str(out)]
    result = runner.invoke(app, [*args, "--held-out", "farmland", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "runs: 2 ran" in result.output and "| farmland |" in result.output
    records = [json.loads(p.read_text()) for p in sorted(out.glob("runs/*/result.json"))]
    assert [r["run_id"] for r in records] == ["own-farmland-s0", "unseen-farmland-s0"]
    for record in records:
        assert math.isfinite(record["output"]["metrics"]["auprc_test_region"])
    assert int(records[0]["output"]["artifacts"]["max_epochs"]) > 1  # equal steps
    assert (out / "transfer.png").is_file()


def test_train_and_evaluate_cli_leave_one_event_out(tiny_events: Path, tmp_path: Path) -> None:
    run = tmp_path / "loeo"
    result = train_tiny_leave_one_event_out(tiny_events, run)
    assert result.exit_code == 0, result.output
    split = json.loads((run / "split.json").read_text())
    assert split["split_method"] == "leave_one_event_out"
    assert split["events"]["monsoon"]["fractions"] == [0.0, 0.0, 1.0]
    chips = json.loads((run / "chips.json").read_text())
    assert chips["events"]["monsoon"]["train"]["n_chips"] == 0
    assert chips["events"]["monsoon"]["test"]["n_chips"] == 16
    result = runner.invoke(
        app, ["evaluate", str(run / "checkpoints" / "best.ckpt"), "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads((run / "evaluation-test" / "metrics.json").read_text())
    assert set(metrics["rows"]) == {"monsoon", "pooled"}
    assert metrics["rows"]["monsoon"]["role"] == "held out"
    region = metrics["rows"]["monsoon"]["region"]
    assert region["n_pixels"] == 64 * 64
    assert 0.0 <= region["log_ratio_auprc"] <= 1.0 and 0.0 < region["baseline_auprc"] < 1.0
    # the Python call is the command: the same per-event rows (was refused: "several events")
    api = sarslide.evaluate(
        sarslide.EvaluateConfig(
            checkpoint=str(run / "checkpoints" / "best.ckpt"), output_dir=str(tmp_path / "api")
        )
    )
    assert api.single_cube is None and api.events is not None
    assert api.output_dir == tmp_path / "api"
    assert dict(api.paths) == {
        "metrics_json": str(tmp_path / "api" / "metrics.json"),
        "summary_md": str(tmp_path / "api" / "summary.md"),
        "config_yaml": str(tmp_path / "api" / "config.yaml"),
    }
    written = json.loads((tmp_path / "api" / "metrics.json").read_text())
    for record in (written, metrics):  # a timing, not a result
        assert record["engine"].pop("model_load_s") >= 0
    assert {k: v for k, v in written.items() if k != "paths"} == {
        k: v for k, v in metrics.items() if k != "paths"
    }
    assert api.pooled is not None and api.pooled["role"] == "all events"
    assert api.summary_markdown() == (tmp_path / "api" / "summary.md").read_text()


def test_held_out_without_events_is_a_clear_cli_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["train", "quick", "--held-out", "x", "-o", str(tmp_path / "r")])
    assert result.exit_code != 0
    assert "--held-out x needs --events FILE" in result.output
