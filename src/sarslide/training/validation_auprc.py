"""Exact validation AUPRC counted where the scores are (GPU or CPU), once per epoch.

The validation scores of an epoch stay on the training device; at the end of the
epoch one sort and one cumulative sum there give the true and predicted positives at
every distinct score (:class:`~sarslide.metrics.binary.RankCounts`), and only those
counts go to the host, where :func:`~sarslide.metrics.binary.auprc_from_counts` gives
the same value as ``compute_auprc`` on the same pixels. No host copy or device
synchronisation happens per validation batch, and the host never sorts the ~1 M
validation pixels of the paper's split (0.1 s per epoch on a CPU core, which on a GPU
would cost more than the epoch itself).
"""

from __future__ import annotations

import numpy as np
import torch

from sarslide.metrics.binary import RankCounts, auprc_from_counts


def count_ranks_on_device(labels: torch.Tensor, scores: torch.Tensor) -> RankCounts:
    """:func:`~sarslide.metrics.binary.compute_rank_counts` for flat tensors on any device.

    Args:
        labels: Flat bool (or {0, 1}) tensor of valid pixels.
        scores: Flat float tensor of the same pixels (no NaN), on the same device.
    """
    n_total = int(scores.numel())
    if n_total == 0:
        empty = np.zeros(0, dtype=np.int64)
        return RankCounts(np.zeros(0, dtype=np.float32), empty, empty, 0, 0)
    sorted_scores, order = torch.sort(scores.reshape(-1), descending=True)
    true_so_far = torch.cumsum(labels.reshape(-1)[order].to(torch.int64), dim=0)
    # the last position of each run of equal scores: everything up to it is >= that score
    run_ends = torch.ones_like(sorted_scores, dtype=torch.bool)
    run_ends[:-1] = sorted_scores[1:] != sorted_scores[:-1]
    ends = torch.nonzero(run_ends).reshape(-1)
    return RankCounts(
        thresholds=sorted_scores[ends].cpu().numpy(),
        tp=true_so_far[ends].cpu().numpy(),
        predicted_pos=(ends + 1).cpu().numpy(),
        n_pos=int(true_so_far[-1]),
        n_total=n_total,
    )


def auprc_on_device(labels: torch.Tensor, scores: torch.Tensor) -> float:
    """Exact average precision of flat ``labels`` and ``scores`` tensors (see the module)."""
    return auprc_from_counts(count_ranks_on_device(labels, scores))
