"""The data configuration of the learning pipeline: which cube, channels, chips, split.

``DataConfig`` is a ``sarslide.config.ConfigModel`` (``extra="forbid"``): an unknown key
is an error, not silently ignored; every problem is listed with the value received and
how to fix it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from sarslide.config import ConfigModel, apply_overrides, read_yaml_mapping
from sarslide.conventions import UtcTimestamp
from sarslide.errors import ConfigError

CHANNEL_SETS = ("vv", "vh", "vv+vh", "sar+dem", "dem")
SPLIT_METHODS = ("spatial", "random", "leave_one_event_out")
OrbitChoice = Literal["auto", "any", "ascending", "descending"] | None
ORBIT_HELP = (
    "Viewing geometry of the composites: 'auto' (the orbit direction and relative orbit "
    "with the most acquisitions on both sides of the event), 'ascending', 'descending', "
    "or 'any' (mix every acquisition; null means the same, as before 'auto')."
)


class EventSource(ConfigModel):
    """One event of a multi-event data config: its cube and what is particular to it.

    Each cube keeps its own grid and CRS (chips are cut per cube); the event window
    and orbit default to the cube's attributes, as for a single cube.
    """

    config_label: ClassVar[str] = "event"

    name: str = Field(
        description="Short unique name of the event (used in run ids, tables, reports)."
    )
    cube: str = Field(description="Path or URL of the event's datacube (Zarr store).")
    event_start: UtcTimestamp | None = Field(
        default=None, description="Event window start (UTC); default: the cube's attribute."
    )
    event_end: UtcTimestamp | None = Field(
        default=None, description="Event window end (UTC); default: the cube's attribute."
    )
    orbit: OrbitChoice = Field(default="auto", description=ORBIT_HELP)

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if not value or not all(c.isalnum() or c in "-_" for c in value):
            raise ValueError(
                f"event name {value!r} must be non-empty letters, digits, '-' or '_' "
                "(it names run directories), e.g. 'iburi-2018'"
            )
        return value


class DataConfig(ConfigModel):
    """Where the data comes from and how it becomes chips and splits."""

    config_label: ClassVar[str] = "data config"

    cube: str | None = Field(
        default=None,
        description="Path or URL of the datacube (Zarr store); or give 'events' instead.",
    )
    events: list[EventSource] = Field(
        default_factory=list,
        description="Several events, each a cube with its own window, orbit and CRS; "
        "chips come from all of them and keep their event. Replaces 'cube'.",
    )
    held_out_event: str | None = Field(
        default=None,
        description="split: leave_one_event_out: the event tested on whole and never "
        "trained or normalised on.",
    )
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
    orbit: OrbitChoice = Field(default="auto", description=ORBIT_HELP)
    event_start: UtcTimestamp | None = Field(
        default=None,
        description="Event window start (UTC). Default: cube attribute, else known events.",
    )
    event_end: UtcTimestamp | None = Field(
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
    split: Literal["spatial", "random", "leave_one_event_out"] = Field(
        default="spatial",
        description="'spatial' blocks with a buffer (within each cube); 'random' = the "
        "paper's leaky split; 'leave_one_event_out': train on the other events "
        "(validation on their spatial val blocks), test on the whole held_out_event.",
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

    @model_validator(mode="after")
    def _check_events(self) -> DataConfig:
        if (self.cube is None) == (not self.events):
            raise ValueError(
                "give either 'cube' (one event) or 'events' (a list of {name, cube, ...}), "
                f"not {'both' if self.cube else 'neither'}"
            )
        names = [event.name for event in self.events]
        if len(set(names)) != len(names):
            raise ValueError(f"event names {names} must be unique")
        if self.split == "leave_one_event_out":
            if len(names) < 2:
                raise ValueError(
                    "split 'leave_one_event_out' needs 'events' with at least 2 events "
                    f"(got {len(names)}); use split 'spatial' for one cube"
                )
            if self.held_out_event not in names:
                raise ValueError(
                    f"held_out_event={self.held_out_event!r} must name one of the events {names}"
                )
        elif self.held_out_event is not None:
            raise ValueError(
                f"held_out_event={self.held_out_event!r} is only used by split "
                "'leave_one_event_out'; remove it or set that split"
            )
        if self.events and self.split == "random":
            raise ValueError(
                "split 'random' is for one cube only; with 'events' use 'spatial' or "
                "'leave_one_event_out'"
            )
        if self.events and (self.event_start or self.event_end or self.orbit not in ("auto", None)):
            raise ValueError(
                "with 'events', give event_start, event_end and orbit per event, not at "
                "the top of the data section"
            )
        return self

    @property
    def event_names(self) -> list[str]:
        """The events' names (empty for a single cube)."""
        return [event.name for event in self.events]

    def for_event(self, name: str) -> DataConfig:
        """The single-cube config of one event: its cube, window and orbit, the rest
        (channels, k, chips, split fractions and seed) shared; split 'spatial'."""
        for event in self.events:
            if event.name == name:
                return self.model_copy(
                    update={
                        "cube": event.cube,
                        "events": [],
                        "held_out_event": None,
                        "event_start": event.event_start,
                        "event_end": event.event_end,
                        "orbit": event.orbit,
                        "split": "spatial",
                    }
                )
        raise ConfigError(f"No event {name!r} in the data config; events: {self.event_names}.")

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


def read_data_section(
    path: str | Path, *, cube: str | None = None, overrides: list[str] | None = None
) -> dict[str, Any]:
    """The validated ``data`` section of a training config YAML (no torch import).

    ``cube`` replaces ``data.cube``; ``overrides`` are ``--set`` strings with
    training-config keys (``data.timesteps_k=2``).
    """
    values = read_yaml_mapping(path, label="training config")
    values = apply_overrides(values, {"data.cube": cube} if cube is not None else {})
    values = apply_overrides(values, overrides or [])
    if not isinstance(values.get("data"), dict):
        raise ConfigError(f"{str(path)!r} has no 'data' section; it must be a training config.")
    cfg = DataConfig.from_mapping(values["data"], source=f"{path} (data section)")
    return cfg.model_dump(mode="json")
