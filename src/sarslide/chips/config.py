"""The data configuration of the learning pipeline: which cube, channels, chips, split.

``DataConfig`` is a ``sarslide.config.ConfigModel`` (``extra="forbid"``): an unknown key
is an error, not silently ignored; every problem is listed with the value received and
how to fix it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from sarslide.config import ConfigModel

CHANNEL_SETS = ("vv", "vh", "vv+vh", "sar+dem", "dem")


class DataConfig(ConfigModel):
    """Where the data comes from and how it becomes chips and splits."""

    config_label: ClassVar[str] = "data config"

    cube: str = Field(description="Path or URL of the datacube (Zarr store).")
    channels: str | list[str] = Field(
        default="vv+vh",
        description=(
            "Channel set: 'vv', 'vh', 'vv+vh', 'sar+dem', 'dem', or a list of names: "
            "composite channels such as 'vv_before', time variables such as 'vv' "
            "(before and after), or static (y, x) variables such as 'dem'."
        ),
    )
    timesteps_k: int = Field(
        default=4, ge=1, description="Acquisitions nearest the event on each side (k)."
    )
    reducer: Literal["mean", "median", "mean_exact"] = Field(
        default="mean",
        description=(
            "Pixel-wise reduction of the k log10 acquisitions. 'mean' takes one log of "
            "their product (float32 rounding: within ~1e-6 of the mean of logs); "
            "'mean_exact' takes k float32 log10s and their mean, bit-identical to "
            "numpy/xarray log10-then-mean (slower)."
        ),
    )
    orbit: Literal["ascending", "descending"] | None = Field(
        default=None, description="Use only acquisitions of this orbit direction."
    )
    event_start: datetime | None = Field(
        default=None,
        description="Event window start (UTC). Default: cube attribute, else known events.",
    )
    event_end: datetime | None = Field(
        default=None,
        description="Event window end (UTC). Default: cube attribute, else known events.",
    )
    log_floor: float = Field(
        default=1e-4,
        gt=0,
        description="Linear values below this (zeros, negatives) are floored before log10.",
    )
    chip_size_px: int = Field(default=128, ge=2, description="Chip height and width (px).")
    chip_stride_px: int | None = Field(
        default=None, ge=1, description="Step between chips (px); None = chip size."
    )
    chip_min_valid_fraction: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Drop chips with a smaller fraction of valid (non-NaN) pixels.",
    )
    positive_only: bool = Field(
        default=True,
        description="Keep only chips with a landslide pixel (the paper); False = all.",
    )
    split: Literal["spatial", "random"] = Field(
        default="spatial",
        description="'spatial' blocks with a buffer; 'random' = the paper's leaky split.",
    )
    split_fractions: tuple[float, float, float] = Field(
        default=(0.7, 0.15, 0.15), description="Train, val, test fractions (sum to 1)."
    )
    split_block_px: int | None = Field(
        default=None,
        ge=1,
        description="Side of the square spatial blocks (px); None = 8 chips, fewer if small.",
    )
    split_buffer_px: int | None = Field(
        default=None,
        ge=0,
        description="Minimum gap (px) between chips of different splits; None = chip size.",
    )
    seed: int = Field(default=0, description="Seed of the split.")

    @field_validator("channels")
    @classmethod
    def _check_channels(cls, value: str | list[str]) -> str | list[str]:
        if isinstance(value, str):
            if value not in CHANNEL_SETS:
                raise ValueError(
                    f"unknown channel set {value!r}; use one of {list(CHANNEL_SETS)} or "
                    "a list of variable names"
                )
        elif not value:
            raise ValueError("the channel list is empty; name at least one channel")
        return value

    @field_validator("split_fractions")
    @classmethod
    def _check_fractions(cls, value: tuple[float, float, float]) -> tuple[float, float, float]:
        if any(f <= 0 for f in value) or abs(sum(value) - 1.0) > 1e-6:
            raise ValueError(
                f"split_fractions={list(value)} must be three positive numbers summing to 1, "
                "e.g. [0.7, 0.15, 0.15]"
            )
        return value

    @model_validator(mode="after")
    def _check_window(self) -> DataConfig:
        if self.event_start and self.event_end and self.event_end < self.event_start:
            raise ValueError(
                f"event_end ({self.event_end}) is before event_start ({self.event_start})"
            )
        return self

    @property
    def stride_px(self) -> int:
        """The chip stride actually used."""
        return self.chip_stride_px or self.chip_size_px


def load_data_config(values: Mapping[str, Any] | DataConfig, *, source: str = "") -> DataConfig:
    """Validate a mapping as a ``DataConfig``.

    Raises:
        ConfigError: listing every unknown key and invalid value.
    """
    if isinstance(values, DataConfig):
        return values
    return DataConfig.from_mapping(values, source=source)
