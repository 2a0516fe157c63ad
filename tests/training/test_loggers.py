"""``trainer.logger``: Lightning's TensorBoard logger beside the CSV log; absent packages."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path
from typing import Any

import pytest

from sarslide.errors import ConfigError
from sarslide.training import load_train_config, train
from sarslide.training.loggers import check_logger_available


def read_scalar_tags(event_dir: Path) -> dict[str, list[float]]:
    """Every scalar TensorBoard recorded under ``event_dir`` (tag -> values in step order)."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(str(event_dir))
    accumulator.Reload()
    return {
        tag: [event.value for event in accumulator.Scalars(tag)]
        for tag in accumulator.Tags()["scalars"]
    }


@pytest.mark.skipif(
    importlib.util.find_spec("tensorboard") is None, reason="tensorboard not installed"
)
def test_tensorboard_logger_records_the_epoch_metrics(
    tiny_cube: Any, tiny_config_values: dict[str, Any]
) -> None:
    cfg = load_train_config(tiny_config_values, ["trainer.logger=tensorboard"])
    paths = train(cfg, progress=False, cube=tiny_cube)

    event_files = list((paths.run_dir / "logs" / "tensorboard").rglob("events.out.tfevents.*"))
    assert len(event_files) == 1
    scalars = read_scalar_tags(event_files[0].parent)
    assert {"train/loss", "val/loss"} <= set(scalars)
    assert len(scalars["val/loss"]) == cfg.trainer.max_epochs
    # The CSV log (metrics.csv, the curve) is written whatever the logger.
    with open(paths.metrics_csv, newline="") as file:
        val_losses = [float(row["val/loss"]) for row in csv.DictReader(file) if row["val/loss"]]
    assert scalars["val/loss"] == pytest.approx(val_losses, rel=1e-6)
    assert paths.curve_png.is_file()


def test_default_logger_is_csv_only(tiny_config_values: dict[str, Any]) -> None:
    assert load_train_config(tiny_config_values).trainer.logger == "csv"


def test_unknown_logger_is_refused(tiny_config_values: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match=r"trainer\.logger"):
        load_train_config(tiny_config_values, ["trainer.logger=wandb"])


def test_missing_logger_package_is_refused_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "mlflow" else real_find_spec(name, *a),
    )
    with pytest.raises(ConfigError, match=r"needs the 'mlflow' package.*logger=csv"):
        check_logger_available("mlflow")


@pytest.mark.skipif(
    any(importlib.util.find_spec(m) is None for m in ("mlflow", "sqlalchemy", "alembic")),
    reason="the [mlflow] extra is not installed",
)
@pytest.mark.filterwarnings("ignore::DeprecationWarning:sqlalchemy.*")
@pytest.mark.filterwarnings("ignore::DeprecationWarning:mlflow.*")
def test_mlflow_logger_records_the_epoch_metrics_locally(
    tiny_cube: Any, tiny_config_values: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlflow

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    cfg = load_train_config(tiny_config_values, ["trainer.logger=mlflow"])
    paths = train(cfg, progress=False, cube=tiny_cube)

    client = mlflow.MlflowClient(f"sqlite:///{paths.run_dir / 'mlflow.db'}")
    (run,) = client.search_runs([client.get_experiment_by_name("sarslide").experiment_id])
    history = [m.value for m in client.get_metric_history(run.info.run_id, "val/loss")]
    with open(paths.metrics_csv, newline="") as file:
        val_losses = [float(row["val/loss"]) for row in csv.DictReader(file) if row["val/loss"]]
    assert history == pytest.approx(val_losses, rel=1e-6)
