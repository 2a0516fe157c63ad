"""A checkpoint's bf16 check, recorded by ``sarslide train``, decides ``--precision auto``.

bf16 (torch autocast) runs a checkpoint under ``auto`` only on the CPU, only where the
record says bf16 moved the validation AUPRC by less than the tolerance, and only on a
CPU with AVX512_BF16 or AMX; everything else runs as before the record existed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from sarslide.models import precision_check
from sarslide.models.engines import load_inference_model
from sarslide.models.export import export_model
from sarslide.models.precision_check import (
    AUPRC_TOLERANCE,
    PRECISION_CHECK_KEY,
    check_checkpoint_bf16,
    choose_checkpoint_precision,
)
from tests.inference.conftest import checked_record, write_fake_checkpoint

CPU = torch.device("cpu")


def loose_record(change: Any) -> dict[str, Any]:
    """A record that says bf16 passed although its change is not under 0.005."""
    record = checked_record(passed=True)
    record["tolerance_auprc"] = 0.05
    record["results"]["bf16"]["auprc_change"] = -change if isinstance(change, float) else change
    return record


def checkpoint_with(tmp_path: Path, record: Any) -> Path:
    metadata = {PRECISION_CHECK_KEY: record} if record is not None else None
    return write_fake_checkpoint(tmp_path / "best.ckpt", metadata=metadata)


@pytest.fixture
def bf16_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(precision_check, "cpu_has_bf16_units", lambda: True)


def test_auto_runs_a_checkpoint_whose_check_passed_in_bf16(tmp_path: Path, bf16_cpu: None) -> None:
    ckpt = checkpoint_with(tmp_path, checked_record(passed=True))
    auto = load_inference_model(ckpt)  # engine auto: torch, the faster engine in bf16
    assert (auto.engine, auto.precision.name) == ("torch", "bf16")
    assert auto.describe()["precision_chosen_by"].startswith("bf16: checked at training end")
    assert load_inference_model(ckpt, engine="torch").precision.name == "bf16"
    forced = load_inference_model(ckpt, engine="torch", precision="fp32")
    assert forced.precision.name == "fp32" and "precision_chosen_by" not in forced.describe()
    x = np.random.default_rng(0).standard_normal((2, 4, 32, 32)).astype(np.float32)
    bf16, fp32 = auto.predict_batch(x), forced.predict_batch(x)
    assert bf16.shape == fp32.shape and np.isfinite(bf16).all()
    assert not np.array_equal(bf16, fp32)  # autocast really runs


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        (checked_record(passed=False), "allowed < 0.005"),
        ({"tolerance_auprc": AUPRC_TOLERANCE, "not_run": "no validation chips"}, "no validation"),
        ("not a record", "records no precision check"),
        (loose_record(0.01), "by -0.0100 (allowed < 0.005)"),  # its own, looser tolerance
        (loose_record("small"), "by +nan"),  # a damaged value decides nothing
    ],
)
def test_auto_runs_fp32_where_the_check_failed_or_is_missing(
    tmp_path: Path, bf16_cpu: None, record: Any, reason: str
) -> None:
    loaded = load_inference_model(checkpoint_with(tmp_path, record), engine="torch")
    assert loaded.precision.name == "fp32"
    assert reason in loaded.describe()["precision_chosen_by"]


def test_an_old_checkpoint_runs_as_before(tmp_path: Path, bf16_cpu: None) -> None:
    loaded = load_inference_model(checkpoint_with(tmp_path, None))
    assert (loaded.engine, loaded.precision.name) == ("onnx", "fp32")
    assert "records no precision check" in loaded.describe()["precision_chosen_by"]


def test_the_cpu_the_device_and_the_settings_decide_too(monkeypatch: pytest.MonkeyPatch) -> None:
    passed = checked_record(passed=True)
    monkeypatch.setattr(precision_check, "cpu_has_bf16_units", lambda: False)
    precision, why = choose_checkpoint_precision(passed, "auto", CPU, "auto")
    assert precision == "auto" and "no AVX512_BF16 or AMX" in why
    monkeypatch.setattr(precision_check, "cpu_has_bf16_units", lambda: True)
    assert choose_checkpoint_precision(passed, "auto", CPU, "auto")[0] == "bf16"
    assert choose_checkpoint_precision(passed, None, CPU, None)[0] == "bf16"
    precision, why = choose_checkpoint_precision(passed, "auto", CPU, "onnx")
    assert precision == "auto" and "--engine onnx runs fp32" in why
    for setting in ("fp32", "32-true", "bf16", "fp64"):  # explicit (or refused later)
        assert choose_checkpoint_precision(passed, setting, CPU, "auto") == (setting, "")
    # GPUs keep their own auto (bf16 or fp16 autocast), whatever the record
    cuda = torch.device("cuda")
    assert choose_checkpoint_precision(passed, "auto", cuda, "auto") == ("auto", "")


def test_the_check_is_not_run_on_a_cpu_without_bf16_units(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(precision_check, "cpu_has_bf16_units", lambda: False)
    model = torch.nn.Conv2d(4, 2, 1)
    chips = (np.zeros((2, 4, 8, 8), np.float32), np.ones((2, 8, 8), np.uint8))
    record = check_checkpoint_bf16(model, 2, chips)
    assert "results" not in record and "no AVX512_BF16 or AMX" in record["not_run"]
    monkeypatch.setattr(precision_check, "cpu_has_bf16_units", lambda: True)
    no_landslide = (chips[0], np.zeros((2, 8, 8), np.uint8))
    assert "no landslide pixel" in check_checkpoint_bf16(model, 2, no_landslide)["not_run"]


def test_export_carries_the_training_check_into_the_card(tmp_path: Path) -> None:
    record = checked_record(passed=True)
    outputs = export_model(checkpoint_with(tmp_path, record), tmp_path / "model.onnx")
    card = json.loads(outputs.card_json.read_text())
    assert card[PRECISION_CHECK_KEY] == record
    rendered = outputs.card_markdown.read_text()
    assert "Scored at training end on the 2 val chips" in rendered
    assert "| bf16 | 0.4975 | -0.00250 |" in rendered
    assert outputs.describe()[1] == (
        "  bf16: validation AUPRC 0.4975 (-0.0025 against fp32 0.5000; passed, allowed < "
        "0.005) at training end"
    )
    # the exported fp32 graph has no int8 graph to choose: it runs fp32
    assert load_inference_model(outputs.onnx).precision.name == "fp32"
