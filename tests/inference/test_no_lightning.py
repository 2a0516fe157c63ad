"""Loading a checkpoint, predicting and evaluating import no Lightning (issue 13).

The import contract in pyproject.toml checks the import graph statically; this test
checks what a fresh interpreter really loads.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import json, sys
import sarslide.cli.main
from sarslide.inference.outputs import predict_to_directory
from sarslide.evaluation.evaluate import evaluate_checkpoint
from sarslide.models.checkpoints import load_model_from_checkpoint
import sarslide.training, sarslide.evaluation, sarslide.models
sarslide.models.create_model("unet-tiny", in_channels=2)
print(json.dumps(sorted(m for m in ("lightning", "torchmetrics") if m in sys.modules)))
"""


@pytest.mark.slow
def test_prediction_path_imports_no_lightning() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], check=True, capture_output=True, text=True
    ).stdout
    assert json.loads(out.strip().splitlines()[-1]) == []
