"""From a config to train / val / test chips with training-only normalisation.

``build_chip_splits`` is the one high-level entry point. It chooses chips from the
labels first, plans the split on those candidates, and only then reads imagery: for
each chosen chip it gathers the raw k acquisitions and computes the log10 composite
on the chip alone (``composite_values``, the same function as the whole-scene
composites, hence identical values), so the scene is never composited whole.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr

from sarslide import conventions as cv
from sarslide.chips.channels import ChannelSpec, resolve_channel_specs
from sarslide.chips.chipping import (
    ChipArrays,
    drop_invalid_chips,
    gather_windows,
    select_chip_origins,
    to_binary_labels,
)
from sarslide.chips.composites import CompositeCounts, CompositeSelection, selection_from_config
from sarslide.chips.config import DataConfig
from sarslide.chips.log_composite import composite_values, log10_mean
from sarslide.chips.normalisation import NormalisationStats
from sarslide.chips.splits import SPLIT_NAMES, SplitPlan, plan_split
from sarslide.chips.zarr_chunks import (
    LocalChunkReader,
    gather_windows_from_chunks,
    load_if_direct,
)
from sarslide.errors import DataSelectionError

logger = logging.getLogger(__name__)

# 2-D layers (labels, DEM) up to this size are decoded into memory once, directly from a
# local store, instead of read through dask at every use (Hokkaido: 24 MB of uint8
# labels, 95 MB per float32 DEM layer); larger ones stay lazy, read chunk by chunk.
DIRECT_PLANE_MAX_BYTES = 256 << 20


@dataclass
class ChipSplits:
    """Train / val / test chips, their normalisation (from train only) and the plan."""

    train: ChipArrays
    val: ChipArrays
    test: ChipArrays
    channel_names: list[str]
    normalisation: NormalisationStats
    plan: SplitPlan  # multi-event: the first event's plan (see event_plans)
    split: str  # "spatial", "random" or "leave_one_event_out": quote it beside every number
    # Multi-event configs: the event names, each chip's event (index into ``events``)
    # per split, and each event's plan. Single cube: empty.
    events: list[str] = field(default_factory=list)
    chip_events: dict[str, np.ndarray] = field(default_factory=dict)
    event_plans: dict[str, SplitPlan] = field(default_factory=dict)

    def get(self, name: str) -> ChipArrays:
        if name not in SPLIT_NAMES:
            raise DataSelectionError(f"Invalid split {name!r}. Must be one of {list(SPLIT_NAMES)}.")
        chips: ChipArrays = getattr(self, name)
        return chips

    def event_chips(self, split: str, event: str) -> ChipArrays:
        """The chips of ``split`` that come from ``event`` (multi-event splits)."""
        if event not in self.events:
            raise DataSelectionError(f"No event {event!r} in these chips; events: {self.events}.")
        return self.get(split).subset(self.chip_events[split] == self.events.index(event))

    def plan_json(self) -> str:
        """The split plan as JSON; multi-event: ``{"events": {name: plan}}``."""
        if not self.events:
            return self.plan.to_json()
        plans = {name: json.loads(plan.to_json()) for name, plan in self.event_plans.items()}
        return json.dumps({"split_method": self.split, "events": plans}, indent=1)

    def summary(self) -> dict[str, Any]:
        """Chip counts and positive rates per split (and per event), labelled with the
        split method."""
        out: dict[str, Any] = {
            "split_method": self.split,
            "channels": list(self.channel_names),
            **{
                name: {
                    "n_chips": len(self.get(name)),
                    "positive_rate": self.get(name).positive_rate(),
                }
                for name in SPLIT_NAMES
            },
        }
        if self.events:
            out["events"] = {
                event: {
                    name: {
                        "n_chips": len(chips),
                        "positive_rate": chips.positive_rate(),
                    }
                    for name in SPLIT_NAMES
                    for chips in [self.event_chips(name, event)]
                }
                for event in self.events
            }
        return out


def extract_composite_chips(
    cube: xr.Dataset,
    specs: list[ChannelSpec],
    selection: CompositeSelection | None,
    origins_px: np.ndarray,
    size_px: int,
    *,
    progress: bool = False,
    direct_read: bool = True,
    labels: Any | None = None,
) -> ChipArrays:
    """Chips at ``origins_px``: composites computed on the chips alone, plus labels.

    Identical values to ``extract_chips(build_composite_stack(...), ...)`` at the same
    origins, without compositing the scene. With ``direct_read``, variables that are
    unmodified views of a local Zarr store are read by decoding their chunk files
    directly (``LocalChunkReader``; same values); others go through dask.

    Args:
        labels: the cube's ``(y, x)`` labels already read (numpy or dask); default:
            read from ``cube``.
    """
    counts = CompositeCounts()
    inputs = np.empty((len(origins_px), len(specs), size_px, size_px), np.float32)
    for index, spec in enumerate(specs):
        if spec.is_composite:
            assert selection is not None and spec.side is not None
            variable = cube[spec.variable].transpose(cv.DIM_TIMESTEP, *cv.SPATIAL_DIMS)
            reader = LocalChunkReader.from_dataarray(variable) if direct_read else None
            lead = selection.indices(spec.side)

            def reduce_windows(windows: np.ndarray, spec: ChannelSpec = spec) -> np.ndarray:
                if spec.log10 and selection.reducer == "mean":  # counts in the same pass
                    tally: dict[str, int] = {}
                    out = log10_mean(windows, selection.log_floor, axis=1, tally=tally)
                    n_values, floored, nodata = windows.size, tally["n_floored"], tally["n_nodata"]
                    counts.add_counted(spec.name, n_values, floored, nodata)
                    return out
                counts.add(spec.name, windows, selection.log_floor, log10=spec.log10)
                return composite_values(
                    windows,
                    log10=spec.log10,
                    floor=selection.log_floor,
                    reducer=selection.reducer,
                    axis=1,
                )

            if reader is not None and len(origins_px):  # local Zarr: decode chunk files
                gather_windows_from_chunks(
                    reader,
                    lead,
                    origins_px,
                    size_px,
                    transform=reduce_windows,
                    progress=progress,
                    out=inputs[:, index],
                )
            else:
                inputs[:, index] = gather_windows(
                    variable.data[lead],
                    origins_px,
                    size_px,
                    transform=reduce_windows,
                    progress=progress,
                )
        else:
            plane = cube[spec.variable].transpose(*cv.SPATIAL_DIMS)
            data = load_if_direct(plane, DIRECT_PLANE_MAX_BYTES) if direct_read else plane.data
            inputs[:, index] = gather_windows(data, origins_px, size_px)
    if labels is None:
        labels = _read_labels(cube, direct_read=direct_read)
    chip_labels = gather_windows(labels, origins_px, size_px)
    return ChipArrays(
        inputs,
        to_binary_labels(chip_labels),
        np.asarray(origins_px, dtype=np.int64).reshape(-1, 2),
        [spec.name for spec in specs],
        counts.to_dict(),
    )


def _read_labels(cube: xr.Dataset, *, direct_read: bool = True) -> Any:
    """The ``(y, x)`` labels: numpy when a direct read applies (read once, used twice),
    else the lazy array."""
    labels = _labels(cube)
    return load_if_direct(labels, DIRECT_PLANE_MAX_BYTES) if direct_read else labels.data


def _labels(cube: xr.Dataset) -> xr.DataArray:
    if cv.VAR_LANDSLIDES not in cube.data_vars:
        raise DataSelectionError(
            f"The cube has no {cv.VAR_LANDSLIDES!r} variable; chips for training need "
            f"labels. The cube has {sorted(map(str, cube.data_vars))}."
        )
    return cube[cv.VAR_LANDSLIDES].transpose(*cv.SPATIAL_DIMS)


PlanEdit = Callable[[SplitPlan], SplitPlan]


def split_cube_chips(
    cfg: DataConfig,
    cube: xr.Dataset,
    *,
    progress: bool = False,
    edit_plan: PlanEdit | None = None,
    check_empty: bool = True,
) -> tuple[list[ChipArrays], SplitPlan]:
    """The train, val and test chips of one cube and its split plan (no normalisation).

    ``edit_plan`` changes the plan before chips are assigned (multi-event splits turn
    a cube's test blocks into training blocks, or the whole cube into test).
    ``check_empty``: raise when a split gets no chips.
    """
    specs = resolve_channel_specs(cfg.channels, cube)
    selection = selection_from_config(cube, cfg) if any(s.is_composite for s in specs) else None
    labels = _read_labels(cube)
    size = cfg.chip_size_px
    origins, plan = plan_cube_split(cfg, labels)
    if edit_plan is not None:
        plan = edit_plan(plan)
    assignment = plan.assign_chips(origins, size)
    kept = assignment >= 0
    logger.info(
        "%d candidate chips, %d outside split regions (buffers, straddling blocks)",
        len(origins),
        int((~kept).sum()),
    )
    # grouped by split (row-major within each), so that each split is a view, not a copy
    order = np.flatnonzero(kept)[np.argsort(assignment[kept], kind="stable")]
    chips = extract_composite_chips(
        cube, specs, selection, origins[order], size, progress=progress, labels=labels
    )
    assignment = assignment[order]
    valid = drop_invalid_chips(chips, cfg.chip_min_valid_fraction)
    if len(valid) != len(chips):
        keep_rows = np.isin(_keys(chips.origins_px), _keys(valid.origins_px))
        assignment = assignment[keep_rows]
    bounds = np.searchsorted(assignment, np.arange(len(SPLIT_NAMES) + 1))
    parts = [valid.subset(slice(bounds[i], bounds[i + 1])) for i in range(len(SPLIT_NAMES))]
    if check_empty:
        _check_not_empty(parts, cfg, n_candidates=len(origins), n_in_regions=int(kept.sum()))
    return parts, plan


def plan_cube_split(cfg: DataConfig, labels: Any) -> tuple[np.ndarray, SplitPlan]:
    """The candidate chip origins of one cube (from its ``(y, x)`` labels) and its plan."""
    size, stride = cfg.chip_size_px, cfg.stride_px
    origins = select_chip_origins(labels, size, stride, positive_only=cfg.positive_only)
    plan = plan_split(
        (int(labels.shape[0]), int(labels.shape[1])),
        method="random" if cfg.split == "random" else "spatial",
        chip_origins_px=origins,
        chip_size_px=size,
        fractions=cfg.split_fractions,
        block_px=cfg.split_block_px,
        buffer_px=cfg.split_buffer_px,
        seed=cfg.seed,
    )
    return origins, plan


def _keys(origins: np.ndarray) -> np.ndarray:
    return origins[:, 0] * (2**31) + origins[:, 1]


def _check_not_empty(
    parts: list[ChipArrays], cfg: DataConfig, *, n_candidates: int, n_in_regions: int
) -> None:
    empty = [name for name, part in zip(SPLIT_NAMES, parts, strict=True) if len(part) == 0]
    if not empty:
        return
    hint = (
        "use smaller split_block_px (more blocks), a smaller split_buffer_px, a smaller "
        "chip_size_px, or positive_only: false"
        if cfg.split == "spatial"
        else "use more chips (smaller chip_size_px or positive_only: false)"
    )
    counts = ", ".join(f"{n}={len(p)}" for n, p in zip(SPLIT_NAMES, parts, strict=True))
    raise DataSelectionError(
        f"The {cfg.split} split leaves {empty} without chips ({counts}; {n_candidates} "
        f"candidate chips, {n_in_regions} inside split regions); {hint}."
    )
