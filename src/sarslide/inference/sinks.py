"""Where finished prediction rows go: memory, several places at once, a binary map."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

BINARY_NODATA = 255  # value of nodata pixels in the uint8 binary landslide map


class RowSink(Protocol):
    """Receives the finished prediction, a band of full-width rows at a time, in order."""

    def write_rows(self, row_start: int, rows: np.ndarray) -> None: ...


@dataclass
class ArraySink:
    """A sink that fills an in-memory (height, width) array."""

    array: np.ndarray

    def write_rows(self, row_start: int, rows: np.ndarray) -> None:
        self.array[row_start : row_start + rows.shape[0]] = rows


class TeeSink:
    """Hands the same rows to several sinks."""

    def __init__(self, *sinks: RowSink) -> None:
        self.sinks = sinks

    def write_rows(self, row_start: int, rows: np.ndarray) -> None:
        for sink in self.sinks:
            sink.write_rows(row_start, rows)


class ThresholdSink:
    """Turns probability rows into a uint8 binary map (1 landslide, 0 not, 255 nodata)."""

    def __init__(self, sink: RowSink, threshold: float) -> None:
        self.sink = sink
        self.threshold = float(threshold)

    def write_rows(self, row_start: int, rows: np.ndarray) -> None:
        self.sink.write_rows(row_start, binarize_probability(rows, self.threshold))


def binarize_probability(probability: np.ndarray, threshold: float) -> np.ndarray:
    """1 where ``probability >= threshold``, 0 below, ``BINARY_NODATA`` where NaN."""
    binary = (probability >= threshold).astype(np.uint8)
    binary[np.isnan(probability)] = BINARY_NODATA
    return binary


PROBABILITY_BAND: dict[str, Any] = {
    "description": "landslide probability",
    "unit": "1",
    "band_tags": {"units": "unitless, 0-1", "valid_range": "0 1", "nodata": "NaN"},
}
"""Band description, unit and tags of ``probability.tif`` (what GIS tools show)."""
BINARY_BAND: dict[str, Any] = {
    "description": "landslide mask",
    "unit": "1",
    "band_tags": {
        "units": "class",
        "values": f"1 = landslide, 0 = no landslide, {BINARY_NODATA} = nodata",
    },
}
"""Band description, unit and tags of ``landslides.tif``."""
