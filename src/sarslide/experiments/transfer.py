"""The transfer study: how much is lost on an event the model has never seen.

For every event E and seed, two runs (resumable, through the ablation runner):

- ``unseen-E-s<seed>``: trained on the other events (``leave_one_event_out``, validated
  on their spatial val blocks), never shown E;
- ``own-E-s<seed>``: trained on E alone (``spatial`` split: E's train and val blocks).

Both are scored on the same pixels: every pixel of E's spatial test region (the own
model never trained there) and, for the unseen model, every pixel of E. The log-ratio
baseline is scored on the same pixels, its sign chosen on the other events'
validation regions (no label of E used). Outputs in ``output_dir``::

    transfer-config.yaml   the resolved configuration
    runs/<run id>/         one directory per run (result.json marks it finished)
    log_ratio/<event>.json the log-ratio baseline per event
    transfer.csv, .md      the table: per event, mean, std, n of AUPRC per method
    transfer.png           the figure
    collection.json        STAC Collection: the events' areas and windows, table, figure
"""

from __future__ import annotations

import copy
import dataclasses
import json
import logging
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import numpy as np
import yaml

from sarslide.atomic import write_text_atomic
from sarslide.chips import DataConfig, load_data_config
from sarslide.chips.dataset import plan_cube_split
from sarslide.chips.events import merge_test_into_train
from sarslide.datacube import open_cube
from sarslide.experiments.config import (
    MODES,
    OWN,
    TRAIN_SUBDIR,
    UNSEEN,
    TransferConfig,
)
from sarslide.experiments.event_evaluation import (
    choose_log_ratio_sign,
    log_ratio_scene,
    predict_scene,
    read_labels,
)
from sarslide.experiments.grid import RUNS_DIRNAME, RunSpec
from sarslide.experiments.records import (
    RunOutput,
    flatten_interval,
    hash_train_config,
)
from sarslide.experiments.runner import GridOutcome, RunFunction, run_grid
from sarslide.metrics import compute_auprc, compute_auroc, compute_positive_rate
from sarslide.metrics.bootstrap import bootstrap_block_intervals, tile_block_ids

logger = logging.getLogger(__name__)


def load_transfer_config(values: dict[str, Any], *, source: str = "") -> TransferConfig:
    """Validate a mapping as a ``TransferConfig`` (one clear error listing every problem)."""
    return check_transfer_config(TransferConfig.from_mapping(values, source=source))


def check_transfer_config(cfg: TransferConfig) -> TransferConfig:
    """Check that the events and data settings are valid together and that held_out
    names events of the study.

    Raises:
        ConfigError: naming the bad setting.
    """
    cfg.data_config()
    cfg.held_out_events()
    return cfg


def expand_transfer_runs(cfg: TransferConfig) -> list[RunSpec]:
    """Two runs per held-out event and seed: unseen (the other events) and own (itself)."""
    train = resolved_train(cfg)
    runs_dir = Path(cfg.output_dir) / RUNS_DIRNAME
    specs = []
    for event in cfg.held_out_events():
        for mode in MODES:
            for seed in sorted(cfg.seeds):
                label = f"{mode}-{event}"
                specs.append(
                    RunSpec(
                        input_set=label,
                        timesteps_k=None,
                        seed=seed,
                        run_dir=runs_dir / f"{label}-s{seed}",
                        train=train,
                    )
                )
    return specs


def resolved_train(cfg: TransferConfig) -> dict[str, Any]:
    """The base training config with the study's events (JSON-able, hashed per run)."""
    train = copy.deepcopy(cfg.train)
    train["data"] = cfg.data_config().model_dump(mode="json")
    train[EQUAL_STEPS_KEY] = cfg.equal_steps
    return train


def build_run_config(spec: RunSpec) -> dict[str, Any]:
    """This run's training config: its events and split, seed and directory."""
    mode, event = spec.input_set.split("-", 1)
    config = copy.deepcopy(spec.train)
    data = config["data"]
    if mode == UNSEEN:
        data.update(split="leave_one_event_out", held_out_event=event)
    else:
        data.update(events=[e for e in data["events"] if e["name"] == event], split="spatial")
    config.setdefault("trainer", {})["seed"] = spec.seed
    config["output_dir"] = str(Path(spec.run_dir) / TRAIN_SUBDIR)
    config.pop(EQUAL_STEPS_KEY, None)
    return config


EQUAL_STEPS_KEY: Final = "_equal_steps"
"""Key of the base training mapping that carries ``TransferConfig.equal_steps``."""


def equal_step_epochs(data: DataConfig, event: str, epochs: int, batch_size: int) -> int:
    """Epochs for the model trained on ``event`` alone to take as many optimizer steps
    as ``epochs`` over the other events' training chips (chips counted from labels)."""
    own = _count_train_chips(data.for_event(event), None)
    others = sum(
        _count_train_chips(data.for_event(name), merge_test_into_train)
        for name in data.event_names
        if name != event
    )
    steps_own = max(1, math.ceil(own / batch_size))
    steps_others = math.ceil(others / batch_size)
    return max(epochs, math.ceil(epochs * steps_others / steps_own))


def _count_train_chips(event_cfg: DataConfig, edit: Any) -> int:
    labels = read_labels(open_cube(str(event_cfg.cube))).astype(np.uint8)
    origins, plan = plan_cube_split(event_cfg, labels)
    plan = edit(plan) if edit is not None else plan
    return int(np.count_nonzero(plan.assign_chips(origins, event_cfg.chip_size_px) == 0))


def train_and_score_transfer(spec: RunSpec) -> RunOutput:
    """Train one run of the study and score it on its event (the default run function)."""
    # torch and Lightning (seconds) only where a run trains: planning, baselines and
    # the report import this module without them
    from sarslide.models.engines import load_inference_model
    from sarslide.training import load_train_config, train

    mode, event = spec.input_set.split("-", 1)
    config = build_run_config(spec)
    if mode == OWN and spec.train.get(EQUAL_STEPS_KEY, True):
        trainer = config.setdefault("trainer", {})
        base = load_train_config(config).trainer
        trainer["max_epochs"] = equal_step_epochs(
            load_data_config(spec.train["data"]), event, base.max_epochs, base.batch_size
        )
        logger.info("%s: %d epochs (equal optimizer steps)", spec.run_id, trainer["max_epochs"])
    cfg = load_train_config(config)
    paths = train(cfg, progress=False)
    # fp32 whatever the CPU: --precision auto would run a checkpoint whose bf16 check
    # passed in bf16 on CPUs with bf16 units, and the study's numbers would follow the CPU
    model = load_inference_model(paths.best_checkpoint, precision="fp32")
    bundle = model.bundle
    event_cfg = load_data_config(spec.train["data"]).for_event(event)
    probability, labels, masks = predict_event(model, bundle, event_cfg)
    metrics: dict[str, float] = {}
    for where, mask in masks.items():
        if mode == OWN and where == "whole_event":
            continue  # the own model trained on part of the event
        metrics.update(score_mask(labels, probability, mask, where, tile_px=event_cfg.chip_size_px))
    return RunOutput(
        channel_names=list(bundle.channel_names),
        metrics=metrics,
        split=cfg.data.split,
        artifacts={
            "best_checkpoint": str(paths.best_checkpoint),
            "max_epochs": str(cfg.trainer.max_epochs),
        },
    )


def predict_event(
    model: Any, bundle: Any, event_cfg: DataConfig
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Probability and labels over the event's scene, and the masks scored: its spatial
    test region and the whole event."""
    cube = open_cube(str(event_cfg.cube))
    probability = predict_scene(
        model, dataclasses.replace(bundle, data_config=event_cfg), cube, progress=False
    )
    labels, masks = event_masks(event_cfg, cube)
    return probability, labels, masks


def event_masks(event_cfg: DataConfig, cube: Any) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The event's labels, its spatial test region and its whole scene (bool masks)."""
    labels = read_labels(cube)
    _, plan = plan_cube_split(event_cfg, labels.astype(np.uint8))
    return labels, {
        "test_region": plan.region_mask("test", labels.shape),
        "whole_event": np.ones(labels.shape, dtype=bool),
    }


def score_mask(
    labels: np.ndarray, score: np.ndarray, mask: np.ndarray, where: str, *, tile_px: int
) -> dict[str, float]:
    """AUPRC, AUROC and positive rate of ``score`` on the valid pixels of ``mask``, and
    the AUPRC's 95 % bootstrap interval over the mask's tiles of ``tile_px``
    (``auprc_<where>_low`` / ``_high``)."""
    keep = mask & np.isfinite(score)
    y, p = labels[keep], score[keep]
    rows, cols = np.nonzero(keep)
    intervals = (
        bootstrap_block_intervals(y, p, tile_block_ids(rows, cols, tile_px), threshold=0.5)
        if y.size
        else None
    )
    return {
        f"auprc_{where}": compute_auprc(y, p),
        f"auroc_{where}": compute_auroc(y, p),
        f"positive_rate_{where}": compute_positive_rate(y),
        **flatten_interval(intervals.to_dict() if intervals else None, where),
    }


def score_log_ratio_transfer(cfg: TransferConfig, event: str) -> dict[str, float]:
    """The log-ratio baseline on the event's test region and whole scene; its sign
    chosen on the validation regions of the other events."""
    data = cfg.data_config()
    ratio, labels, plans = {}, {}, {}
    for name in data.event_names:
        event_cfg = data.for_event(name)
        cube = open_cube(str(event_cfg.cube))
        ratio[name] = log_ratio_scene(cube, event_cfg, cfg.log_ratio)
        labels[name] = read_labels(cube)
        plans[name] = plan_cube_split(event_cfg, labels[name].astype(np.uint8))[1]
    others = [n for n in data.event_names if n != event]
    sign = choose_log_ratio_sign(
        {n: ratio[n] for n in others},
        {n: labels[n] for n in others},
        {n: plans[n] for n in others},
        cfg.log_ratio,
    )
    score = ratio[event][sign]
    masks = {
        "test_region": plans[event].region_mask("test", score.shape),
        "whole_event": np.ones(score.shape, dtype=bool),
    }
    out: dict[str, Any] = {"sign": sign}
    tile_px = data.for_event(event).chip_size_px
    for where, mask in masks.items():
        out.update(score_mask(labels[event], score, mask, where, tile_px=tile_px))
    return out


@dataclasses.dataclass(frozen=True)
class TransferOutcome:
    """Paths of the outputs and what the grid did (ran, skipped, failed)."""

    paths: dict[str, Path]
    grid: GridOutcome

    def __iter__(self) -> Iterator[Any]:
        """``grid, paths = run_transfer(cfg)``: the tuple it returned before."""
        return iter((self.grid, self.paths))


def run_transfer(
    cfg: TransferConfig,
    *,
    run_one: RunFunction | None = None,
    progress: bool = True,
) -> TransferOutcome:
    """Run (or resume) the study, score the baselines, write table and figure."""
    from sarslide.experiments.transfer_report import (  # cycle
        write_transfer_collection,
        write_transfer_report,
    )

    output_dir = Path(cfg.output_dir)
    write_text_atomic(
        output_dir / "transfer-config.yaml",
        yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False),
    )
    specs = expand_transfer_runs(cfg)
    logger.info("transfer study: %d runs in %s", len(specs), output_dir)
    outcome = run_grid(
        specs,
        run_one or train_and_score_transfer,
        workers=cfg.workers,
        threads_per_worker=cfg.threads_per_worker,
        progress=progress,
    )
    baselines = {
        event: cached_log_ratio(cfg, event, output_dir / "log_ratio" / f"{event}.json")
        for event in cfg.held_out_events()
    }
    paths = write_transfer_report(output_dir, outcome.records, baselines, title=cfg.name)
    paths["collection"] = write_transfer_collection(output_dir, cfg.events, title=cfg.name)
    return TransferOutcome(paths, outcome)


def cached_log_ratio(cfg: TransferConfig, event: str, path: Path) -> dict[str, Any]:
    """The event's log-ratio scores, computed once (keyed by the data and settings)."""
    key = hash_train_config(
        {
            "data": resolved_train(cfg)["data"],
            "log_ratio": cfg.log_ratio.model_dump(),
            "e": event,
            "scores": "with bootstrap intervals",  # caches from before them are recomputed
        }
    )
    if path.is_file():
        cached = json.loads(path.read_text())
        if cached.get("key") == key:
            return dict(cached["scores"])
    scores = score_log_ratio_transfer(cfg, event)
    write_text_atomic(path, json.dumps({"key": key, "scores": scores}, indent=2))
    return scores
