"""torchgeo-style datasets over sarslide's leak-free chip splits (the ``[torchgeo]`` extra).

``LandslideChipDataset`` yields torchgeo sample dicts (``image``, ``mask``, ``crs``,
``bounds``) and ``LandslideChipDataModule`` serves them to torchgeo's trainers
(``SemanticSegmentationTask``) and to any Lightning module that reads such batches.
Nothing is imported until a name is used (module ``__getattr__``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sarslide.torchgeo.datasets import LandslideChipDataModule, LandslideChipDataset
    from sarslide.torchgeo.georeference import ChipGeoreference, read_chip_georeferences

_EXPORTS = {
    "ChipGeoreference": "sarslide.torchgeo.georeference",
    "LandslideChipDataModule": "sarslide.torchgeo.datasets",
    "LandslideChipDataset": "sarslide.torchgeo.datasets",
    "read_chip_georeferences": "sarslide.torchgeo.georeference",
}
__all__ = [
    "ChipGeoreference",
    "LandslideChipDataModule",
    "LandslideChipDataset",
    "read_chip_georeferences",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
