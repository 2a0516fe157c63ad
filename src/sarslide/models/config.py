"""Settings of the model commands (``sarslide export``): pydantic only, no torch import."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from sarslide.config import ConfigModel


class ExportConfig(ConfigModel):
    """``sarslide export``: which checkpoint, where the ONNX file goes, which metrics."""

    config_label: ClassVar[str] = "export config"

    checkpoint: str = Field(description="Checkpoint written by 'sarslide train' (best.ckpt).")
    output: str = Field(
        description="ONNX file to write (model.onnx); the card goes beside it as .json and .md."
    )
    metrics: str | None = Field(
        default=None,
        description="An evaluation's metrics.json ('sarslide evaluate') to put in the card.",
    )
    check_precision: bool = Field(
        default=False,
        description="Also write the int8 graph (model.int8.onnx, calibrated on training "
        "chips) and record how int8 and bf16 move the validation chips' AUPRC; predict "
        "--precision auto then runs int8 where it moved by < 0.005. Needs the training cube.",
    )
