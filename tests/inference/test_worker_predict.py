"""What a block sends back from a worker: the probabilities and the nodata mask as bits."""

from __future__ import annotations

import numpy as np

from sarslide.inference.worker_predict import WorkerBlockResult, unpack_nodata


def test_the_nodata_mask_travels_as_bits_and_comes_back_whole() -> None:
    mask = np.random.default_rng(0).random((37, 53)) < 0.3  # not a multiple of 8 pixels
    result = WorkerBlockResult(
        np.zeros((1, 37, 53), np.float32), np.packbits(mask), mask.shape, 0, 0, 0, 1, "onnx"
    )
    assert result.nodata_bits.nbytes == -(-mask.size // 8)  # an eighth of the bool mask
    unpacked = unpack_nodata(result)
    assert unpacked.dtype == bool
    np.testing.assert_array_equal(unpacked, mask)
