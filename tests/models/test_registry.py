"""Model registry: names, errors, shapes, parameter counts, no downloads."""

from __future__ import annotations

import pytest
import torch

from sarslide.errors import ConfigError, DataSelectionError
from sarslide.models import (
    check_input_shape,
    create_model,
    get_model_spec,
    list_models,
    register_model,
    registry,
)

torch.set_num_threads(1)


def count_trainable(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def test_builtin_models_are_listed() -> None:
    names = list_models()
    for name in ("unet-resnet50", "unetplusplus-resnet50", "unet-resnet18", "unet-small"):
        assert name in names
        assert names[name]


def test_unknown_name_lists_valid_names() -> None:
    with pytest.raises(ConfigError, match="Unknown model name 'unet-resnet51'") as info:
        create_model("unet-resnet51", in_channels=2)
    assert "unet-small" in str(info.value)
    assert "unetplusplus-resnet50" in str(info.value)


def test_unetplusplus_resnet50_has_paper_parameter_count() -> None:
    model = create_model("unetplusplus-resnet50", in_channels=2, num_classes=2)
    assert count_trainable(model) == 48_982_754


def test_unet_resnet50_differs_from_unetplusplus() -> None:
    # The paper text's U-Net is a different (smaller) network from what its code ran.
    model = create_model("unet-resnet50", in_channels=2, num_classes=2)
    assert count_trainable(model) != 48_982_754
    assert type(model).__name__ == "Unet"


@pytest.mark.parametrize("name", ["unet-small", "unet-tiny", "unet-resnet18"])
def test_forward_shape(name: str) -> None:
    model = create_model(name, in_channels=3, num_classes=2).eval()
    with torch.no_grad():
        out = model(torch.randn(2, 3, 64, 64))
    assert out.shape == (2, 2, 64, 64)


def test_encoder_weights_default_downloads_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_download(*args: object, **kwargs: object) -> None:
        raise AssertionError("attempted a download")

    monkeypatch.setattr("torch.hub.load_state_dict_from_url", no_download)
    monkeypatch.setattr("torch.hub.download_url_to_file", no_download)
    create_model("unet-resnet18", in_channels=2)


def test_local_encoder_weights_are_loaded_and_first_conv_adapted(tmp_path) -> None:
    source = create_model("unet-resnet18", in_channels=3, num_classes=2)
    path = tmp_path / "encoder.pth"
    torch.save(source.encoder.state_dict(), path)
    model = create_model("unet-resnet18", in_channels=2, num_classes=2, encoder_weights=str(path))
    assert torch.equal(model.encoder.layer1[0].conv1.weight, source.encoder.layer1[0].conv1.weight)
    assert model.encoder.conv1.weight.shape[1] == 2


def test_missing_local_weights_file_is_clear(tmp_path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        create_model("unet-resnet18", in_channels=2, encoder_weights=str(tmp_path / "x.pth"))


def test_small_unet_rejects_pretrained_weights() -> None:
    with pytest.raises(ConfigError, match="no pretrained encoder"):
        create_model("unet-small", in_channels=2, encoder_weights="imagenet")


def test_bad_builder_option_is_config_error() -> None:
    with pytest.raises(ConfigError, match="Invalid options"):
        create_model("unet-small", in_channels=2, n_filters=3)


def test_check_input_shape_says_how_to_pad() -> None:
    check_input_shape("unet-resnet50", 128, 128)
    with pytest.raises(DataSelectionError, match=r"Pad the input to 128 x 160"):
        check_input_shape("unet-resnet50", 100, 130)


def test_small_unet_forward_rejects_indivisible_input() -> None:
    model = create_model("unet-small", in_channels=1)
    with pytest.raises(DataSelectionError, match="divisible by 16"):
        model(torch.zeros(1, 1, 40, 40))


def test_register_model_adds_and_guards_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))

    @register_model("test-identity", description="identity for tests", stride_px=1)
    def build(
        *, in_channels: int, num_classes: int, encoder_weights: str | None
    ) -> torch.nn.Module:
        return torch.nn.Conv2d(in_channels, num_classes, 1)

    assert get_model_spec("test-identity").builder is build
    assert create_model("test-identity", in_channels=2).out_channels == 2
    with pytest.raises(ConfigError, match="already registered"):
        register_model("test-identity", description="x")(lambda **kw: None)
