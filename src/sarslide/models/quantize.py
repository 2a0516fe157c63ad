"""Reduced precision for inference, used only where it was measured not to move the metric.

- **int8** (:func:`quantize_int8`): the exported fp32 graph quantised statically by ONNX
  Runtime in QDQ form, activations uint8 per tensor (ranges calibrated on training
  chips, percentile 99.999 %), weights int8 per output channel, so that ONNX Runtime
  runs its VNNI integer convolutions. The last convolution (the logits) and the
  probability head stay fp32, so probabilities are not rounded to 256 levels.
- **bf16**: torch autocast (channels-last) on the CPU, fast on CPUs with AVX512_BF16 or
  AMX (``sarslide.models.predict``).

:func:`check_reduced_precisions` runs the fp32 graph, the int8 graph and torch bf16 on
the same held-out chips (the checkpoint's validation split) and scores them as
``sarslide.models.precision_check`` does (each AUPRC and its change against fp32; a
precision ``passed`` when the AUPRC moved by less than ``AUPRC_TOLERANCE``).
``sarslide export --check-precision`` writes the record into the model card, and
``--precision auto`` chooses int8 only for a model whose record passed
(``sarslide.models.engines``).
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from sarslide.chips.dataset import ChipSplits
from sarslide.chips.normalisation import NormalisationStats, standardise_chips
from sarslide.errors import DataSelectionError
from sarslide.models.onnx_engine import INPUT_NAME, OnnxPredictor, create_onnx_session
from sarslide.models.precision_check import Predictor, check_precisions
from sarslide.models.predict import make_torch_predictor

logger = logging.getLogger(__name__)

CALIBRATION_CHIPS = 32
CALIBRATION_PERCENTILE = 99.999
CALIBRATION_SEED = 0
# what stays fp32 after the last convolution: softmax / sigmoid and the class pick
_HEAD_OPS = ("Softmax", "Sigmoid", "Sub", "Gather", "Slice", "Squeeze")


def select_calibration_chips(
    splits: ChipSplits, normalisation: NormalisationStats, *, count: int = CALIBRATION_CHIPS
) -> np.ndarray:
    """Up to ``count`` standardised training chips (seeded choice) for int8 calibration."""
    train = splits.get("train")
    if len(train) == 0:
        raise DataSelectionError("No training chips to calibrate int8 on; the split is empty.")
    rng = np.random.default_rng(CALIBRATION_SEED)
    picked = np.sort(rng.choice(len(train), size=min(count, len(train)), replace=False))
    inputs, _ = standardise_chips(train.subset(picked), normalisation)
    return inputs


def quantize_int8(graph: bytes, calibration: np.ndarray) -> bytes:
    """``graph`` (fp32, from :func:`~sarslide.models.onnx_engine.export_onnx_bytes`) as
    int8 QDQ, activation ranges from ``calibration`` (standardised (n, C, H, W) inputs,
    one at a time: the percentile calibrator needs batches of one shape).
    """
    import onnx  # [ml] extra, optional: imported on use
    from onnxruntime.quantization import (
        CalibrationDataReader,
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_static,
    )
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class _Chips(CalibrationDataReader):
        def __init__(self) -> None:
            self._batches = iter([{INPUT_NAME: chip[None]} for chip in calibration])

        def get_next(self) -> dict[str, np.ndarray] | None:
            return next(self._batches, None)

    with tempfile.TemporaryDirectory(prefix="sarslide-int8-") as tmp:
        fp32, prepared, int8 = (Path(tmp) / n for n in ("fp32.onnx", "pre.onnx", "int8.onnx"))
        fp32.write_bytes(graph)
        quant_pre_process(str(fp32), str(prepared), skip_symbolic_shape=True)
        nodes = onnx.load(str(prepared)).graph.node
        convs = [n.name for n in nodes if n.op_type == "Conv"]
        keep_fp32 = [n.name for n in nodes if n.op_type in _HEAD_OPS] + convs[-1:]
        quantize_static(
            str(prepared),
            str(int8),
            _Chips(),
            quant_format=QuantFormat.QDQ,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            per_channel=True,
            calibrate_method=CalibrationMethod.Percentile,
            nodes_to_exclude=keep_fp32,
            extra_options={"CalibPercentile": CALIBRATION_PERCENTILE},
        )
        return int8.read_bytes()


def check_reduced_precisions(
    model: torch.nn.Module,
    num_classes: int,
    graph_fp32: bytes,
    graph_int8: bytes,
    held_out: tuple[np.ndarray, np.ndarray],
) -> dict[str, Any]:
    """AUPRC of fp32, int8 and bf16 on the same held-out chips, and each change
    (:func:`~sarslide.models.precision_check.check_precisions`).

    Args:
        model: the torch network (for bf16 autocast).
        num_classes: 1 (sigmoid) or 2 (softmax).
        graph_fp32: the exported graph.
        graph_int8: its int8 version (:func:`quantize_int8`).
        held_out: standardised inputs (n, C, H, W) and labels (n, H, W), 255 = ignore.
    """
    runs: dict[str, Predictor] = {
        "fp32": OnnxPredictor(create_onnx_session(graph_fp32)),
        "int8": OnnxPredictor(create_onnx_session(graph_int8)),
        "bf16": make_torch_predictor(
            model, num_classes=num_classes, channels_last=True, precision="bf16"
        ),
    }
    return check_precisions(runs, held_out)
