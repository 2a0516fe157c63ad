"""Channel sets by name -> the composite and static channels they stand for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import xarray as xr

from sarslide import conventions as cv
from sarslide.errors import DataSelectionError

SIDES: tuple[Literal["before"], Literal["after"]] = ("before", "after")

# Channel set name -> the channel names it stands for (composites: <var>_<side>).
CHANNEL_SETS: dict[str, tuple[str, ...]] = {
    "vv": ("vv_before", "vv_after"),
    "vh": ("vh_before", "vh_after"),
    "vv+vh": ("vv_before", "vv_after", "vh_before", "vh_after"),
    "dem": cv.DEM_VARS,
    "sar+dem": ("vv_before", "vv_after", "vh_before", "vh_after", *cv.DEM_VARS),
}


@dataclass(frozen=True)
class ChannelSpec:
    """One input channel: a composite of a time variable, or a static variable."""

    name: str
    variable: str
    side: Literal["before", "after"] | None = None  # None: static (y, x) variable
    log10: bool = False  # log10 with a floor (SAR backscatter)

    @property
    def is_composite(self) -> bool:
        return self.side is not None


def resolve_channels(channels: str | list[str] | tuple[str, ...], cube: xr.Dataset) -> list[str]:
    """Channel names for a channel set or list, checked against what the cube offers.

    ``"vv"`` -> ``["vv_before", "vv_after"]``; ``"vv+vh"`` -> four composites;
    ``"sar+dem"`` -> four composites and the four DEM variables; ``"dem"`` -> the DEM
    variables. A list may name composite channels (``"vv_before"``), time variables
    (``"vv"`` -> before and after) and static (y, x) variables (``"dem"``).

    Raises:
        DataSelectionError: unknown set name, or a channel needing a missing variable;
            the message lists what the cube offers.
    """
    return [spec.name for spec in resolve_channel_specs(channels, cube)]


def resolve_channel_specs(
    channels: str | list[str] | tuple[str, ...], cube: xr.Dataset
) -> list[ChannelSpec]:
    """Like ``resolve_channels`` but returns how each channel is computed."""
    if isinstance(channels, str):
        if channels not in CHANNEL_SETS:
            raise DataSelectionError(
                f"Unknown channel set {channels!r}; use one of {list(CHANNEL_SETS)} or a "
                f"list of names from: {offered_channels(cube)}."
            )
        names: list[str] = list(CHANNEL_SETS[channels])
    else:
        names = []
        for entry in channels:
            if _is_time_variable(cube, entry):
                names += [f"{entry}_{side}" for side in SIDES]
            else:
                names.append(entry)
    if not names:
        raise DataSelectionError("The channel list is empty; name at least one channel.")
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise DataSelectionError(f"Channels {duplicates} are named more than once; name each once.")
    specs = []
    missing = []
    for name in names:
        spec = _parse_channel(name, cube)
        if spec is None:
            missing.append(name)
        else:
            specs.append(spec)
    if missing:
        dem_note = ""
        if any(name.startswith(cv.VAR_DEM) for name in missing):
            dem_note = (
                " A cube built with --dem none has no DEM layers: build it with --dem FILE "
                "(or --dem-collection) for a model with DEM channels."
            )
        raise DataSelectionError(
            f"Channel(s) {missing} need variables the cube does not have (or cannot be "
            f"used as channels). The cube offers: {offered_channels(cube)}. Choose channels "
            f"from that list, or use a cube that has the variables.{dem_note}"
        )
    return specs


def offered_channels(cube: xr.Dataset) -> list[str]:
    """Every channel name this cube can provide."""
    out = []
    for name in map(str, cube.data_vars):
        if _is_time_variable(cube, name):
            out += [f"{name}_{side}" for side in SIDES]
        elif _is_static_variable(cube, name) and name != cv.VAR_LANDSLIDES:
            out.append(name)
    return out


def _is_time_variable(cube: xr.Dataset, name: str) -> bool:
    return name in cube.data_vars and set(cube[name].dims) == {cv.DIM_TIMESTEP, *cv.SPATIAL_DIMS}


def _is_static_variable(cube: xr.Dataset, name: str) -> bool:
    return name in cube.data_vars and set(cube[name].dims) == set(cv.SPATIAL_DIMS)


def _parse_channel(name: str, cube: xr.Dataset) -> ChannelSpec | None:
    if _is_static_variable(cube, name) and name != cv.VAR_LANDSLIDES:
        return ChannelSpec(name, name)
    variable, _, side = name.rpartition("_")
    if side in SIDES and _is_time_variable(cube, variable):
        return ChannelSpec(name, variable, side, log10=variable in cv.SAR_VARS)
    return None
