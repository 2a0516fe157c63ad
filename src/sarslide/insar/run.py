"""Train and evaluate ISSLIDE baselines: fit, threshold on validation, score on test.

For each model: ``fit_task`` (the shared Lightning loop; the best checkpoint is chosen
on VALIDATION loss), then the F1-optimal threshold is chosen on the VALIDATION pixels
and written into the checkpoints (the one checkpoint format of
:mod:`sarslide.models.checkpoints`, as for landslide models); only then is the test split
predicted, once, with that threshold. The test split never influences training, model
or threshold choice.
"""

from __future__ import annotations

import functools
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

import sarslide
from sarslide.atomic import write_json_atomic
from sarslide.compat.torch_stack import lightning
from sarslide.devices import (
    DEFAULT_TRAIN_THREADS,
    PrecisionPlan,
    resolve_device,
    resolve_precision,
)
from sarslide.errors import DataSelectionError
from sarslide.insar.config import ISSLIDE_MODELS, IsslideEvaluateConfig, IsslideRunConfig
from sarslide.insar.datamodule import IsslideDataModule
from sarslide.insar.engine import BATCH_SIZE, PatchPredictor, load_patch_predictor
from sarslide.insar.features import FEATURE_NAMES
from sarslide.insar.figures import plot_isslide_predictions
from sarslide.insar.results import IsslideOutputs, IsslideRuns
from sarslide.insar.scoring import predict_dataset, score_patches, write_comparison_table
from sarslide.insar.splits import SPLIT_TEST, SPLIT_VAL
from sarslide.metrics.undefined import mark_undefined
from sarslide.models.checkpoints import (
    TASK_ISSLIDE,
    ModelBundle,
    load_model_from_checkpoint,
    read_trained_steps,
)
from sarslide.training.config import TrainerConfig
from sarslide.training.run import best_checkpoint_path, fit_task, store_threshold
from sarslide.training.run_metadata import describe_training_numerics
from sarslide.training.task import SegmentationTask

logger = logging.getLogger(__name__)

HEAVY_MODELS = ("fcn-resnet50", "deeplabv3-resnet50")
METRICS_FILE = "test_metrics.json"
CONFIG_FILE = "config.json"


def choose_torch_threads(requested: int = DEFAULT_TRAIN_THREADS) -> int:
    """CPU threads for torch: ``requested`` (default 2, fixed), or (0) the cores not busy.

    A fixed count makes a run's floats independent of the machine's load: torch splits
    convolution gradients and long sums between its threads, so 1, 2 and 3 threads give
    different models from one seed (docs/training.md, "Reproducibility"). 0 = auto is
    for speed on a shared machine, where intra-op threads that outnumber the free cores
    spin-wait on each other (a small U-Net step on 2 busy cores took 0.8-3 s with 2
    threads against 0.24 s with 1, load average ~6): the logical CPUs minus the rounded
    1-minute load average, capped at torch's default and at least 1, decided once per
    process; the count, and so the results, then depend on the load at start (each
    checkpoint records it in ``metadata.reproducibility``).
    """
    return requested if requested > 0 else _auto_threads()


@functools.cache
def _auto_threads() -> int:
    default = int(torch.get_num_threads())
    try:
        busy = round(os.getloadavg()[0])
    except OSError:  # not available on this platform
        return default
    return max(1, min(default, (os.cpu_count() or default) - busy))


def set_torch_threads(requested: int = DEFAULT_TRAIN_THREADS) -> int:
    """Apply :func:`choose_torch_threads` to torch; return the thread count used."""
    threads = choose_torch_threads(requested)
    torch.set_num_threads(threads)
    logger.info("torch CPU threads: %d", threads)
    return threads


def build_datamodule(cfg: IsslideRunConfig) -> IsslideDataModule:
    """The data module of a run (set up)."""
    datamodule = IsslideDataModule(
        cfg.ready_dir,
        test_zones=cfg.test_zones,
        val_fraction=cfg.val_fraction,
        val_zones=cfg.val_zones,
        batch_size=cfg.batch_size,
        augment=cfg.augment,
        seed=cfg.seed,
        max_patches_per_split=cfg.max_patches_per_split,
    )
    datamodule.setup()
    return datamodule


def train_isslide_model(
    cfg: IsslideRunConfig,
    model_name: str,
    datamodule: IsslideDataModule,
    *,
    progress: bool = False,
) -> Path:
    """Fit one model, choose its threshold on validation; return its run folder."""
    if model_name not in ISSLIDE_MODELS:
        logger.warning("%s is not one of the ISSLIDE baselines %s", model_name, ISSLIDE_MODELS)
    heavy = model_name in HEAVY_MODELS
    lightning.seed_everything(cfg.seed, workers=True, verbose=False)
    run_dir = Path(cfg.output_dir) / model_name
    trainer_cfg = TrainerConfig(
        max_epochs=(cfg.heavy_max_epochs or cfg.max_epochs) if heavy else cfg.max_epochs,
        batch_size=cfg.batch_size,
        accelerator=cfg.accelerator,
        device=cfg.device,
        precision=cfg.precision,
        seed=cfg.seed,
        limit_train_batches=(cfg.heavy_limit_train_batches or cfg.limit_train_batches)
        if heavy
        else cfg.limit_train_batches,
    )
    # the threads in force (set_torch_threads; 0 = from the load): a rerun needs them
    numerics = {**describe_training_numerics(trainer_cfg), "threads_setting": cfg.num_threads}
    task = SegmentationTask(
        model_name,
        in_channels=len(FEATURE_NAMES),
        num_classes=1,
        loss="bce",
        model_kwargs=cfg.model_kwargs.get(model_name, {}),
        encoder_weights=cfg.encoder_weights.get(model_name),
        lr=(cfg.heavy_lr or cfg.lr) if heavy else cfg.lr,
        weight_decay=0.0,
        metadata={
            "task": TASK_ISSLIDE,
            "channel_names": list(FEATURE_NAMES),
            "test_zones": cfg.test_zones,
            "seed": cfg.seed,
            "threshold": 0.5,  # replaced below by the one chosen on validation
            "threshold_metric": None,
            "sarslide_version": sarslide.__version__,
            "reproducibility": numerics,
        },
    )
    paths = fit_task(task, datamodule, trainer_cfg, run_dir, progress=progress, resume=False)
    if not paths.is_global_zero:  # DDP: rank 0 chooses and writes the threshold
        return run_dir
    model, _ = load_model_from_checkpoint(paths.best_checkpoint)
    probability, truth = predict_dataset(
        model, datamodule.datasets[SPLIT_VAL], device=paths.device, precision=paths.precision
    )
    choice = store_threshold(
        paths, truth, probability, metric="f1", source="validation patches, best checkpoint"
    )
    logger.info("%s: threshold %.3f (val F1 %.3f)", model_name, choice.threshold, choice.score)
    return run_dir


def evaluate_isslide_model(run_dir: str | Path, datamodule: IsslideDataModule) -> dict[str, Any]:
    """Score a trained model on the TEST split with its validation threshold."""
    loaded = load_test_predictor(run_dir, datamodule, engine="torch")
    return _evaluate_with_probabilities(run_dir, datamodule, *loaded)[0]


def load_test_predictor(
    run_dir: str | Path,
    datamodule: IsslideDataModule,
    *,
    engine: str | None = "auto",
    device: str | torch.device = "cpu",
    precision: str | PrecisionPlan = "auto",
) -> tuple[ModelBundle, PatchPredictor]:
    """The trained model of ``run_dir`` (its bundle) on ``engine``, for the test patches.

    Raises:
        DataSelectionError: the model has no threshold chosen on validation.
        ConfigError: ``engine='onnx'`` and the model does not export (see ``insar.engine``).
    """
    model, bundle = load_model_from_checkpoint(best_checkpoint_path(Path(run_dir)))
    if bundle.extra.get("threshold_chosen_on") != SPLIT_VAL:
        raise DataSelectionError(
            f"{bundle.source} has no threshold chosen on validation: train the model first "
            "('sarslide insar train'); the threshold is chosen on validation, never on test."
        )
    features = datamodule.datasets[SPLIT_TEST].features
    return bundle, load_patch_predictor(
        model,
        model_name=bundle.model_name,
        num_classes=bundle.num_classes,
        patch_shape=tuple(int(n) for n in features.shape[1:]),  # type: ignore[arg-type]
        engine=engine,
        device=device,
        precision=precision,
    )


def _evaluate_with_probabilities(
    run_dir: str | Path,
    datamodule: IsslideDataModule,
    bundle: ModelBundle,
    predictor: PatchPredictor,
) -> tuple[dict[str, Any], np.ndarray]:
    """Metrics of :func:`evaluate_isslide_model` and the test probabilities (N, H, W)."""
    folder = Path(run_dir)
    dataset = datamodule.datasets[SPLIT_TEST]
    probability = predictor.predict(dataset.features.numpy(), batch_size=BATCH_SIZE)
    metrics = {
        "model": folder.name,
        **score_patches(dataset.masks.numpy(), probability, threshold=bundle.threshold),
    }
    metrics["trained_steps"] = read_trained_steps(best_checkpoint_path(folder))
    metrics["threshold_chosen_on"] = bundle.extra["threshold_chosen_on"]
    metrics["test_zones"] = ",".join(sorted(set(datamodule.split_index(SPLIT_TEST)["zone"])))
    metrics.update(predictor.describe())
    write_json_atomic(folder / METRICS_FILE, mark_undefined(metrics))
    return metrics, probability


def train_isslide(cfg: IsslideRunConfig, *, progress: bool = False) -> IsslideRuns:
    """Train every model of ``cfg`` (thresholds chosen on validation); write config.json."""
    datamodule = build_datamodule(cfg)  # validates zones and splits before writing anything
    if cfg.accelerator in ("cpu", "auto"):
        set_torch_threads(cfg.num_threads)
    out = Path(cfg.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_json_atomic(out / CONFIG_FILE, cfg.model_dump())
    return IsslideRuns(
        tuple(train_isslide_model(cfg, name, datamodule, progress=progress) for name in cfg.models)
    )


def evaluate_isslide(
    output_dir: str | Path,
    *,
    figure: bool = True,
    device: str | None = None,
    precision: str | None = None,
    engine: str | None = None,
) -> dict[str, Path]:
    """Score every trained model of a run folder on TEST; write the table (+ figure).

    ``device``, ``precision`` and ``engine`` (default: the run config's) decide where
    and how the models predict. Every model is loaded on its engine before the first
    is scored, so a model that cannot run on ``engine='onnx'`` stops the evaluation
    before anything is written.
    """
    out = Path(output_dir)
    config_path = out / CONFIG_FILE
    if not config_path.is_file():
        raise DataSelectionError(
            f"{config_path} is missing: is {out} a 'sarslide insar train' output?"
        )
    cfg = IsslideRunConfig.model_validate_json(config_path.read_text())
    datamodule = build_datamodule(cfg)
    run_dirs = [out / name for name in cfg.models if best_checkpoint_path(out / name).is_file()]
    if not run_dirs:
        raise DataSelectionError(
            f"No trained model in {out} (no */{best_checkpoint_path('')}); train first "
            "('sarslide insar train')."
        )
    if cfg.accelerator in ("cpu", "auto"):
        set_torch_threads(cfg.num_threads)
    torch_device = resolve_device(device or cfg.device)
    plan = resolve_precision(precision or cfg.precision, torch_device)
    loaded = [
        load_test_predictor(
            run_dir, datamodule, engine=engine or cfg.engine, device=torch_device, precision=plan
        )
        for run_dir in run_dirs
    ]
    scored = [
        _evaluate_with_probabilities(run_dir, datamodule, *model)
        for run_dir, model in zip(run_dirs, loaded, strict=True)
    ]
    rows = [metrics for metrics, _ in scored]
    md_path, csv_path = write_comparison_table(rows, out)
    outputs = {"table_md": md_path, "table_csv": csv_path}
    if figure:
        outputs["figure_png"] = plot_isslide_predictions(
            run_dirs,
            datamodule,
            out / "predictions.png",
            probabilities={
                Path(d).name: prob for d, (_, prob) in zip(run_dirs, scored, strict=True)
            },
        )
    return outputs


def run_isslide(
    cfg: IsslideRunConfig, *, progress: bool = False, figure: bool = True
) -> IsslideOutputs:
    """Train, then evaluate, every model of ``cfg``."""
    train_isslide(cfg, progress=progress)
    return IsslideOutputs(evaluate_isslide(cfg.output_dir, figure=figure))


def evaluate_isslide_run(cfg: IsslideEvaluateConfig) -> IsslideOutputs:
    """``sarslide insar evaluate`` as a call: :func:`evaluate_isslide` with ``cfg``'s settings."""
    return IsslideOutputs(
        evaluate_isslide(
            cfg.runs_dir,
            figure=cfg.figure,
            device=cfg.device,
            precision=cfg.precision,
            engine=cfg.engine,
        )
    )
