"""The experiment loggers of a fit (``trainer.logger``): Lightning's CSV, TensorBoard, MLflow.

The CSV logger always runs: ``metrics.csv`` and the training curve are made from it.
``tensorboard`` and ``mlflow`` add Lightning's logger of that name beside it, writing
into the run folder (``logs/tensorboard/``; MLflow's SQLite store ``mlflow.db``, since
MLflow 3 refuses its old file store), so that nothing leaves the machine unless the user
points MLflow elsewhere (``MLFLOW_TRACKING_URI``).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

from sarslide.compat.torch_stack import lightning
from sarslide.errors import ConfigError

LOGGERS = ("csv", "tensorboard", "mlflow")
TENSORBOARD_DIR = "tensorboard"
MLFLOW_DB = "mlflow.db"
# The modules each logger needs (the extra of sarslide of the same name installs them).
_REQUIREMENTS = {"tensorboard": ("tensorboard",), "mlflow": ("mlflow", "sqlalchemy", "alembic")}


def check_logger_available(name: str) -> None:
    """Refuse a logger whose package is not installed, in one line, before any work."""
    if name not in LOGGERS:
        raise ConfigError(f"Invalid trainer.logger {name!r}. Use one of: {', '.join(LOGGERS)}.")
    if name not in _REQUIREMENTS:
        return
    for module in _REQUIREMENTS[name]:
        if importlib.util.find_spec(module) is None:
            raise ConfigError(
                f"trainer.logger {name!r} needs the {module!r} package, which is not "
                f"installed. Install it (pip install 'sarslide[{name}]'), or use "
                "trainer.logger=csv."
            )


def create_loggers(name: str, run_dir: Path, log_dir: str) -> list[Any]:
    """Lightning loggers for ``trainer.logger``: the CSV logger first, then the chosen one.

    Args:
        name: ``csv``, ``tensorboard`` or ``mlflow``.
        run_dir: The run folder; every logger writes below it.
        log_dir: Folder (under ``run_dir``) of the CSV logger's ``version_*`` sessions.
    """
    check_logger_available(name)
    loggers_module = lightning.pytorch.loggers
    csv_logger = loggers_module.CSVLogger(save_dir=run_dir, name=log_dir)
    if name == "tensorboard":
        board = loggers_module.TensorBoardLogger(
            save_dir=run_dir / log_dir, name=TENSORBOARD_DIR, default_hp_metric=False
        )
        return [csv_logger, board]
    if name == "mlflow":
        local_store = f"sqlite:///{(run_dir / MLFLOW_DB).resolve()}"
        uri = os.environ.get("MLFLOW_TRACKING_URI") or local_store
        flow = loggers_module.MLFlowLogger(
            experiment_name="sarslide", run_name=run_dir.name, tracking_uri=uri
        )
        return [csv_logger, flow]
    return [csv_logger]
