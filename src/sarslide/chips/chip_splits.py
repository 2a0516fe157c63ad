"""``build_chip_splits``: train / val / test chips from a data config, one cube or several.

Above ``dataset`` (one cube's chips and split) and ``events`` (several events' cubes),
so that neither imports the other's caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import xarray as xr

from sarslide.chips.config import DataConfig, load_data_config
from sarslide.chips.dataset import ChipSplits, split_cube_chips
from sarslide.chips.events import build_event_chip_splits
from sarslide.chips.normalisation import compute_normalisation
from sarslide.datacube import open_cube
from sarslide.datacube.content import check_backscatter_values


def build_chip_splits(
    cfg: DataConfig | Mapping[str, Any],
    *,
    cube: xr.Dataset | None = None,
    progress: bool = False,
) -> ChipSplits:
    """Chips for train / val / test from a data config, normalised on train only.

    A config with ``events`` gathers chips from every event's cube
    (``sarslide.chips.events``); a single cube is split here.

    Args:
        cfg: the data config (or a mapping validated as one).
        cube: the cube, opened or in memory; default: ``open_cube(cfg.cube)`` (single
            cube only). Its backscatter is checked as ``open_cube`` checks a store's.
        progress: show progress bars while gathering chips.

    Raises:
        ConfigError: invalid config values or unknown keys.
        CubeContentError: backscatter in dB, all zeros or all nodata.
        DataSelectionError: too few acquisitions, missing variables, no landslide
            pixels, chips larger than the scene, or a split left without chips.
    """
    cfg = load_data_config(cfg)
    if cfg.events:
        return build_event_chip_splits(cfg, progress=progress)
    if cube is None:
        cube = open_cube(str(cfg.cube))  # open_cube checks the backscatter values
    else:  # a cube in memory is refused as one read from disk would be
        check_backscatter_values(cube, skip_checked=True)
    parts, plan = split_cube_chips(cfg, cube, progress=progress)
    return ChipSplits(
        train=parts[0],
        val=parts[1],
        test=parts[2],
        channel_names=list(parts[0].channel_names),
        normalisation=compute_normalisation(parts[0]),
        plan=plan,
        split=cfg.split,
    )
