"""The ISSLIDE baselines build from the registry, with 3 inputs and one logit."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from sarslide.errors import ConfigError
from sarslide.models import create_model, list_models
from sarslide.models.isslide import IsslideUNet, SeparableConv

SMALL = ("isslide-unet", "isslide-resunet", "isslide-sepunet")


@pytest.mark.parametrize("name", SMALL)
def test_small_unets_any_patch_size(name: str) -> None:
    torch.manual_seed(0)
    model = create_model(name, in_channels=3, num_classes=1, base_filters=4, depth=2)
    for size in (20, 33):  # ISSLIDE patches are 100 px: not a multiple of 2**depth
        assert model(torch.randn(2, 3, size, size)).shape == (2, 1, size, size)


def test_sepunet_two_kernels_per_channel() -> None:
    model = create_model("isslide-sepunet", in_channels=3, num_classes=1, base_filters=4, depth=1)
    depthwise = [m[0] for m in model.modules() if isinstance(m, SeparableConv)]
    assert depthwise and all(c.out_channels == 2 * c.in_channels == 2 * c.groups for c in depthwise)
    wider = IsslideUNet(3, 1, block="separable", base_filters=4, depth=1, depth_multiplier=3)
    assert all(
        m[0].out_channels == 3 * m[0].groups
        for m in wider.modules()
        if isinstance(m, SeparableConv)
    )


def test_registered_names_and_bad_options() -> None:
    names = set(list_models())
    assert {"fcn-resnet50", "deeplabv3-resnet50", *SMALL} <= names
    with pytest.raises(ConfigError, match="no pretrained encoder"):
        create_model("isslide-unet", in_channels=3, num_classes=1, encoder_weights="imagenet")
    with pytest.raises(ConfigError, match="Unknown block"):
        IsslideUNet(3, 1, block="dense")


@pytest.mark.slow  # two ResNet-50 builds and a 130 MB state dict: several seconds each
@pytest.mark.parametrize("name", ["fcn-resnet50", "deeplabv3-resnet50"])
def test_torchvision_models_from_scratch_and_local_weights(name: str, tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = create_model(name, in_channels=3, num_classes=1)
    model.eval()
    with torch.inference_mode():
        assert model(torch.randn(1, 3, 40, 40)).shape == (1, 1, 40, 40)
    weights = tmp_path / "w.pt"
    torch.save(model.model.state_dict(), weights)
    loaded = create_model(name, in_channels=3, num_classes=1, encoder_weights=str(weights))
    key = "backbone.conv1.weight"
    assert torch.equal(loaded.model.state_dict()[key], model.model.state_dict()[key])
    with pytest.raises(ConfigError, match="does not exist"):
        create_model(name, in_channels=3, num_classes=1, encoder_weights=str(tmp_path / "none.pt"))
