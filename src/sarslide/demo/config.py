"""``DemoConfig``: the settings of ``sarslide demo`` (light: ``--help`` reads only this)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from sarslide.config import ConfigModel

# 1024 px (10 km at 10 m): the spatial split then leaves a test region of tens of
# chips; at 512 px it held 3 chips and its metrics were noise.
DEMO_SIZE_PX = 1024
DEMO_MIN_SIZE_PX = 256  # 2 x 2 split blocks of the quick preset (128 px)


class DemoConfig(ConfigModel):
    """Settings of ``sarslide demo`` (the steps' own configs are written in their folders)."""

    config_label: ClassVar[str] = "demo config"

    output_dir: str = Field(default="demo-output", description="Folder for everything.")
    size_px: int = Field(
        default=DEMO_SIZE_PX,
        ge=DEMO_MIN_SIZE_PX,
        description="Side of the simulated scene (px); at least 256, so that the quick "
        "preset's spatial split (blocks of 128 px) leaves chips for validation and test.",
    )
    epochs: int | None = Field(
        default=None, ge=1, description="Training epochs; null: the quick preset's."
    )
    seed: int = Field(default=0, description="Seed of simulation, split and training.")
