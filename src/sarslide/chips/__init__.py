"""Composites, chips, honest splits and normalisation: from a cube to model inputs.

No torch here: cube work never needs it.
"""

from sarslide.chips.channels import resolve_channels
from sarslide.chips.chip_splits import build_chip_splits
from sarslide.chips.chipping import ChipArrays, chip_origins, extract_chips, gather_windows
from sarslide.chips.composites import build_composite_stack, make_composites
from sarslide.chips.config import DataConfig, load_data_config
from sarslide.chips.dataset import ChipSplits
from sarslide.chips.event_window import resolve_event_window, select_event_timesteps
from sarslide.chips.normalisation import NormalisationStats, compute_normalisation
from sarslide.chips.splits import SplitPlan, plan_split

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
