"""``EvaluateConfig``: everything ``sarslide evaluate`` needs, saved beside its metrics.

The resolved configuration (cube and output folder filled in) is written to
``config.yaml`` in the output folder, like training's.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field

from sarslide.config import ConfigModel, device_field, precision_field

CONFIG_FILENAME = "config.yaml"
"""The resolved configuration, written beside every evaluation's outputs."""


class EvaluateConfig(ConfigModel):
    """A checkpoint's evaluation on one split: its chips and its whole region."""

    config_label: ClassVar[str] = "evaluation config"

    checkpoint: str = Field(description="Checkpoint written by 'sarslide train'.")
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
    tile_size_px: int = Field(
        default=512, ge=1, description="Tile size of the whole-region prediction (px)."
    )
    device: str = device_field()
    precision: str = precision_field()

    @property
    def output_path(self) -> Path:
        """The output folder: ``output_dir``, or ``evaluation-<split>`` beside the run."""
        if self.output_dir:
            return Path(self.output_dir).expanduser()
        return Path(self.checkpoint).resolve().parent.parent / f"evaluation-{self.split}"
