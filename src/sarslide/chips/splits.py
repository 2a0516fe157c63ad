"""Train / val / test splits that do not leak: spatial blocks with a buffer.

``spatial`` (default): the scene is cut into square blocks of ``block_px``; blocks go
to train / val / test (seeded, balanced by candidate chips). Wherever blocks of
different splits meet, a strip of ``buffer_px`` pixels on the lower / right block is
given to no split, and diagonal corners likewise. A chip belongs to a split only if
its whole footprint lies in that split's region, so chips of different splits are at
least ``buffer_px`` pixels apart: they never overlap or touch (buffer >= 1). Chips
that straddle blocks of different splits or touch a buffer are dropped.

``random``: the paper's split of chips at random (neighbouring chips land in train
and test: a spatial leak). For reproduction only; numbers from it say so.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from sarslide.atomic import write_text_atomic
from sarslide.errors import ConfigError, DataSelectionError

SPLIT_NAMES: tuple[str, str, str] = ("train", "val", "test")
SplitMethod = Literal["spatial", "random"]
UNASSIGNED = -1


@dataclass
class SplitPlan:
    """Which pixels (spatial) or chips (random) belong to train / val / test.

    Serialisable (``to_json`` / ``from_json`` / ``save`` / ``load``) and saved next to
    every run, so a result can always be traced to its split.
    """

    method: SplitMethod
    shape_px: tuple[int, int]
    fractions: tuple[float, float, float]
    seed: int
    block_px: int | None = None
    buffer_px: int | None = None
    block_splits: list[list[int]] | None = None  # spatial: split index of each block
    chip_size_px: int | None = None
    chip_origins_px: list[list[int]] = field(default_factory=list)  # random: the chips
    chip_splits: list[int] = field(default_factory=list)  # random: split of each chip

    # -- regions -------------------------------------------------------------------
    def cell_px(self) -> int:
        """Pixel size of the coarse grid on which spatial regions are constant."""
        assert self.block_px is not None and self.buffer_px is not None
        return math.gcd(self.block_px, self.buffer_px) if self.buffer_px else self.block_px

    def region_cells(self) -> np.ndarray:
        """Spatial plans: int8 split index per cell of ``cell_px`` (-1 = buffer)."""
        if self.method != "spatial" or self.block_splits is None:
            raise DataSelectionError("region_cells is defined for spatial split plans only.")
        assert self.block_px is not None and self.buffer_px is not None
        cell = self.cell_px()
        per_block, strip = self.block_px // cell, self.buffer_px // cell
        blocks = np.asarray(self.block_splits, dtype=np.int8)
        cells = np.repeat(np.repeat(blocks, per_block, 0), per_block, 1)
        if strip:
            padded = np.pad(blocks, 1, constant_values=UNASSIGNED)
            own = padded[1:-1, 1:-1]
            rows = np.arange(cells.shape[0]) % per_block < strip  # top strip of a block
            cols = np.arange(cells.shape[1]) % per_block < strip  # left strip
            rows_end = np.arange(cells.shape[0]) % per_block >= per_block - strip

            def differs(dr: int, dc: int) -> np.ndarray:
                other = padded[1 + dr : padded.shape[0] - 1 + dr, 1 + dc : padded.shape[1] - 1 + dc]
                mask = (other != own) & (other != UNASSIGNED)
                return np.repeat(np.repeat(mask, per_block, 0), per_block, 1)

            cut = (
                (differs(-1, 0) & rows[:, None])
                | (differs(0, -1) & cols[None, :])
                | (differs(-1, -1) & rows[:, None] & cols[None, :])
                | (differs(1, -1) & rows_end[:, None] & cols[None, :])
            )
            cells = np.where(cut, UNASSIGNED, cells).astype(np.int8)
        n_rows = -(-self.shape_px[0] // cell)
        n_cols = -(-self.shape_px[1] // cell)
        return cells[:n_rows, :n_cols]

    def region_mask(self, split: str, shape: tuple[int, int] | None = None) -> np.ndarray:
        """Boolean ``(H, W)`` mask of the pixels that belong to ``split``.

        Spatial: the split's blocks minus buffers (every pixel, not only chips: for
        whole-region evaluation). Random: the union of that split's chip footprints.
        """
        index = _split_index(split)
        height, width = shape or self.shape_px
        if (height, width) != tuple(self.shape_px):
            raise DataSelectionError(
                f"The plan was made for a {tuple(self.shape_px)} px scene, not {(height, width)}."
            )
        if self.method == "random":
            mask = np.zeros((height, width), dtype=bool)
            size = self.chip_size_px or 0
            for (r, c), s in zip(self.chip_origins_px, self.chip_splits, strict=True):
                if s == index:
                    mask[r : r + size, c : c + size] = True
            return mask
        cell = self.cell_px()
        cells = self.region_cells() == index
        return np.repeat(np.repeat(cells, cell, 0), cell, 1)[:height, :width]

    def assign_chips(self, origins_px: np.ndarray, size_px: int) -> np.ndarray:
        """Split index (0 train, 1 val, 2 test, -1 dropped) of each chip."""
        origins_px = np.asarray(origins_px, dtype=np.int64).reshape(-1, 2)
        if self.method == "random":
            lookup = {
                tuple(o): s
                for o, s in zip(map(tuple, self.chip_origins_px), self.chip_splits, strict=True)
            }
            return np.array(
                [lookup.get(tuple(o), UNASSIGNED) for o in origins_px.tolist()], dtype=np.int64
            )
        cell = self.cell_px()
        cells = self.region_cells().astype(np.int64)
        out = np.full(len(origins_px), UNASSIGNED, dtype=np.int64)
        # cell index ranges of each footprint (blocks and buffers are cell-aligned)
        r0, c0 = origins_px[:, 0] // cell, origins_px[:, 1] // cell
        r1 = (origins_px[:, 0] + size_px - 1) // cell + 1
        c1 = (origins_px[:, 1] + size_px - 1) // cell + 1
        for index in range(len(SPLIT_NAMES)):
            inside = _integral(cells == index)
            total = inside[r1, c1] - inside[r0, c1] - inside[r1, c0] + inside[r0, c0]
            out[total == (r1 - r0) * (c1 - c0)] = index
        return out

    # -- serialisation ------------------------------------------------------------
    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1)

    @classmethod
    def from_json(cls, text: str) -> SplitPlan:
        values = json.loads(text)
        values["shape_px"] = tuple(values["shape_px"])
        values["fractions"] = tuple(values["fractions"])
        return cls(**values)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the plan as JSON atomically (temp file, then rename)."""
        return write_text_atomic(path, self.to_json())

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> SplitPlan:
        return cls.from_json(Path(path).read_text())


def _integral(mask: np.ndarray) -> np.ndarray:
    out = np.zeros((mask.shape[0] + 1, mask.shape[1] + 1), dtype=np.int64)
    out[1:, 1:] = mask.cumsum(0).cumsum(1)
    return out


def _split_index(split: str) -> int:
    if split not in SPLIT_NAMES:
        raise DataSelectionError(f"Invalid {split=}. Must be one of {list(SPLIT_NAMES)}.")
    return SPLIT_NAMES.index(split)


def default_block_px(shape_px: tuple[int, int], chip_size_px: int, min_blocks: int = 16) -> int:
    """8 chips per block side, halved while the scene holds fewer than ``min_blocks``.

    Never below 2 chips, so that the default buffer (one chip) leaves room in a block.
    """
    block = 8 * chip_size_px
    while block > 2 * chip_size_px and _n_blocks(shape_px, block) < min_blocks:
        block //= 2
    return max(block, 2 * chip_size_px)


def _n_blocks(shape_px: tuple[int, int], block_px: int) -> int:
    return (-(-shape_px[0] // block_px)) * (-(-shape_px[1] // block_px))


def plan_split(
    shape_px: tuple[int, int],
    *,
    method: SplitMethod = "spatial",
    chip_origins_px: np.ndarray | None = None,
    chip_size_px: int = 128,
    fractions: tuple[float, float, float] = (0.7, 0.15, 0.15),
    block_px: int | None = None,
    buffer_px: int | None = None,
    seed: int = 0,
) -> SplitPlan:
    """Plan a train / val / test split of a scene.

    Args:
        shape_px: (height, width) of the scene.
        method: "spatial" (blocks + buffer) or "random" (the paper's chip split).
        chip_origins_px: candidate chips; spatial plans balance blocks by them (else by
            area); random plans split exactly these.
        chip_size_px: chip side, for buffer default and footprints.
        fractions: train, val, test.
        block_px: block side (spatial); default ``default_block_px``.
        buffer_px: gap between splits (spatial); default the chip size.
        seed: seeds the assignment.
    """
    if len(fractions) != 3 or any(f <= 0 for f in fractions) or abs(sum(fractions) - 1) > 1e-6:
        raise ConfigError(f"split fractions {fractions} must be 3 positive numbers summing to 1.")
    rng = np.random.default_rng(seed)
    shape_px = (int(shape_px[0]), int(shape_px[1]))
    fracs = (float(fractions[0]), float(fractions[1]), float(fractions[2]))
    if method == "random":
        if chip_origins_px is None:
            raise DataSelectionError("A random split needs the chip origins to split.")
        origins = np.asarray(chip_origins_px, dtype=np.int64).reshape(-1, 2)
        order = rng.permutation(len(origins))
        n_train = int(len(origins) * fractions[0])
        n_val = int(len(origins) * fractions[1])
        chip_splits = np.empty(len(origins), dtype=np.int64)
        chip_splits[order[:n_train]] = 0
        chip_splits[order[n_train : n_train + n_val]] = 1
        chip_splits[order[n_train + n_val :]] = 2
        return SplitPlan(
            "random",
            shape_px,
            fracs,
            seed,
            chip_size_px=chip_size_px,
            chip_origins_px=origins.tolist(),
            chip_splits=chip_splits.tolist(),
        )
    if method != "spatial":
        raise ConfigError(f"Invalid split method {method!r}. Must be 'spatial' or 'random'.")
    block = block_px or default_block_px(shape_px, chip_size_px)
    buffer = chip_size_px if buffer_px is None else buffer_px
    if buffer >= block:
        raise ConfigError(
            f"split_buffer_px={buffer} must be smaller than split_block_px={block}; "
            "use larger blocks or a smaller buffer."
        )
    n_by, n_bx = -(-shape_px[0] // block), -(-shape_px[1] // block)
    weights = np.ones((n_by, n_bx))  # area, when no chips are given
    if chip_origins_px is not None and len(chip_origins_px):
        centres = np.asarray(chip_origins_px).reshape(-1, 2) + chip_size_px // 2
        np.add.at(
            weights,
            (
                np.minimum(centres[:, 0] // block, n_by - 1),
                np.minimum(centres[:, 1] // block, n_bx - 1),
            ),
            1000.0,
        )
    blocks = _assign_blocks(weights.ravel(), np.asarray(fracs), rng).reshape(n_by, n_bx)
    return SplitPlan(
        "spatial",
        shape_px,
        fracs,
        seed,
        block_px=block,
        buffer_px=buffer,
        block_splits=blocks.tolist(),
        chip_size_px=chip_size_px,
    )


def _assign_blocks(
    weights: np.ndarray, fractions: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Greedy: blocks in random order, each to the split furthest below its target."""
    out = np.empty(len(weights), dtype=np.int64)
    filled = np.zeros(3)
    order = rng.permutation(len(weights))
    for block in order:
        total = filled.sum() + weights[block]
        index = int(np.argmax(fractions * total - filled))
        out[block] = index
        filled[index] += weights[block]
    return out
