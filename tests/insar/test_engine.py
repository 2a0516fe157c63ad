"""``insar evaluate --engine``: every ISSLIDE baseline on ONNX Runtime, or a clear refusal."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sarslide.errors import ConfigError
from sarslide.insar.config import ISSLIDE_MODELS
from sarslide.insar.engine import load_patch_predictor
from sarslide.models import create_model

pytest.importorskip("onnxruntime")

SMALL = {"base_filters": 4, "depth": 2}  # the U-Nets' blocks, at a size that exports in 1 s
PATCH = (3, 36, 36)  # not a multiple of the U-Nets' 2**depth: the padding branch is traced


def _patches(n: int = 5) -> np.ndarray:
    return np.random.default_rng(1).standard_normal((n, *PATCH)).astype(np.float32)


def _model(name: str) -> torch.nn.Module:
    torch.manual_seed(0)
    kwargs = SMALL if name.startswith("isslide-") else {}
    return create_model(name, in_channels=3, num_classes=1, encoder_weights=None, **kwargs)


def _check_onnx_matches_torch(name: str) -> None:
    model = _model(name).eval()
    onnx = load_patch_predictor(model, model_name=name, num_classes=1, patch_shape=PATCH)
    torch_run = load_patch_predictor(
        model, model_name=name, num_classes=1, patch_shape=PATCH, engine="torch"
    )
    assert (onnx.engine, torch_run.engine) == ("onnx", "torch")  # auto on the CPU: ONNX Runtime
    inputs = _patches()
    got, expected = onnx.predict(inputs, batch_size=2), torch_run.predict(inputs)
    assert got.shape == expected.shape == (5, 36, 36)
    assert float(np.max(np.abs(got - expected))) <= 1e-5
    record = onnx.describe()
    assert record["engine_version"] and record["precision"] == "fp32"
    assert record["onnx_check_max_abs_error"] <= 1e-5


@pytest.mark.parametrize("name", [n for n in ISSLIDE_MODELS if n.startswith("isslide-")])
def test_small_unets_on_onnx_match_torch(name: str) -> None:
    _check_onnx_matches_torch(name)


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in ISSLIDE_MODELS if not n.startswith("isslide-")])
def test_torchvision_baselines_on_onnx_match_torch(name: str) -> None:
    _check_onnx_matches_torch(name)  # FCN/DeepLabV3-ResNet50: ~8 s to export each


class SpectralNet(torch.nn.Module):
    """A model with an FFT, which the ONNX exporter (opset 17) cannot write."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 1, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(torch.fft.ifft2(torch.fft.fft2(x)).real)


def test_a_model_that_does_not_export_is_refused_on_onnx_in_one_line() -> None:
    with pytest.raises(ConfigError) as err:
        load_patch_predictor(
            SpectralNet(), model_name="spectral", num_classes=1, patch_shape=PATCH, engine="onnx"
        )
    message = str(err.value)
    assert "\n" not in message
    assert "engine 'onnx' cannot run spectral" in message and "fft" in message
    assert "--engine torch" in message


def test_auto_falls_back_to_torch_for_a_model_that_does_not_export() -> None:
    model = SpectralNet().eval()
    loaded = load_patch_predictor(model, model_name="spectral", num_classes=1, patch_shape=PATCH)
    assert loaded.engine == "torch" and "fft" in loaded.describe()["onnx_fallback"]
    inputs = _patches(2)
    with torch.inference_mode():
        expected = torch.sigmoid(model(torch.from_numpy(inputs))[:, 0]).numpy()
    np.testing.assert_array_equal(loaded.predict(inputs), expected)


def test_reduced_precision_on_onnx_is_refused() -> None:
    with pytest.raises(ConfigError, match="fp32 only"):
        load_patch_predictor(
            _model("isslide-unet"),
            model_name="isslide-unet",
            num_classes=1,
            patch_shape=PATCH,
            engine="onnx",
            precision="bf16",
        )
