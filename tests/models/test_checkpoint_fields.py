"""A crafted or damaged checkpoint is refused at load, naming the bad key (issue 23)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from sarslide.errors import CheckpointError
from sarslide.models.checkpoints import load_model_from_checkpoint
from tests.inference.conftest import write_fake_checkpoint


def _set(section: str, key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Set ``key`` in hyper_parameters (``""``), its metadata or its normalisation."""

    def edit(hparams: dict[str, Any]) -> None:
        where = {"": hparams, "metadata": hparams["metadata"]}
        where["normalisation"] = hparams["metadata"]["normalisation"]
        where[section][key] = value

    return edit


def _drop_std(hparams: dict[str, Any]) -> None:
    del hparams["metadata"]["normalisation"]["std"]


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        (_set("metadata", "threshold", float("nan")), r"metadata\.threshold \(nan\)"),
        (_set("metadata", "threshold", 7.0), r"metadata\.threshold \(7\.0\)"),
        (_set("", "model_kwargs", {"bogus": 1}), r"model_kwargs \(\{'bogus': 1\}\)"),
        (_set("", "model_kwargs", {"depth": 50}), r"model_kwargs \(\{'depth': 50\}\)"),
        (_set("", "model_kwargs", {"base_filters": 5}), r"model_kwargs.*tensors differ"),
        (_set("", "model_kwargs", [1, 2]), r"model_kwargs \(\[1, 2\]\)"),
        (_drop_std, r"metadata\.normalisation\.std \(None\): missing"),
        (_set("normalisation", "std", [float("nan")] * 4), r"normalisation\.std.*NaN"),
        (_set("normalisation", "mean", [0.0]), r"normalisation\.mean.*needs 4 values"),
        (_set("metadata", "normalisation", "x"), r"metadata\.normalisation \('x'\)"),
        (_set("metadata", "channel_names", 5), r"metadata\.channel_names \(5\)"),
    ],
)
def test_a_crafted_checkpoint_names_its_bad_key(
    tmp_path: Path, edit: Callable[[dict[str, Any]], None], named: str
) -> None:
    path = write_fake_checkpoint(tmp_path / "model.ckpt")
    ckpt = torch.load(path, weights_only=True)
    hparams = ckpt["hyper_parameters"]
    edit(hparams)
    torch.save(ckpt, path)
    with pytest.raises(CheckpointError, match=named) as info:
        load_model_from_checkpoint(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)
