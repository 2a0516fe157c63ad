"""Composites, chips, honest splits and normalisation: from a cube to model inputs.

No torch here: cube work never needs it.
Exports load on first use (module ``__getattr__``): importing the package costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sarslide.lazy_exports import lazy_getattr

if TYPE_CHECKING:
    from sarslide.chips.channels import resolve_channels
    from sarslide.chips.chip_splits import build_chip_splits
    from sarslide.chips.chipping import ChipArrays, chip_origins, extract_chips, gather_windows
    from sarslide.chips.composites import build_composite_stack, make_composites
    from sarslide.chips.config import DataConfig, load_data_config
    from sarslide.chips.dataset import ChipSplits
    from sarslide.chips.event_window import resolve_event_window, select_event_timesteps
    from sarslide.chips.normalisation import NormalisationStats, compute_normalisation
    from sarslide.chips.splits import SplitPlan, plan_split

_EXPORTS = {
    "ChipArrays": "sarslide.chips.chipping",
    "ChipSplits": "sarslide.chips.dataset",
    "DataConfig": "sarslide.chips.config",
    "NormalisationStats": "sarslide.chips.normalisation",
    "SplitPlan": "sarslide.chips.splits",
    "build_chip_splits": "sarslide.chips.chip_splits",
    "build_composite_stack": "sarslide.chips.composites",
    "chip_origins": "sarslide.chips.chipping",
    "compute_normalisation": "sarslide.chips.normalisation",
    "extract_chips": "sarslide.chips.chipping",
    "gather_windows": "sarslide.chips.chipping",
    "load_data_config": "sarslide.chips.config",
    "make_composites": "sarslide.chips.composites",
    "plan_split": "sarslide.chips.splits",
    "resolve_channels": "sarslide.chips.channels",
    "resolve_event_window": "sarslide.chips.event_window",
    "select_event_timesteps": "sarslide.chips.event_window",
}
__all__ = [
    "ChipArrays",
    "ChipSplits",
    "DataConfig",
    "NormalisationStats",
    "SplitPlan",
    "build_chip_splits",
    "build_composite_stack",
    "chip_origins",
    "compute_normalisation",
    "extract_chips",
    "gather_windows",
    "load_data_config",
    "make_composites",
    "plan_split",
    "resolve_channels",
    "resolve_event_window",
    "select_event_timesteps",
]


__getattr__ = lazy_getattr(__name__, _EXPORTS)
