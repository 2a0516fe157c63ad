"""What a model file says about its model, without loading its weights.

Where the model runs elsewhere (``predict --scheduler``: each dask worker loads it), the
process that plans the map needs only the model's card: channels, normalisation,
composite settings, threshold, training pixel size (:class:`ModelBundle`) and the
multiple its input sizes must be (``size_multiple_px``). :func:`read_model_info` reads
them from a checkpoint (memory-mapped: the weights are not read) or from an exported
model's card. Measured with unet-resnet50 (docs/predict.md, "The model on the
workers"): the client's peak memory fell from 1.2 GiB to that of its imports.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch

from sarslide.models.checkpoints import ModelBundle, read_model_bundle
from sarslide.models.engines import _stride_px, is_onnx_file, read_onnx_card
from sarslide.models.model_card import bundle_from_card
from sarslide.models.registry import create_model, get_model_spec


@dataclass(frozen=True)
class ModelInfo:
    """A model file's card: its bundle and input size multiple; no weights."""

    path: str
    bundle: ModelBundle
    size_multiple_px: int
    onnx_file: bool


def read_model_info(path: str | os.PathLike[str]) -> ModelInfo:
    """The :class:`ModelInfo` of a checkpoint or an exported ``.onnx`` model.

    Raises:
        CheckpointError: missing, corrupt or foreign model file.
    """
    if is_onnx_file(path):
        card = read_onnx_card(path)
        stride = int(card["model"].get("size_multiple_px") or 1)
        return ModelInfo(str(path), bundle_from_card(card, source=str(path)), stride, True)
    bundle = read_model_bundle(path)
    return ModelInfo(str(path), bundle, model_stride_px(bundle), False)


def model_stride_px(bundle: ModelBundle) -> int:
    """The input size multiple of ``bundle``'s model.

    With the builder's default options it is the registry's (what the built model says:
    tested for every registered model); with options (a U-Net's ``depth``) the model is
    built on the meta device and asked (no memory for weights where the builder allows).
    Building is avoided where it can be: an smp encoder takes seconds to import and
    ignores the meta device (unet-resnet50: 5.8 s and 112 MiB on the shared 2 cores).
    """
    if not bundle.model_kwargs:
        return get_model_spec(bundle.model_name).stride_px
    with torch.device("meta"):
        model = create_model(
            bundle.model_name,
            in_channels=len(bundle.channel_names),
            num_classes=bundle.num_classes,
            encoder_weights=None,
            **bundle.model_kwargs,
        )
    return _stride_px(model, bundle.model_name)
