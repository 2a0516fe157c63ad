"""Run a training: chips -> Lightning fit -> checkpoints, logs, curve, threshold.

``train(cfg)`` is the whole run for the landslide task; ``fit_task`` is the generic
part (checkpoints, CSV log, resume, curve) that the ISSLIDE task reuses with its own
task and data module.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import shutil
import time
import warnings
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from sarslide.atomic import replacing, write_text_atomic
from sarslide.chips import build_chip_splits
from sarslide.chips.orbit_choice import resolve_data_orbit
from sarslide.compat.torch_stack import lightning
from sarslide.devices import (
    pinned_torch_threads,
    resolve_lightning_device,
    resolve_precision,
)
from sarslide.errors import ConfigError, OutputExistsError
from sarslide.metrics.binary import ThresholdChoice, select_threshold
from sarslide.models.checkpoints import (
    load_model_from_checkpoint,
    update_checkpoint_metadata,
)
from sarslide.models.predict import predict_probabilities
from sarslide.plotting.curves import plot_training_curves
from sarslide.training.checkpoint_io import AtomicCheckpointIO, ExceptionRecorder
from sarslide.training.config import TrainConfig, TrainerConfig
from sarslide.training.datamodule import LandslideDataModule
from sarslide.training.interval_checkpoint import IntervalCheckpoint
from sarslide.training.loggers import create_loggers
from sarslide.training.precision_record import store_precision_check
from sarslide.training.preflight import check_training_setup
from sarslide.training.resolution import record_training_grid
from sarslide.training.run_folder import (
    claim_run_folder,
    describe_interruption,
    run_config_path,
)
from sarslide.training.run_metadata import build_metadata, describe_training_numerics
from sarslide.training.task import SegmentationTask

logger = logging.getLogger(__name__)

CHECKPOINT_DIR = "checkpoints"
BEST_NAME = "best"
LAST_NAME = "last"
LOG_DIR = "logs"
CONFIG_NAME = "config.yaml"
SPLIT_NAME = "split.json"
NORMALISATION_NAME = "normalisation.json"
CHIPS_SUMMARY_NAME = "chips.json"
# Lightning hints that are expected in our setup (in-memory tensors, tiny val sets).
_EXPECTED_WARNINGS = (
    r".*does not have many workers.*",
    r".*The number of training batches .* is smaller than the logging interval.*",
    r".*Checkpoint directory .* exists and is not empty.*",  # resuming a run
    # lightning 2.6 with torch 2.13's pytree (third-party deprecation, harmless)
    r".*isinstance\(treespec, LeafSpec\)` is deprecated.*",
)


@dataclass(frozen=True)
class RunPaths:
    """Files of a training run."""

    run_dir: Path
    best_checkpoint: Path
    last_checkpoint: Path
    metrics_csv: Path
    curve_png: Path
    config_yaml: Path | None = None
    split_json: Path | None = None
    is_global_zero: bool = True  # False in the other processes of a multi-process run
    fit_s: float = 0.0  # wall time of Lightning's fit
    fit_cpu_s: float = 0.0  # CPU time of this process (all its threads) during fit
    fit_steps: int = 0  # the global step (optimizer steps) at the end of fit
    device: str = "cpu"
    precision: str = "fp32"

    def listing(self) -> list[tuple[str, Path | None]]:
        """What a user opens, named, in the order ``sarslide train`` lists them."""
        return [
            ("best checkpoint", self.best_checkpoint),
            ("last checkpoint", self.last_checkpoint),
            ("metrics", self.metrics_csv),
            ("training curve", self.curve_png),
            ("resolved config", self.config_yaml),
            ("split plan", self.split_json),
        ]


def merge_metric_logs(log_root: Path, out_csv: Path) -> Path:
    """Merge every ``version_*/metrics.csv`` (one per resumed session) into one CSV.

    Rows of a later session replace earlier rows of the same epoch (after a resume
    the unfinished epoch is trained again).
    """
    rows_by_epoch: dict[str, list[dict[str, str]]] = {}
    fields: list[str] = []
    versions = sorted(log_root.glob("version_*"), key=lambda p: int(p.name.split("_")[-1]))
    for version in versions:
        csv_path = version / "metrics.csv"
        if not csv_path.is_file():
            continue
        session: dict[str, list[dict[str, str]]] = {}
        with open(csv_path, newline="") as file:
            reader = csv.DictReader(file)
            fields.extend(f for f in reader.fieldnames or [] if f not in fields)
            for row in reader:
                session.setdefault(row.get("epoch", ""), []).append(row)
        rows_by_epoch.update(session)
    ordered = sorted(rows_by_epoch, key=lambda e: float(e) if e else -1.0)
    with replacing(out_csv) as tmp, open(tmp, "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=fields)
        writer.writeheader()
        for epoch in ordered:
            writer.writerows(rows_by_epoch[epoch])
    return out_csv


def fit_task(
    task: lightning.LightningModule,
    datamodule: lightning.LightningDataModule,
    trainer_cfg: TrainerConfig,
    run_dir: str | os.PathLike[str],
    *,
    progress: bool = True,
    resume: bool | None = None,
) -> RunPaths:
    """Fit ``task`` on ``datamodule``: best/last checkpoints, logs, curve PNG.

    Args:
        task: A LightningModule logging ``val/loss`` (e.g. ``SegmentationTask``).
        datamodule: A LightningDataModule.
        trainer_cfg: Trainer options.
        run_dir: Output directory.
        progress: Show a progress bar.
        resume: True = continue from ``checkpoints/last.ckpt``; None (default) = continue
            when it exists; False = refuse to reuse a run directory with checkpoints.

    Raises:
        OutputExistsError: ``resume=False`` and the run directory already has checkpoints.
        ConfigError: ``resume=True`` but there is no last checkpoint.
    """
    device, accelerator, devices = resolve_lightning_device(
        trainer_cfg.device, trainer_cfg.accelerator, trainer_cfg.devices
    )
    precision = resolve_precision(trainer_cfg.precision, device)
    root = Path(run_dir)
    ckpt_dir = root / CHECKPOINT_DIR
    last = ckpt_dir / f"{LAST_NAME}.ckpt"
    ckpt_path = _resume_path(last, resume)
    checkpoint = IntervalCheckpoint(
        ckpt_dir, best_name=BEST_NAME, interval_s=trainer_cfg.checkpoint_interval_s
    )
    trainer = lightning.Trainer(
        max_epochs=trainer_cfg.max_epochs,
        accelerator=accelerator,
        devices=devices,
        strategy=trainer_cfg.strategy,
        precision=precision.lightning,  # type: ignore[arg-type]
        deterministic=trainer_cfg.deterministic,
        callbacks=[checkpoint, recorder := ExceptionRecorder()],
        plugins=[AtomicCheckpointIO()],
        logger=create_loggers(trainer_cfg.logger, root, LOG_DIR),
        default_root_dir=root,
        enable_progress_bar=progress,
        enable_model_summary=progress,
        num_sanity_val_steps=0,  # validation is tested; a sanity pass only costs time
        log_every_n_steps=50,  # metrics are per epoch; nothing is logged per step
        limit_train_batches=trainer_cfg.limit_train_batches,
    )
    logger.info("Training on %s with %s precision", device, precision.name)
    start, start_cpu = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        for pattern in _EXPECTED_WARNINGS:
            warnings.filterwarnings("ignore", message=pattern)
        try:
            trainer.fit(task, datamodule=datamodule, ckpt_path=ckpt_path)
        except SystemExit as err:  # Lightning exits on Ctrl-C and SIGTERM
            if trainer.interrupted:
                raise describe_interruption(root, recorder.exception) from err
            raise
    if trainer.interrupted:
        raise describe_interruption(root, recorder.exception)
    if ckpt_path is not None and not last.is_file() and trainer.is_global_zero:
        # resumed from best.ckpt and no epoch was left to train: it is the last state
        with replacing(last) as tmp:
            shutil.copyfile(ckpt_path, tmp)
    fit_s, fit_cpu_s = time.perf_counter() - start, time.process_time() - start_cpu
    logger.info(
        "fit: %.1f s (CPU %.1f s), %d checkpoint writes (every %.0f s at most)",
        fit_s,
        fit_cpu_s,
        checkpoint.writes,
        trainer_cfg.checkpoint_interval_s,
    )
    best = Path(checkpoint.best_model_path) if checkpoint.best_model_path else last
    if not trainer.is_global_zero:  # DDP: one process (rank 0) writes what follows
        return RunPaths(
            root,
            best,
            last,
            root / "metrics.csv",
            root / "training_curve.png",
            is_global_zero=False,
            fit_s=fit_s,
            fit_cpu_s=fit_cpu_s,
            fit_steps=trainer.global_step,
            device=str(device),
            precision=precision.name,
        )
    metrics_csv = merge_metric_logs(root / LOG_DIR, root / "metrics.csv")
    curve_png = plot_training_curves(metrics_csv, root / "training_curve.png", title=root.name)
    return RunPaths(
        root,
        best,
        last,
        metrics_csv,
        curve_png,
        fit_s=fit_s,
        fit_cpu_s=fit_cpu_s,
        fit_steps=trainer.global_step,
        device=str(device),
        precision=precision.name,
    )


def best_checkpoint_path(run_dir: str | os.PathLike[str]) -> Path:
    """The best (lowest validation loss) checkpoint of a run folder of :func:`fit_task`."""
    return Path(run_dir) / CHECKPOINT_DIR / f"{BEST_NAME}.ckpt"


def _resume_path(last: Path, resume: bool | None) -> str | None:
    if last.is_file() and resume is not False:
        logger.info("Resuming from %s", last)
        return str(last)
    best = last.with_name(f"{BEST_NAME}.ckpt")
    if best.is_file() and not last.is_file() and resume is not False:
        # this run's own (train checks the folder first): its last.ckpt was never
        # written (the disk filled up while saving it)
        logger.warning("%s is missing (a failed write); resuming from %s", last.name, best)
        return str(best)
    if last.is_file():
        raise OutputExistsError(
            f"The run directory {str(last.parent.parent)!r} already has checkpoints; resume "
            "it (default), or choose another output directory."
        )
    if resume:
        raise ConfigError(f"Cannot resume: {str(last)!r} does not exist.")
    return None


def train(
    cfg: TrainConfig,
    *,
    progress: bool = True,
    resume: bool | None = None,
    cube: xr.Dataset | None = None,
) -> RunPaths:
    """Train a landslide segmentation model from a :class:`TrainConfig`.

    Writes into ``cfg.output_dir``: ``config.yaml`` (resolved), ``split.json`` (the
    split plan), ``normalisation.json``, ``chips.json`` (counts per split),
    ``checkpoints/best.ckpt`` (lowest validation loss) and ``last.ckpt``,
    ``metrics.csv``, ``training_curve.png``. The checkpoints also carry the channels,
    normalisation, data config, split and the threshold chosen on validation; the best
    one also bf16's validation AUPRC change (``precision_record``).

    Args:
        cfg: The run configuration.
        progress: Progress bars.
        resume: See :func:`fit_task` (default: resume when ``last.ckpt`` exists).
        cube: An opened cube (default: open ``cfg.data.cube``).

    Raises:
        OutputExistsError: the folder holds another run's files (see ``run_folder``).
        OutputBusyError: another process trains into the same folder.
        Interrupted: Ctrl-C or SIGTERM; ``last.ckpt`` is kept for resuming.
    """
    root = Path(cfg.output_dir)
    check_training_setup(cfg)
    inputs = [cfg.data.cube, *(event.cube for event in cfg.data.events)]
    with claim_run_folder(root, cfg, inputs=inputs), pinned_torch_threads(cfg.trainer.threads):
        return _train_in(root, cfg, progress=progress, resume=resume, cube=cube)


def _train_in(
    root: Path, cfg: TrainConfig, *, progress: bool, resume: bool | None, cube: Any
) -> RunPaths:
    config_path = run_config_path(root)
    lightning.seed_everything(cfg.trainer.seed, workers=True, verbose=False)
    reproducibility = describe_training_numerics(cfg.trainer)
    resolution = record_training_grid(cfg.data, cube)  # one pixel size, or refused; simulated
    # orbit 'auto' resolved once: the checkpoint records the direction used
    resolved = cfg.model_copy(update={"data": resolve_data_orbit(cfg.data, cube)})
    splits = build_chip_splits(resolved.data, cube=cube, progress=progress)
    root.mkdir(parents=True, exist_ok=True)
    write_text_atomic(config_path, cfg.to_yaml())
    split_path = write_text_atomic(root / SPLIT_NAME, splits.plan_json())
    write_text_atomic(
        root / NORMALISATION_NAME, json.dumps(splits.normalisation.to_dict(), indent=2)
    )
    write_text_atomic(root / CHIPS_SUMMARY_NAME, json.dumps(splits.summary(), indent=2))
    logger.info("Chips: %s", splits.summary())
    datamodule = LandslideDataModule(
        splits,
        batch_size=cfg.trainer.batch_size,
        num_workers=cfg.trainer.num_workers,
        augment_flips=cfg.trainer.augment_flips,
        ignore_index=cfg.loss.ignore_index,
    )
    task = SegmentationTask(
        model_name=cfg.model.name,
        in_channels=datamodule.in_channels,
        num_classes=cfg.loss.num_classes,
        model_kwargs=cfg.model.kwargs,
        encoder_weights=cfg.model.encoder_weights,
        loss=cfg.loss.name,
        ignore_index=cfg.loss.ignore_index,
        focal_gamma=cfg.loss.focal_gamma,
        lr=cfg.optim.lr,
        weight_decay=cfg.optim.weight_decay,
        plateau_factor=cfg.optim.plateau_factor,
        plateau_patience=cfg.optim.plateau_patience,
        plateau_threshold=cfg.optim.plateau_threshold,
        metadata={
            **build_metadata(resolved, splits),
            **resolution,
            "reproducibility": reproducibility,
        },
    )
    paths = fit_task(task, datamodule, cfg.trainer, root, progress=progress, resume=resume)
    if paths.is_global_zero:
        store_validation_threshold(paths, datamodule, metric=cfg.trainer.threshold_metric)
        store_precision_check(paths.best_checkpoint, datamodule)
    return replace(paths, config_yaml=config_path, split_json=split_path)


def store_validation_threshold(
    paths: RunPaths, datamodule: LandslideDataModule, *, metric: str
) -> float:
    """Choose the threshold on validation with the best model; write it into both checkpoints."""
    model, bundle = load_model_from_checkpoint(paths.best_checkpoint)
    inputs, labels = datamodule.dataset("val").tensors
    scores = predict_probabilities(  # where and how training ran
        model,
        inputs.numpy(),
        num_classes=bundle.num_classes,
        device=paths.device,
        precision=paths.precision,
    )
    valid = labels.numpy() != datamodule.ignore_index
    choice = store_threshold(
        paths,
        labels.numpy()[valid],
        scores[valid],
        metric=metric,
        source="validation chips, best checkpoint",
    )
    return float(np.float64(choice.threshold))


def store_threshold(
    paths: RunPaths, labels: np.ndarray, scores: np.ndarray, *, metric: str, source: str
) -> ThresholdChoice:
    """Choose the ``metric``-optimal threshold on VALIDATION ``labels`` and ``scores`` and
    write it into the run's checkpoints' metadata (both tasks: one checkpoint format)."""
    choice = select_threshold(labels, scores, metric=metric)
    updates = {
        "threshold": choice.threshold,
        "threshold_metric": metric,
        "threshold_val_score": choice.score,
        "threshold_source": source,
        "threshold_chosen_on": "val",
    }
    for path in {paths.best_checkpoint, paths.last_checkpoint}:
        if path.is_file():
            update_checkpoint_metadata(path, updates)
    logger.info("Threshold %.4f (val %s %.4f)", choice.threshold, metric, choice.score)
    return choice
