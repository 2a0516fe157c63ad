"""``read_model_info``: a model file's card without its weights (the client of ``--scheduler``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from sarslide.chips import DataConfig, NormalisationStats
from sarslide.models.checkpoints import ModelBundle
from sarslide.models.engines import _stride_px, load_inference_model
from sarslide.models.model_info import model_stride_px, read_model_info
from sarslide.models.registry import create_model, list_models

NAMES = ["vv_before", "vv_after", "vh_before", "vh_after"]


def _bundle(name: str, **kwargs: object) -> ModelBundle:
    return ModelBundle(NAMES, 0.5, name, 2, model_kwargs=dict(kwargs))


@pytest.mark.parametrize("name", ["unet-small", "unet-tiny", "isslide-unet", "unet-resnet18"])
def test_stride_without_building_is_what_the_built_model_says(name: str) -> None:
    model = create_model(name, in_channels=4, num_classes=2, encoder_weights=None)
    assert model_stride_px(_bundle(name)) == _stride_px(model, name)


def test_every_registered_model_is_covered_by_the_registry_stride() -> None:
    # the small U-Nets carry their stride per instance; every other builder's is the registry's
    for name in list_models():
        with torch.device("meta"):
            model = create_model(name, in_channels=4, num_classes=2, encoder_weights=None)
        assert model_stride_px(_bundle(name)) == _stride_px(model, name), name


def test_options_that_change_the_stride_are_read_from_a_meta_model() -> None:
    assert model_stride_px(_bundle("unet-small", depth=2)) == 4
    assert model_stride_px(_bundle("unet-small")) == 16


def test_read_model_info_gives_the_loaded_models_card(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = create_model("unet-tiny", in_channels=4, num_classes=2, encoder_weights=None)
    stats = NormalisationStats(NAMES, np.array([-1.4, -1.4, -2.0, -2.0]), np.full(4, 0.25), 1)
    path = tmp_path / "best.ckpt"
    metadata = {
        "channel_names": NAMES,
        "normalisation": stats.to_dict(),
        "data_config": DataConfig(cube="c.zarr", timesteps_k=2).model_dump(mode="json"),
        "threshold": 0.4,
    }
    torch.save(
        {
            "state_dict": {f"model.{k}": v for k, v in model.state_dict().items()},
            "hyper_parameters": {"model_name": "unet-tiny", "num_classes": 2, "metadata": metadata},
        },
        path,
    )
    info = read_model_info(path)
    loaded = load_inference_model(path, engine="torch")
    assert info.size_multiple_px == loaded.size_multiple_px == 8 and not info.onnx_file
    assert info.bundle.channel_names == loaded.bundle.channel_names
    assert info.bundle.threshold == loaded.bundle.threshold == 0.4
    assert info.bundle.normalisation is not None and loaded.bundle.normalisation is not None
    np.testing.assert_array_equal(info.bundle.normalisation.mean, loaded.bundle.normalisation.mean)
