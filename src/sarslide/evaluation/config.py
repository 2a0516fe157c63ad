"""``EvaluateConfig``: everything ``sarslide evaluate`` needs, saved beside its metrics.

The resolved configuration (cube and output folder filled in) is written to
``config.yaml`` in the output folder, like training's.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field

from sarslide.inference.config import TilingOptions

CONFIG_FILENAME = "config.yaml"
"""The resolved configuration, written beside every evaluation's outputs."""


class EvaluateConfig(TilingOptions):
    """A checkpoint's evaluation on one split: its chips and its whole region.

    The region pass runs as ``sarslide predict`` does (``TilingOptions``: tile size,
    overlap, margin, batch size, device, precision).
    """

    config_label: ClassVar[str] = "evaluation config"

    checkpoint: str = Field(
        description="Checkpoint written by 'sarslide train', or a model exported by "
        "'sarslide export' (model.onnx)."
    )
    cube: str | None = Field(
        default=None, description="Datacube; null: the one named in the checkpoint."
    )
    split: Literal["test", "val"] = Field(default="test", description="Split to evaluate.")
    output_dir: str | None = Field(
        default=None, description="Output folder; null: <run>/evaluation-<split>."
    )
    whole_region: bool = Field(
        default=True, description="Also predict every pixel of the split's region."
    )
    allow_resolution_mismatch: bool = Field(
        default=False,
        description="Evaluate on a cube whose pixel size differs from the model's training "
        "pixel size by more than 10 % (warn instead of refusing).",
    )

    @property
    def output_path(self) -> Path:
        """The output folder: ``output_dir``, or ``evaluation-<split>`` beside the run."""
        if self.output_dir:
            return Path(self.output_dir).expanduser()
        return Path(self.checkpoint).resolve().parent.parent / f"evaluation-{self.split}"
