"""Deterministic random generators keyed by (seed, purpose, indices).

Every random draw of the simulator comes from a generator made here, so that the
same seed gives identical arrays whatever the order in which chunks are computed.
"""

from __future__ import annotations

import zlib

import numpy as np


def make_rng(seed: int, purpose: str, *indices: int) -> np.random.Generator:
    """A generator for one purpose (``"vv"``, ``"terrain"``...) and optional indices.

    Args:
        seed: the cube's seed.
        purpose: a short name of what the numbers are for; hashed into the key.
        indices: further non-negative integers (timestep, chunk row, chunk column).
    """
    key = [int(seed), zlib.crc32(purpose.encode()), *(int(i) for i in indices)]
    return np.random.default_rng(key)
