"""The grid runner: resume after interruption, skip finished runs, identical tables."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from sarslide.errors import ConfigError, DataSelectionError, OutputExistsError
from sarslide.experiments.config import AblationConfig
from sarslide.experiments.grid import expand_grid
from sarslide.experiments.records import RESULT_FILENAME, RunOutput, read_run_record
from sarslide.experiments.runner import GridOutcome, execute_run, run_grid
from sarslide.experiments.study import run_ablation
from tests.experiments.fakes import CountingRun, fake_run, interrupting_run

TRAIN = {"split": "spatial", "epochs": 1}


def make_config(output_dir: Path, **overrides: object) -> AblationConfig:
    values: dict[str, object] = {
        "train": TRAIN,
        "seeds": [0, 1],
        "output_dir": output_dir,
        "log_ratio": {"enabled": False},
    }
    values.update(overrides)
    return AblationConfig.model_validate(values)


def test_interrupted_grid_resumes_without_redoing_runs_and_gives_identical_table(
    tmp_path: Path,
) -> None:
    interrupted = make_config(tmp_path / "interrupted")
    first = CountingRun(interrupt_on_call=3)
    with pytest.raises(KeyboardInterrupt):
        run_ablation(interrupted, run_one=first, train=TRAIN, progress=False)
    assert len(first.calls) == 3
    specs = expand_grid(interrupted, train=TRAIN)
    assert len(specs) == 4 * 4 * 2 + 2  # SAR sets x k x seeds + dem x seeds
    # Two runs finished, the third left a partial directory without a result.
    assert read_run_record(specs[2].run_dir) is None
    assert (specs[2].run_dir / "half-written.ckpt").exists()

    second = CountingRun()
    outcome = run_ablation(interrupted, run_one=second, train=TRAIN, progress=False)
    assert second.calls == [s.run_id for s in specs[2:]]  # finished runs not redone
    assert sorted(outcome.grid.skipped) == sorted(first.calls[:2])
    assert not (specs[2].run_dir / "half-written.ckpt").exists()  # restarted cleanly

    third = CountingRun()
    again = run_ablation(interrupted, run_one=third, train=TRAIN, progress=False)
    assert third.calls == []
    assert len(again.grid.skipped) == len(specs)

    straight = make_config(tmp_path / "straight")
    uninterrupted = run_ablation(straight, run_one=CountingRun(), train=TRAIN, progress=False)
    for name in ("table_csv", "table_markdown", "runs_csv", "findings"):
        a = getattr(outcome.paths, name).read_bytes()
        b = getattr(uninterrupted.paths, name).read_bytes()
        assert a == b, name
    assert outcome.paths.figure.stat().st_size > 10_000


def test_process_pool_runs_each_spec_once_across_invocations(tmp_path: Path) -> None:
    cfg = make_config(tmp_path, input_sets=["vv", "dem"], timesteps_k=[1, 2], seeds=[0])
    specs = expand_grid(cfg, train=TRAIN)
    execute_run(specs[0], fake_run)  # one finished before the grid starts
    outcome = run_grid(specs, fake_run, workers=2, threads_per_worker=1, progress=False)
    calls = (tmp_path / "calls.log").read_text().split("\n")
    run_ids = [line.split()[0] for line in calls if line]
    assert sorted(run_ids) == sorted(s.run_id for s in specs)  # each exactly once
    assert len({line.split()[1] for line in calls if line}) >= 2  # in worker processes
    assert outcome.skipped == [specs[0].run_id]
    assert [r.run_id for r in outcome.records] == [s.run_id for s in specs]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_interrupt_stops_running_workers_and_the_next_call_restarts_their_runs(
    tmp_path: Path,
) -> None:
    cfg = make_config(tmp_path, input_sets=["vv"], timesteps_k=[1, 2], seeds=[0])
    specs = expand_grid(cfg, train=TRAIN)
    with pytest.raises(KeyboardInterrupt):
        run_grid(specs, interrupting_run, workers=2, threads_per_worker=1, progress=False)
    blocked_pid = int((tmp_path / "blocked.pid").read_text())
    deadline = time.monotonic() + 30  # the worker was terminated, not left running
    while _alive(blocked_pid) and time.monotonic() < deadline:
        time.sleep(0.1)  # (on a loaded machine its exit may lag the runner's return)
    assert not _alive(blocked_pid), "the blocked worker outlived the interrupted runner"
    blocked = specs[1].run_dir
    assert (blocked / ".started").exists() and read_run_record(blocked) is None
    resumed = run_grid(specs, fake_run, progress=False)
    assert specs[1].run_id in resumed.ran and resumed.complete
    assert not (blocked / "finished-late").exists()


def test_failed_run_is_reported_and_retried_next_time(tmp_path: Path) -> None:
    cfg = make_config(tmp_path, input_sets=["vv"], timesteps_k=[1, 2], seeds=[0])
    specs = expand_grid(cfg, train=TRAIN)

    def flaky(spec):  # type: ignore[no-untyped-def]
        if spec.timesteps_k == 1:
            raise RuntimeError("out of memory")
        return fake_run(spec)

    outcome = run_grid(specs, flaky, progress=False)
    assert outcome.failed == {"vv-k1-s0": "RuntimeError: out of memory"}
    assert not outcome.complete
    retry = run_grid(specs, fake_run, progress=False)
    assert retry.complete and retry.ran == ["vv-k1-s0"]


def test_run_with_wrong_channels_is_refused(tmp_path: Path) -> None:
    cfg = make_config(tmp_path, input_sets=["vv"], timesteps_k=[1], seeds=[0])
    spec = expand_grid(cfg, train=TRAIN)[0]

    def same_four_channels(spec):  # type: ignore[no-untyped-def]  # the paper's bug
        return RunOutput(
            channel_names=["vv_before", "vv_after", "vh_before", "vh_after"], metrics={}
        )

    with pytest.raises(DataSelectionError, match="must have \\['vv_before', 'vv_after'\\]"):
        execute_run(spec, same_four_channels)
    assert not (spec.run_dir / RESULT_FILENAME).exists()


def test_changed_train_config_is_detected_on_resume(tmp_path: Path) -> None:
    cfg = make_config(tmp_path, input_sets=["vv"], timesteps_k=[1], seeds=[0])
    run_grid(expand_grid(cfg, train=TRAIN), fake_run, progress=False)
    changed = expand_grid(cfg, train={**TRAIN, "epochs": 5})
    with pytest.raises(ConfigError, match="another training config"):
        run_grid(changed, fake_run, progress=False)


def test_foreign_directory_is_not_deleted(tmp_path: Path) -> None:
    cfg = make_config(tmp_path, input_sets=["vv"], timesteps_k=[1], seeds=[0])
    spec = expand_grid(cfg, train=TRAIN)[0]
    spec.run_dir.mkdir(parents=True)
    (spec.run_dir / "precious.txt").write_text("mine")
    with pytest.raises(OutputExistsError, match="not an ablation run directory"):
        execute_run(spec, fake_run)
    assert (spec.run_dir / "precious.txt").read_text() == "mine"


def test_nan_metric_round_trips_and_the_run_counts_as_finished(tmp_path: Path) -> None:
    cfg = make_config(tmp_path, input_sets=["vv"], timesteps_k=[1], seeds=[0])
    spec = expand_grid(cfg, train=TRAIN)[0]

    def one_class_only(spec):  # type: ignore[no-untyped-def]  # AUROC undefined: NaN
        return RunOutput(
            channel_names=["vv_before", "vv_after"], metrics={"auroc_region": float("nan")}
        )

    execute_run(spec, one_class_only)
    record = read_run_record(spec.run_dir)
    assert record is not None and record.output.metrics["auroc_region"] != 0
    again = run_grid([spec], one_class_only, progress=False)
    assert again.skipped == [spec.run_id] and again.ran == []


def test_grid_outcome_says_what_ran_in_one_line() -> None:
    outcome = GridOutcome(ran=["a"], skipped=["b", "c"], failed={"d": "boom"})
    assert outcome.describe() == "runs: 1 ran, 2 already finished, 1 failed"
