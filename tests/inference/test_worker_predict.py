"""What a block sends back from a worker: the probabilities and the nodata mask as bits."""

from __future__ import annotations

import numpy as np
import pytest

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


def test_workers_that_ran_the_model_differently_are_counted_and_named(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from types import SimpleNamespace

    from sarslide.inference.worker_predict import _note_what_ran

    notes: dict = {}
    bf16 = SimpleNamespace(engine="torch", model={"device": "cpu", "precision": "bf16"})
    fp32 = SimpleNamespace(engine="onnx", model={"device": "cpu", "precision": "fp32"})
    with caplog.at_level("WARNING"):
        for result in (bf16, bf16, fp32, bf16, fp32):
            _note_what_ran(notes, result)  # type: ignore[arg-type]
    assert notes["blocks_by_engine_device_precision"] == {
        "torch cpu bf16": 3,
        "onnx cpu fp32": 2,
    }
    warnings = [r for r in caplog.records if "different ways" in r.getMessage()]
    assert len(warnings) == 1 and "--precision" in warnings[0].getMessage()
