"""The precision check a training records in its best checkpoint.

After the best checkpoint is chosen, its model scores the validation chips in fp32 and
in bf16 autocast on the CPU (``sarslide.models.precision_check``, the same scoring as
``sarslide export --check-precision``); the AUPRC change goes into the checkpoint's
``metadata.precision_check``. ``--precision auto`` then runs that checkpoint in bf16 on
CPUs with bf16 units where the change was under 0.005 (docs/predict.md).
"""

from __future__ import annotations

import logging
import os
from typing import Any

import numpy as np

from sarslide.models.checkpoints import load_model_from_checkpoint, update_checkpoint_metadata
from sarslide.models.precision_check import PRECISION_CHECK_KEY, check_checkpoint_bf16
from sarslide.training.datamodule import LandslideDataModule

logger = logging.getLogger(__name__)

IGNORE_LABEL = 255  # what the check's scoring skips


def store_precision_check(
    best_checkpoint: str | os.PathLike[str], datamodule: LandslideDataModule
) -> dict[str, Any]:
    """Check bf16 against fp32 on the validation chips with the model of
    ``best_checkpoint`` and write the record into it (``metadata.precision_check``).

    The record is the best model's, so ``last.ckpt`` (other weights) gets none and runs
    fp32 under ``--precision auto``.
    """
    model, bundle = load_model_from_checkpoint(best_checkpoint)
    inputs, labels = (t.numpy() for t in datamodule.dataset("val").tensors)
    labels = np.where(labels == datamodule.ignore_index, IGNORE_LABEL, labels)
    check = check_checkpoint_bf16(model, bundle.num_classes, (inputs, labels))
    record = {"split": "val", "split_method": bundle.split_method, **check}
    update_checkpoint_metadata(best_checkpoint, {PRECISION_CHECK_KEY: record})
    if "not_run" in record:
        logger.info("bf16 precision check not run: %s", record["not_run"])
    else:
        bf16 = record["results"]["bf16"]
        logger.info(
            "bf16 precision check: validation AUPRC %+.5f against fp32 (%s, allowed < %s)",
            bf16["auprc_change"],
            "passed" if bf16["passed"] else "failed",
            record["tolerance_auprc"],
        )
    return record
