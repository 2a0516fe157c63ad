"""A tiny trained-looking checkpoint (random weights) and a cube to predict on."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from sarslide.chips import DataConfig, NormalisationStats
from sarslide.models import create_model


def write_fake_checkpoint(
    path: Path,
    *,
    channels: str = "vv+vh",
    names: list[str] | None = None,
    model_name: str = "unet-tiny",
    threshold: float = 0.5,
    cube: str = "train.zarr",
    split_plan_json: str | None = None,
    data: dict | None = None,
    metadata: dict | None = None,
) -> Path:
    """A checkpoint in the format of ``sarslide train`` with random weights (``data``:
    more data-config settings; ``metadata``: more checkpoint metadata)."""
    names = names or ["vv_before", "vv_after", "vh_before", "vh_after"]
    torch.manual_seed(0)
    model = create_model(model_name, in_channels=len(names), num_classes=2, encoder_weights=None)
    stats = NormalisationStats(names, np.full(len(names), -1.0), np.full(len(names), 0.3), 100)
    cfg = DataConfig(cube=cube, channels=channels, timesteps_k=2, **(data or {}))
    torch.save(
        {
            "state_dict": {f"model.{k}": v for k, v in model.state_dict().items()},
            "hyper_parameters": {
                "model_name": model_name,
                "num_classes": 2,
                "model_kwargs": {},
                "metadata": {
                    "channel_names": names,
                    "normalisation": stats.to_dict(),
                    "data_config": cfg.model_dump(mode="json"),
                    "threshold": threshold,
                    "split_method": "spatial",
                    **({"split_plan": split_plan_json} if split_plan_json else {}),
                    **(metadata or {}),
                },
            },
        },
        path,
    )
    return path


def checked_record(passed: bool) -> dict[str, Any]:
    """A bf16 check as ``sarslide train`` records it in a checkpoint (``metadata.
    precision_check``; values invented, shape real): ``passed`` or failed."""
    change = 0.5 * 0.005 if passed else 2 * 0.005
    return {
        "split": "val",
        "split_method": "spatial",
        "tolerance_auprc": 0.005,
        "checked_at": "training end",
        "chips": 2,
        "pixels": 512,
        "fp32_auprc": 0.5,
        "results": {
            "bf16": {
                "auprc": 0.5 - change,
                "auprc_change": -change,
                "max_abs_probability_difference": 1e-3,
                "passed": passed,
            }
        },
        "reference": "torch fp32 (channels-last, CPU)",
        "seconds": 0.1,
    }


def write_fake_export(
    ckpt: Path, path: Path, edit: Callable[[dict[str, Any]], None] = lambda card: None
) -> Path:
    """``ckpt`` as an exported model whose card ``edit`` may change (no ORT check run)."""
    from sarslide.models.checkpoints import load_model_from_checkpoint, read_checkpoint
    from sarslide.models.model_card import build_model_card
    from sarslide.models.onnx_engine import (
        CARD_METADATA_KEY,
        export_onnx_bytes,
        write_onnx_with_metadata,
    )

    hparams = read_checkpoint(ckpt)["hyper_parameters"]
    card = build_model_card(hparams, source=str(ckpt), model_spec={"size_multiple_px": 8})
    edit(card)
    model, bundle = load_model_from_checkpoint(ckpt)
    graph = export_onnx_bytes(model, in_channels=len(bundle.channel_names))
    write_onnx_with_metadata(graph, path, {CARD_METADATA_KEY: json.dumps(card)})
    return path


@pytest.fixture
def fake_checkpoint(tmp_path: Path) -> Path:
    torch.set_num_threads(1)
    return write_fake_checkpoint(tmp_path / "model.ckpt")
