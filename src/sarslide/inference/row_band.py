"""The full-width band of rows into which whole-scene prediction blends its tiles."""

from __future__ import annotations

import numpy as np


class RowBand:
    """Accumulator over full-width rows ``[row0, row0 + n)`` of the blended prediction."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.row0 = 0
        self.values = np.zeros((0, width), dtype=np.float32)
        self.peak_rows = 0

    def extend_to(self, row_end: int) -> None:
        extra = row_end - (self.row0 + self.values.shape[0])
        if extra > 0:
            self.values = np.concatenate([self.values, np.zeros((extra, self.width), np.float32)])
            self.peak_rows = max(self.peak_rows, self.values.shape[0])

    def add(self, y0: int, x0: int, weighted: np.ndarray) -> None:
        """Add a tile's weighted prediction; parts past the scene are dropped."""
        rows = min(weighted.shape[0], self.row0 + self.values.shape[0] - y0)
        cols = min(weighted.shape[1], self.width - x0)
        self.values[y0 - self.row0 : y0 - self.row0 + rows, x0 : x0 + cols] += weighted[
            :rows, :cols
        ]

    def pop_until(self, row_end: int) -> np.ndarray:
        """Return rows ``[row0, row_end)`` (finished) and keep the rest."""
        n = row_end - self.row0
        done, self.values = self.values[:n], self.values[n:].copy()
        self.row0 = row_end
        return done
