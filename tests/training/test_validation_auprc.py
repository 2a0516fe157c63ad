"""The device-side validation AUPRC equals the host's exact AUPRC on the same pixels."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sarslide.metrics.binary import compute_auprc, compute_rank_counts
from sarslide.training.validation_auprc import auprc_on_device, count_ranks_on_device


@pytest.mark.parametrize("levels", [None, 7], ids=["continuous", "many-ties"])
def test_device_counts_equal_the_host_counts(levels: int | None) -> None:
    rng = np.random.default_rng(4)
    scores = rng.random(20_000).astype(np.float32)
    if levels is not None:  # quantised scores: long runs of equal values
        scores = (np.round(scores * levels) / levels).astype(np.float32)
    labels = rng.random(scores.size) < 0.1
    host = compute_rank_counts(labels, scores)
    device = count_ranks_on_device(torch.from_numpy(labels), torch.from_numpy(scores))
    np.testing.assert_array_equal(device.thresholds, host.thresholds)
    np.testing.assert_array_equal(device.tp, host.tp)
    np.testing.assert_array_equal(device.predicted_pos, host.predicted_pos)
    assert (device.n_pos, device.n_total) == (host.n_pos, host.n_total)
    # the same counts through the same formula: the same float
    assert auprc_on_device(torch.from_numpy(labels), torch.from_numpy(scores)) == compute_auprc(
        labels, scores
    )


def test_empty_and_no_positive_inputs() -> None:
    empty = count_ranks_on_device(torch.zeros(0, dtype=torch.bool), torch.zeros(0))
    assert (empty.n_pos, empty.n_total, empty.tp.size) == (0, 0, 0)
    assert auprc_on_device(torch.zeros(5, dtype=torch.bool), torch.rand(5)) == 0.0
