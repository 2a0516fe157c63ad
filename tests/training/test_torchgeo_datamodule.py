"""torchgeo samples from the chip splits; torchgeo's SemanticSegmentationTask trains on them."""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np
import pandas as pd
import pytest
import torch

from sarslide.chips import build_chip_splits
from sarslide.chips.normalisation import standardise_chips
from tests.factories import make_minimal_cube

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("torchgeo") is None, reason="the [torchgeo] extra is not installed"
)
DATA = {
    "cube": "in-memory",
    "timesteps_k": 1,
    "chip_size_px": 32,
    "positive_only": False,
    "split": "spatial",
    "split_block_px": 64,
    "split_buffer_px": 0,
}


@pytest.fixture(scope="module")
def chips() -> tuple[Any, Any, Any]:
    from sarslide.torchgeo import read_chip_georeferences

    cube = make_minimal_cube(height=192, width=192, timesteps=4, seed=3, crs="EPSG:32654")
    splits = build_chip_splits(DATA, cube=cube)
    return cube, splits, read_chip_georeferences(DATA, cube=cube)


def test_samples_are_the_standardised_chips_with_their_place(chips: tuple) -> None:
    from pyproj import CRS

    from sarslide.torchgeo import LandslideChipDataset

    cube, splits, georefs = chips
    for split in ("train", "val", "test"):
        dataset = LandslideChipDataset(splits, split, georeferences=georefs)
        expected_images, expected_masks = standardise_chips(splits.get(split), splits.normalisation)
        assert len(dataset) == len(splits.get(split)) > 0
        for i in range(len(dataset)):
            sample = dataset[i]
            np.testing.assert_array_equal(sample["image"].numpy(), expected_images[i])
            np.testing.assert_array_equal(sample["mask"].numpy(), expected_masks[i])
            assert sample["image"].dtype == torch.float32 and sample["mask"].dtype == torch.int64
            assert sample["crs"] == CRS.from_epsg(32654)
            x, y, t = sample["bounds"]
            row, col = splits.get(split).origins_px[i]
            xs = cube.x.values[col : col + 32]
            ys = cube.y.values[row : row + 32]
            res = float(abs(xs[1] - xs[0]))
            assert (x.start, x.stop, x.step) == (xs.min() - res / 2, xs.max() + res / 2, res)
            assert (y.start, y.stop) == (ys.min() - res / 2, ys.max() + res / 2)
            assert t.start == pd.Timestamp(cube.attrs["event_start"])
            assert t.stop == pd.Timestamp(cube.attrs["event_end"])


def test_torchgeo_semantic_segmentation_task_trains_a_step(chips: tuple, tmp_path: Any) -> None:
    from sarslide.compat.torch_stack import lightning, torchgeo
    from sarslide.torchgeo import LandslideChipDataModule

    _, splits, georefs = chips
    datamodule = LandslideChipDataModule(splits, georefs, batch_size=4)
    task = torchgeo.trainers.SemanticSegmentationTask(
        model="unet",
        backbone="resnet18",
        weights=None,
        in_channels=datamodule.in_channels,
        task="multiclass",
        num_classes=2,
        loss="ce",
        ignore_index=255,
    )
    before = [p.detach().clone() for p in task.parameters()]
    trainer = lightning.Trainer(
        max_steps=1,
        limit_val_batches=1,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        default_root_dir=tmp_path,
    )
    trainer.fit(task, datamodule=datamodule)
    assert trainer.global_step == 1
    changed = sum(
        not torch.equal(a, b.detach()) for a, b in zip(before, task.parameters(), strict=True)
    )
    assert changed > 0
    batch = next(iter(datamodule.train_dataloader()))
    assert batch["image"].shape == (4, datamodule.in_channels, 32, 32)
    assert len(batch["bounds"]) == 4 and len(batch["crs"]) == 4
    assert np.isfinite(float(trainer.callback_metrics["train_loss"]))


def test_a_missing_torchgeo_is_named_with_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    from sarslide.compat import torch_stack

    def absent(name: str, *args: Any) -> Any:
        raise ModuleNotFoundError(f"No module named {name!r}", name="torchgeo")

    monkeypatch.delitem(torch_stack.__dict__, "torchgeo", raising=False)
    monkeypatch.setattr(importlib, "import_module", absent)
    with pytest.raises(ModuleNotFoundError, match=r"pip install 'sarslide\[torchgeo\]'"):
        torch_stack.__getattr__("torchgeo")
