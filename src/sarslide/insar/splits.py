"""Region holdout for ISSLIDE: test zones, and a validation split chosen by interferogram.

- test: ALL patches of the named zones (default Queyras, as in Bralet et al. 2024);
- validation: every patch of a seeded random ``val_fraction`` of the interferograms of
  the training zones (or of ``val_zones`` when given), so no interferogram is split;
- train: the rest.

The test set is never used for threshold or model selection.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from typing import Final

import numpy as np
import pandas as pd

from sarslide.errors import DataSelectionError
from sarslide.insar.config import DEFAULT_TEST_ZONES

logger = logging.getLogger(__name__)

SPLIT_TRAIN: Final = "train"
SPLIT_VAL: Final = "val"
SPLIT_TEST: Final = "test"


def assign_splits(
    index: pd.DataFrame,
    *,
    test_zones: Sequence[str] = DEFAULT_TEST_ZONES,
    val_fraction: float = 0.2,
    val_zones: Sequence[str] = (),
    moving_only: bool = True,
    seed: int = 0,
) -> pd.DataFrame:
    """Return a copy of the patch index with a ``split`` column (train / val / test).

    Args:
        index: patch index with ``zone``, ``interferogram`` and ``has_move`` columns.
        test_zones: zones held out for testing (all their patches).
        val_fraction: fraction of training-zone interferograms used for validation.
        val_zones: if given, these whole zones are the validation set instead.
        moving_only: drop "no-move" patches (the paper's single-interferogram study).
        seed: seed of the interferogram draw.
    """
    zones = set(index["zone"])
    for name, wanted in (("test_zones", test_zones), ("val_zones", val_zones)):
        unknown = sorted(set(wanted) - zones)
        if unknown:
            raise DataSelectionError(
                f"Unknown {name} {unknown}; the dataset has zones {sorted(zones)}."
            )
    if set(test_zones) & set(val_zones):
        raise DataSelectionError(
            "A zone cannot be both test and validation: "
            f"{sorted(set(test_zones) & set(val_zones))}."
        )
    if not 0.0 <= val_fraction < 1.0:
        raise DataSelectionError(f"Invalid val_fraction={val_fraction}: must lie in [0, 1).")
    frame = index[index["has_move"].astype(bool)] if moving_only else index
    frame = frame.copy()
    frame["split"] = SPLIT_TRAIN
    frame.loc[frame["zone"].isin(test_zones), "split"] = SPLIT_TEST
    if val_zones:
        frame.loc[frame["zone"].isin(val_zones), "split"] = SPLIT_VAL
    elif val_fraction > 0:
        candidates = np.array(
            sorted(set(frame.loc[frame["split"] == SPLIT_TRAIN, "interferogram"]))
        )
        n_val = max(1, math.ceil(val_fraction * len(candidates))) if len(candidates) > 1 else 0
        chosen = np.random.default_rng(seed).choice(candidates, size=n_val, replace=False)
        frame.loc[
            frame["interferogram"].isin(chosen) & (frame["split"] == SPLIT_TRAIN), "split"
        ] = SPLIT_VAL
    counts = frame["split"].value_counts().to_dict()
    for split in (SPLIT_TRAIN, SPLIT_VAL, SPLIT_TEST):
        if counts.get(split, 0) == 0:
            raise DataSelectionError(
                f"The {split} split is empty (counts {counts}, zones {sorted(zones)}, "
                f"test_zones {list(test_zones)}). Use more zones or interferograms."
            )
    logger.info("splits: %s", counts)
    return frame.reset_index(drop=True)
