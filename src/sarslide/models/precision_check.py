"""Reduced precision scored against fp32 on held-out chips: one scoring, one verdict.

A reduced precision (int8 on ONNX Runtime, bf16 autocast on torch) moves a model's
probabilities; whether that moves its scores depends on the model, so it is measured
per model on held-out chips (the checkpoint's validation split): each precision's
AUPRC against fp32's on the same pixels, ``passed`` when the change is under
:data:`AUPRC_TOLERANCE` (:func:`check_precisions`). Two commands record such a check,
both with this scoring and the same record (``precision_check``):

- ``sarslide train``, at its end (:func:`check_checkpoint_bf16`): the best model in fp32
  and in bf16 autocast on the CPU, recorded in the checkpoint's metadata. On a CPU
  without AVX512_BF16 or AMX the check is not run (bf16 is slower than fp32 there) and
  the record says why (``not_run``).
- ``sarslide export --check-precision`` (``sarslide.models.quantize``): the fp32 graph,
  its int8 graph and torch bf16, recorded in the model card.

:func:`choose_checkpoint_precision` is what ``--precision auto`` makes of a checkpoint's
record on the CPU: bf16 (torch autocast) where bf16 passed and this CPU has bf16 units,
else fp32 as without a record.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from sarslide.devices import PRECISION_ALIASES, cpu_has_bf16_units
from sarslide.errors import DataSelectionError
from sarslide.metrics.binary import compute_auprc, select_valid
from sarslide.models.predict import make_torch_predictor

logger = logging.getLogger(__name__)

PRECISION_CHECK_KEY = "precision_check"
"""Where the record lives: the checkpoint's ``metadata`` and the model card."""
AUPRC_TOLERANCE = 0.005
"""Largest change of held-out AUPRC a reduced precision may cause and still be chosen."""
CHECK_BATCH = 8
NO_BF16_UNITS = "has no AVX512_BF16 or AMX (bf16 autocast is slower than fp32 there)"

Predictor = Callable[[np.ndarray], np.ndarray]


def check_precisions(
    runs: dict[str, Predictor], held_out: tuple[np.ndarray, np.ndarray]
) -> dict[str, Any]:
    """AUPRC of each of ``runs`` on the same held-out chips, and each change against fp32.

    Args:
        runs: ``fp32`` (the reference) and each reduced precision by name, each a
            predictor (standardised (B, C, H, W) -> (B, H, W) probability).
        held_out: standardised inputs (n, C, H, W) and labels (n, H, W), 255 = ignore.

    Returns:
        ``chips``, ``pixels``, ``tolerance_auprc``, ``fp32_auprc`` and per reduced
        precision ``auprc``, ``auprc_change``, ``max_abs_probability_difference`` and
        ``passed`` (under ``results``).

    Raises:
        DataSelectionError: no landslide pixel among the chips (AUPRC undefined).
    """
    inputs, labels = held_out
    probabilities = {name: predict_chips(run, inputs) for name, run in runs.items()}
    y, reference = select_valid(labels, probabilities["fp32"])
    if not y.any():
        raise DataSelectionError(
            "The held-out chips have no landslide pixel; AUPRC is undefined, so reduced "
            "precision cannot be checked on them."
        )
    fp32_auprc = compute_auprc(y, reference)
    results = {}
    for name, probability in probabilities.items():
        if name == "fp32":
            continue
        _, scores = select_valid(labels, probability)
        auprc = compute_auprc(y, scores)
        change = auprc - fp32_auprc
        results[name] = {
            "auprc": auprc,
            "auprc_change": change,
            "max_abs_probability_difference": float(np.max(np.abs(scores - reference))),
            "passed": bool(abs(change) < AUPRC_TOLERANCE),
        }
        logger.info("precision %s: AUPRC %.4f (%+.5f against fp32)", name, auprc, change)
    return {
        "chips": int(inputs.shape[0]),
        "pixels": int(y.size),
        "tolerance_auprc": AUPRC_TOLERANCE,
        "fp32_auprc": fp32_auprc,
        "results": results,
    }


def predict_chips(run: Predictor, inputs: np.ndarray) -> np.ndarray:
    """``run`` over ``inputs`` in batches of ``CHECK_BATCH``."""
    parts = [run(inputs[i : i + CHECK_BATCH]) for i in range(0, len(inputs), CHECK_BATCH)]
    return np.concatenate(parts) if parts else np.empty((0, *inputs.shape[2:]), np.float32)


def check_checkpoint_bf16(
    model: torch.nn.Module, num_classes: int, held_out: tuple[np.ndarray, np.ndarray]
) -> dict[str, Any]:
    """The record ``sarslide train`` writes into its best checkpoint: ``model`` on
    ``held_out`` (the validation chips) in torch fp32 and in bf16 autocast on the CPU,
    both channels-last as the torch engine runs; or, where that is not run, why
    (``not_run``: a CPU without bf16 units, no chips, no landslide pixel)."""
    base: dict[str, Any] = {"tolerance_auprc": AUPRC_TOLERANCE, "checked_at": "training end"}
    if not cpu_has_bf16_units():
        return {**base, "not_run": f"the CPU it trained on {NO_BF16_UNITS}"}
    if len(held_out[0]) == 0:
        return {**base, "not_run": "no validation chips"}
    start = time.perf_counter()
    model = model.to("cpu")
    runs = {
        name: make_torch_predictor(model, num_classes=num_classes, precision=name)
        for name in ("fp32", "bf16")
    }
    try:
        record = check_precisions(runs, held_out)
    except DataSelectionError as exc:
        return {**base, "not_run": str(exc)}
    seconds = round(time.perf_counter() - start, 2)
    logger.info("precision check on %d validation chips: %.1f s", record["chips"], seconds)
    return {**base, **record, "reference": "torch fp32 (channels-last, CPU)", "seconds": seconds}


def choose_checkpoint_precision(
    record: Any, precision: str | None, device: torch.device, engine: str | None
) -> tuple[str | None, str]:
    """The precision to run a checkpoint in, and why (empty where it is not ``auto``
    on the CPU: ``precision`` then goes on unchanged, as does fp32 on a CPU).

    ``auto`` on the CPU becomes ``bf16`` only where the checkpoint's ``record`` says bf16
    passed and moved the validation AUPRC by less than :data:`AUPRC_TOLERANCE` (this
    version's, whatever the record's), this CPU has AVX512_BF16 or
    AMX (:func:`~sarslide.devices.cpu_has_bf16_units`) and the engine may be torch;
    otherwise it stays ``auto`` (fp32 there) and the reason is given.
    """
    if not is_auto_on_cpu(precision, device):
        return precision, ""
    record = record if isinstance(record, dict) else {}
    results = record.get("results")
    bf16 = results.get("bf16") if isinstance(results, dict) else None
    if not isinstance(bf16, dict):
        why = record.get("not_run") or "the checkpoint records no precision check"
        return precision, f"fp32: bf16 was not checked at training end ({why})"
    try:
        moved = float(bf16.get("auprc_change"))  # type: ignore[arg-type]
    except (TypeError, ValueError):  # a damaged record decides nothing
        moved = float("nan")
    change = f"bf16 moved the validation AUPRC by {moved:+.4f}"
    allowed = f"allowed < {AUPRC_TOLERANCE}"
    if bf16.get("passed") is not True or not abs(moved) < AUPRC_TOLERANCE:
        return precision, f"fp32: {change} ({allowed})"
    if not cpu_has_bf16_units():
        return precision, f"fp32: {change}, but this CPU {NO_BF16_UNITS}"
    if str(engine or "auto").strip().lower() == "onnx":
        return precision, f"fp32: --engine onnx runs fp32 ({change}; auto or torch runs bf16)"
    return "bf16", f"bf16: checked at training end, {change} ({allowed}); this CPU has bf16 units"


def is_auto_on_cpu(precision: str | None, device: torch.device) -> bool:
    """Whether ``precision`` is ``auto`` on the CPU (what a precision check may change)."""
    asked = PRECISION_ALIASES.get(str(precision or "auto").strip().lower())
    return asked == "auto" and device.type == "cpu"  # an unknown name is refused later
