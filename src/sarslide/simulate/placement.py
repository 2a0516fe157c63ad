"""Place shapes at random until they cover a target number of pixels.

Landslides and non-landslide change patches are both stamped this way: start pixels
drawn with probability proportional to a weight map, in batches sized from what is
still missing, until the target is (about) reached.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

MAX_BATCHES = 8  # batches of draws; each aims at what is still missing


def stamp_until_covered(
    weights: np.ndarray,
    target_px: int,
    mean_area_px: float,
    rng: np.random.Generator,
    stamp: Callable[[int], int],
) -> int:
    """Call ``stamp(start)`` at weighted random flat pixel indices; return pixels covered.

    ``weights`` (flat, >= 0, not all 0) gives each pixel's chance of being a start;
    ``stamp`` draws one shape there and returns how many new pixels it covered. Stops
    once the target is reached, or within 2 % of it after a batch.
    """
    cumulative = np.cumsum(weights)
    cumulative /= cumulative[-1]
    covered = 0
    for _ in range(MAX_BATCHES):
        missing = target_px - covered
        if missing <= 0.02 * target_px:
            break
        count = max(1, int(np.ceil(missing / mean_area_px)))
        starts = np.searchsorted(cumulative, rng.random(count))
        for start in np.minimum(starts, weights.size - 1):
            covered += stamp(int(start))
            if covered >= target_px:
                break
    return covered
