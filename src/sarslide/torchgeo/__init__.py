"""torchgeo-style datasets over sarslide's leak-free chip splits (the ``[torchgeo]`` extra).

``LandslideChipDataset`` yields torchgeo sample dicts (``image``, ``mask``, ``crs``,
``bounds``) and ``LandslideChipDataModule`` serves them to torchgeo's trainers
(``SemanticSegmentationTask``) and to any Lightning module that reads such batches.
Nothing is imported until a name is used (module ``__getattr__``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sarslide.lazy_exports import lazy_getattr

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


__getattr__ = lazy_getattr(__name__, _EXPORTS)
