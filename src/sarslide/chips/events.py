"""Chips from several events (cubes) for one training run, every chip keeping its event.

Each event's cube is chipped on its own grid, in its own CRS, with its own event
window and orbit (``DataConfig.for_event``); only pixel windows leave the cube.

- ``spatial``: every event is split by spatial blocks as a single cube would be;
  train, val and test each pool the chips of all events.
- ``leave_one_event_out``: the held-out event is test only, all of it (every chip and
  every pixel of its scene); the other events are train and val only, validated on
  their spatial val blocks (their test blocks become training blocks).

Normalisation statistics always come from the train chips, hence only from training
events' cubes.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
import yaml

from sarslide.chips.chipping import ChipArrays
from sarslide.chips.config import DataConfig
from sarslide.chips.dataset import ChipSplits, split_cube_chips
from sarslide.chips.normalisation import compute_normalisation
from sarslide.chips.splits import SPLIT_NAMES, SplitPlan
from sarslide.datacube import open_cube
from sarslide.datacube.content import check_backscatter_values
from sarslide.errors import ConfigError, DataSelectionError

logger = logging.getLogger(__name__)

TRAIN, VAL, TEST = range(3)


def build_event_chip_splits(
    cfg: DataConfig,
    *,
    cubes: dict[str, xr.Dataset] | None = None,
    progress: bool = False,
) -> ChipSplits:
    """Train / val / test chips pooled over ``cfg.events``; each chip keeps its event.

    Args:
        cfg: a data config with ``events``.
        cubes: opened cubes by event name; default: each event's ``cube`` is opened.
        progress: progress bars while gathering chips.

    Raises:
        CubeContentError: an event's backscatter is in dB, all zeros or all nodata.
        DataSelectionError: an event gives no chips where it must (e.g. a training
            event without train chips), or the pooled splits are empty.
    """
    if not cfg.events:
        raise DataSelectionError("build_event_chip_splits needs a data config with 'events'.")
    per_split: list[list[ChipArrays]] = [[], [], []]
    per_split_events: list[list[np.ndarray]] = [[], [], []]
    plans: dict[str, SplitPlan] = {}
    for index, name in enumerate(cfg.event_names):
        event_cfg = cfg.for_event(name)
        cube = (cubes or {}).get(name)
        if cube is None:
            cube = open_cube(str(event_cfg.cube))  # checks the backscatter values
        else:  # a cube in memory is refused as one read from disk would be
            check_backscatter_values(cube, source=name, skip_checked=True)
        role = _event_role(cfg, name)
        try:
            parts, plan = split_cube_chips(
                event_cfg,
                cube,
                progress=progress,
                edit_plan=_PLAN_EDITS[role],
                check_empty=role == "split",
            )
        except (DataSelectionError, ConfigError) as err:  # say which event it was
            raise type(err)(f"Event {name!r} ({event_cfg.cube}): {err}") from err
        if role == "train" and (not len(parts[TRAIN]) or not len(parts[VAL])):
            raise DataSelectionError(
                f"Training event {name!r} gives {len(parts[TRAIN])} train and "
                f"{len(parts[VAL])} val chips; it needs both: use smaller split_block_px "
                "or chip_size_px, or positive_only: false."
            )
        if role == "test" and not len(parts[TEST]):
            raise DataSelectionError(
                f"The held-out event {name!r} gives no chips; use a smaller chip_size_px "
                "or positive_only: false."
            )
        plans[name] = plan
        for split, chips in enumerate(parts):
            per_split[split].append(chips)
            per_split_events[split].append(np.full(len(chips), index, dtype=np.int16))
        counts = {n: len(p) for n, p in zip(SPLIT_NAMES, parts, strict=True)}
        logger.info("event %s (%s): %s chips", name, role, counts)
    pooled = [concatenate_chips(chips) for chips in per_split]
    empty = [n for n, chips in zip(SPLIT_NAMES, pooled, strict=True) if not len(chips)]
    if empty:
        raise DataSelectionError(
            f"The {cfg.split} split over events {cfg.event_names} leaves {empty} without "
            "chips; use smaller split_block_px or chip_size_px, or positive_only: false."
        )
    first = cfg.event_names[0]
    return ChipSplits(
        train=pooled[TRAIN],
        val=pooled[VAL],
        test=pooled[TEST],
        channel_names=list(pooled[TRAIN].channel_names),
        normalisation=compute_normalisation(pooled[TRAIN]),
        plan=plans[first],
        split=cfg.split,
        events=list(cfg.event_names),
        chip_events={
            name: np.concatenate(per_split_events[i]) for i, name in enumerate(SPLIT_NAMES)
        },
        event_plans=plans,
    )


def _event_role(cfg: DataConfig, name: str) -> str:
    """'split' (spatial: train, val and test), 'train' (train and val) or 'test'."""
    if cfg.split != "leave_one_event_out":
        return "split"
    return "test" if name == cfg.held_out_event else "train"


def merge_test_into_train(plan: SplitPlan) -> SplitPlan:
    """A spatial plan whose test blocks train: train and val only (training events)."""
    if plan.block_splits is None:
        raise DataSelectionError("Only spatial plans can merge their test blocks into train.")
    blocks = [[TRAIN if s == TEST else s for s in row] for row in plan.block_splits]
    return dataclasses.replace(plan, block_splits=blocks)


def whole_scene_test(plan: SplitPlan) -> SplitPlan:
    """A spatial plan that gives every pixel of the scene to test (the held-out event)."""
    if plan.block_splits is None:
        raise DataSelectionError("Only spatial plans can give a whole scene to test.")
    blocks = [[TEST for _ in row] for row in plan.block_splits]
    return dataclasses.replace(plan, block_splits=blocks, fractions=(0.0, 0.0, 1.0))


_PLAN_EDITS: dict[str, Any] = {
    "split": None,
    "train": merge_test_into_train,
    "test": whole_scene_test,
}


def concatenate_chips(parts: list[ChipArrays]) -> ChipArrays:
    """One ``ChipArrays`` from several (same channels and chip size); counts summed."""
    if not parts:
        raise DataSelectionError("No chips to concatenate.")
    names = parts[0].channel_names
    for part in parts[1:]:
        if part.channel_names != names:
            raise DataSelectionError(
                f"Events give different channels ({names} vs {part.channel_names}); every "
                "event's cube needs the same variables."
            )
    return ChipArrays(
        np.concatenate([p.inputs for p in parts]),
        np.concatenate([p.labels for p in parts]),
        np.concatenate([p.origins_px for p in parts]),
        list(names),
        _sum_counts([p.counts for p in parts]),
    )


def _sum_counts(counts: list[dict[str, Any]]) -> dict[str, Any]:
    """Numbers summed key by key, nested mappings merged the same way."""
    out: dict[str, Any] = {}
    for count in counts:
        for key, value in count.items():
            if isinstance(value, dict):
                out[key] = _sum_counts([out.get(key, {}), value])
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                out[key] = out.get(key, 0) + value
            else:
                out.setdefault(key, value)
    return out


def read_events_file(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The list of events in an ``events.yaml`` (relative cube paths resolved from it).

    Raises:
        ConfigError: missing or unreadable file, or not a list of mappings.
    """
    file = Path(path)
    try:
        values = yaml.safe_load(file.read_text())
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError(f"Cannot read the events file {str(file)!r}: {err}") from err
    if not isinstance(values, list) or not all(isinstance(v, dict) for v in values):
        raise ConfigError(
            f"The events file {str(file)!r} must be a list of {{name, cube}} mappings "
            "(as 'sarslide cube simulate-events' writes)."
        )
    for value in values:
        cube = Path(str(value.get("cube", "")))
        if value.get("cube") and not cube.is_absolute() and not cube.exists():
            value["cube"] = str(file.parent / cube)
    return values


def read_events_overrides(
    path: str | os.PathLike[str], held_out: str | None = None
) -> dict[str, Any]:
    """The training-config keys that train on the events of ``path`` (an events.yaml)
    instead of one cube; ``held_out``: the event left out and tested on (split
    leave_one_event_out). ``sarslide train --events PATH --held-out NAME``."""
    keys: dict[str, Any] = {"data.cube": None, "data.events": read_events_file(path)}
    if held_out is not None:
        keys |= {"data.split": "leave_one_event_out", "data.held_out_event": held_out}
    return keys
